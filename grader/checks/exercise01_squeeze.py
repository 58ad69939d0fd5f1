"""Hidden checks for exercise 1: add_batch_dim and remove_batch_dim."""

import torch
from hypothesis import given
from hypothesis import strategies as st

from grader.checking import check, expect_same, expect_type, fail
from grader.sandbox.proxy import LearnerRaised

dims = st.integers(1, 5)
dtypes = st.sampled_from([torch.float32, torch.float64, torch.int64])


def make(shape: tuple[int, ...], dtype: torch.dtype, seed: int) -> torch.Tensor:
    """A tensor of `shape` whose values identify their position (so a wrong view shows)."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(-50, 50, shape, generator=generator).to(dtype)


def expect_input_kept(got: dict, given: torch.Tensor, name: str, example: dict) -> None:
    """Fail when the caller's tensor changed shape: an in-place unsqueeze_/squeeze_."""
    if got.get("input_shape") != list(given.shape):
        fail(
            f"after {name}, the caller's tensor has shape {got.get('input_shape')} instead of "
            f"{list(given.shape)}: the function changed its input.",
            example=example,
            mistake="changed_input_in_place",
        )


@check("add_batch_dim_shape", devices="all")
@given(c=dims, h=dims, w=dims, dtype=dtypes, seed=st.integers(0, 99))
def test_add_batch_dim_shape(learner, device, c, h, w, dtype, seed):
    image = make((c, h, w), dtype, seed)
    example = {"image": image}
    got = learner.probe("add_batch_dim", image=image, device=device)
    value = expect_type(got["value"], torch.Tensor, "add_batch_dim", example)
    expect_same(
        value,
        image.unsqueeze(0),
        "add_batch_dim(image)",
        example=example,
        mistakes={
            "unsqueeze_last": image.unsqueeze(-1),
            "unsqueeze_wrong_dim": image.unsqueeze(1),
            "squeeze_instead": image.squeeze(),
        },
    )
    if got["device"] != device:
        fail(
            f"the result is on {got['device']}, but the image was on {device}",
            example=example,
            mistake="moved_device",
        )
    expect_input_kept(got, image, "add_batch_dim", example)


@check("add_batch_dim_view", devices="all")
@given(c=dims, h=dims, w=dims, dtype=dtypes, seed=st.integers(0, 99))
def test_add_batch_dim_view(learner, device, c, h, w, dtype, seed):
    image = make((c, h, w), dtype, seed)
    got = learner.probe("add_batch_dim", image=image, device=device)
    if not got["is_view"]:
        fail(
            "add_batch_dim returned a copy: writing into the result did not change the image.",
            example={"image": image},
            mistake="copy_not_view",
        )


@check("remove_batch_dim_shape", devices="all")
@given(shape=st.lists(dims, min_size=0, max_size=4), dtype=dtypes, seed=st.integers(0, 99))
def test_remove_batch_dim_shape(learner, device, shape, dtype, seed):
    batch = make((1, *shape), dtype, seed)
    example = {"batch": batch}
    got = learner.probe("remove_batch_dim", batch=batch, device=device)
    value = expect_type(got["value"], torch.Tensor, "remove_batch_dim", example)
    expect_same(
        value,
        batch[0],
        "remove_batch_dim(batch)",
        example=example,
        mistakes={
            "squeeze_all": batch.squeeze(),
            "squeeze_last": batch.squeeze(-1) if batch.shape[-1] == 1 else None,
        },
    )
    if got["device"] != device:
        fail(
            f"the result is on {got['device']}, but the batch was on {device}",
            example=example,
            mistake="moved_device",
        )
    expect_input_kept(got, batch, "remove_batch_dim", example)


@check("remove_batch_dim_rejects", devices="all")
@given(
    first=st.integers(2, 5), shape=st.lists(dims, min_size=0, max_size=3), seed=st.integers(0, 99)
)
def test_remove_batch_dim_rejects(learner, device, first, shape, seed):
    batch = make((first, *shape), torch.float32, seed)
    example = {"batch": batch}
    try:
        got = learner.probe("remove_batch_dim", batch=batch, device=device)
    except LearnerRaised as raised:
        if raised.is_a("AssertionError"):
            fail(
                "remove_batch_dim raised AssertionError; the contract asks for ValueError "
                "(assert statements vanish under `python -O`).",
                example=example,
                mistake="assert_not_raise",
            )
        if not raised.is_a("ValueError"):
            fail(
                f"remove_batch_dim raised {raised.type_name}; expected ValueError.",
                example=example,
                mistake="wrong_exception",
            )
        dims_text = [str(d) for d in batch.shape]
        message = raised.message.replace(" ", "")
        if not (",".join(dims_text) in message or "x".join(dims_text) in message):
            fail(
                f"the ValueError should name the shape {tuple(batch.shape)}, but its message is "
                f"{raised.message!r}",
                example=example,
                mistake="error_without_shape",
            )
        return
    value = got["value"]
    if type(value) is torch.Tensor and value.shape == batch.shape:
        mistake = "silent_squeeze"
    elif type(value) is torch.Tensor and value.shape == batch.shape[1:]:
        mistake = "index_without_check"
    else:
        mistake = None
    fail(
        f"remove_batch_dim returned a value for a batch of {first} instead of raising ValueError.",
        expected="ValueError",
        got=value,
        example=example,
        mistake=mistake,
    )
