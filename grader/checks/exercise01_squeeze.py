"""Hidden checks for exercise 1: add_batch_dim and remove_batch_dim.

The worked example of docs/authoring.md: every learner-facing word is in
exercise01_squeeze.toml, said with `say(key, **fields)`; the grader writes the
"expected:" / "got:" lines from `fail(..., expected=, got=)`.
"""

import torch
from hypothesis import given
from hypothesis import strategies as st

from grader.checking import Code, check, expect_same, expect_type, fail, messages
from grader.sandbox.proxy import LearnerRaised

say = messages(__name__)

dims = st.integers(1, 4)
dtypes = st.sampled_from([torch.float32, torch.float64, torch.int64])


def make(shape: tuple[int, ...], dtype: torch.dtype, seed: int) -> torch.Tensor:
    """A tensor of `shape` with small whole values (seed 0: 1, 2, 3, ... so a wrong view shows)."""
    if seed == 0:
        return torch.arange(1, 1 + torch.Size(shape).numel()).reshape(shape).to(dtype)
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(-9, 10, shape, generator=generator).to(dtype)


def expect_input_kept(got: dict, given: torch.Tensor, name: str, example: dict) -> None:
    """Fail when the caller's tensor changed shape: an in-place unsqueeze_/squeeze_."""
    if got.get("input_shape") != list(given.shape):
        fail(
            say("input_changed", name=name),
            expected=list(given.shape),
            got=got.get("input_shape"),
            example=example,
            mistake="changed_input_in_place",
        )


def expect_device_kept(got: dict, device: str, name: str, example: dict) -> None:
    """Fail when the result moved off the input's device."""
    if got["device"] != device:
        fail(
            say("moved_device", name=name),
            expected=Code(device),
            got=Code(str(got["device"])),
            example=example,
            mistake="moved_device",
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
    expect_device_kept(got, device, "add_batch_dim", example)
    expect_input_kept(got, image, "add_batch_dim", example)


@check("add_batch_dim_view", devices="all")
@given(c=dims, h=dims, w=dims, dtype=dtypes, seed=st.integers(0, 99))
def test_add_batch_dim_view(learner, device, c, h, w, dtype, seed):
    image = make((c, h, w), dtype, seed)
    got = learner.probe("add_batch_dim", image=image, device=device)
    if not got["is_view"]:
        fail(say("copy_not_view"), example={"image": image}, mistake="copy_not_view")


@check("remove_batch_dim_shape", devices="all")
@given(shape=st.lists(dims, min_size=0, max_size=3), dtype=dtypes, seed=st.integers(0, 99))
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
    expect_device_kept(got, device, "remove_batch_dim", example)
    expect_input_kept(got, batch, "remove_batch_dim", example)


@check("remove_batch_dim_rejects", devices="all")
@given(
    first=st.integers(2, 4), shape=st.lists(dims, min_size=0, max_size=2), seed=st.integers(0, 99)
)
def test_remove_batch_dim_rejects(learner, device, first, shape, seed):
    batch = make((first, *shape), torch.float32, seed)
    example = {"batch": batch}
    try:
        got = learner.probe("remove_batch_dim", batch=batch, device=device)
    except LearnerRaised as raised:
        if raised.is_a("AssertionError"):
            fail(say("assert_not_raise"), example=example, mistake="assert_not_raise")
        if not raised.is_a("ValueError"):
            fail(
                say("wrong_exception"),
                expected=Code("ValueError"),
                got=Code(raised.type_name),
                example=example,
                mistake="wrong_exception",
            )
        dims_text = [str(d) for d in batch.shape]
        message = raised.message.replace(" ", "")
        if not (",".join(dims_text) in message or "x".join(dims_text) in message):
            fail(
                say("error_without_shape", shape=str(tuple(batch.shape))),
                got=raised.message,
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
        say("returned_instead_of_raising", first=first),
        expected=Code("ValueError"),
        got=value,
        example=example,
        mistake=mistake,
    )
