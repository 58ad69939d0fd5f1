"""Hidden checks for exercise 5: eval and train transforms, pad_to_square, to_image.

Images travel as uint8 (H, W, 3) tensors. The eval reference is torchvision's own Compose,
built here; the random train transform is judged by properties only (shape, range, exact
normalization of constant images, varying crops, horizontal flips, reproducibility under a
torch seed), never by one particular sequence of random draws.
"""

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812
import torchvision.transforms as T  # noqa: N812
import torchvision.transforms.functional as TF  # noqa: N812
from hypothesis import example, given
from hypothesis import strategies as st
from PIL import Image

from grader.checking import (
    Code,
    check,
    expect_type,
    fail,
    messages,
    probe_naming_errors,
    same,
    which_mistake,
)

say = messages(__name__)

HALF = [0.5, 0.5, 0.5]
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
TOLERANCE = 1e-6
# Two predictions that differ by float rounding only (e.g. normalize-then-resize) still match.
PREDICTION_TOLERANCE = 1e-4

sides = st.integers(1, 64)
sizes = st.integers(8, 32)
kinds = st.sampled_from(["noise", "smooth", "ramp"])
seeds = st.integers(0, 9999)

# Learner exceptions that are themselves the evidence of a known mistake.
KNOWN_ERRORS = {
    "should be Tensor Image": "normalize_before_to_tensor",
    "should be a float tensor": "uint8_not_float",
    "is larger than input image size": "random_crop_not_resized",
}


def make_image(h: int, w: int, kind: str, seed: int) -> torch.Tensor:
    """uint8 (h, w, 3) pixels: noise, a smooth random picture, or ramps (R along x, G along y)."""
    generator = torch.Generator().manual_seed(seed)
    noise = torch.randint(0, 256, (h, w, 3), generator=generator, dtype=torch.uint8)
    if kind == "noise":
        return noise
    if kind == "smooth":
        coarse = torch.rand((1, 3, 3, 3), generator=generator) * 255
        field = F.interpolate(coarse, size=(h, w), mode="bilinear", align_corners=False)[0]
        blend = field.permute(1, 2, 0) * 0.9 + noise.float() * 0.1
        return blend.round().clamp(0, 255).to(torch.uint8)
    xs = torch.linspace(0, 255, w).round().view(1, w).expand(h, w)
    ys = torch.linspace(0, 255, h).round().view(h, 1).expand(h, w)
    return torch.stack([xs, ys, noise[..., 2].float()], dim=-1).to(torch.uint8)


def pil(pixels: torch.Tensor) -> Image.Image:
    """The RGB PIL image of uint8 (H, W, 3) pixels, built here as the probe builds it."""
    return Image.fromarray(pixels.contiguous().numpy())


def reference_eval(pixels: torch.Tensor, size: int) -> torch.Tensor:
    """The contract's evaluation transform, computed by torchvision itself."""
    transform = T.Compose(
        [T.Resize(size), T.CenterCrop(size), T.ToTensor(), T.Normalize(HALF, HALF)]
    )
    return transform(pil(pixels))


def eval_predictions(pixels: torch.Tensor, size: int) -> list[tuple[str, torch.Tensor]]:
    """What each known mistake of eval_transform would return for this image."""
    fit = [T.Resize(size), T.CenterCrop(size)]
    to_unit = [T.ToTensor(), T.Normalize(HALF, HALF)]
    pipelines = [
        ("resize_distorts", [T.Resize((size, size)), *to_unit]),
        ("missing_center_crop", [T.Resize(size), *to_unit]),
        ("crop_without_resize", [T.CenterCrop(size), *to_unit]),
        ("not_normalized", [*fit, T.ToTensor()]),
        ("imagenet_stats", [*fit, T.ToTensor(), T.Normalize(IMAGENET_MEAN, IMAGENET_STD)]),
        ("resize_after_to_tensor", [T.ToTensor(), *fit, to_unit[1]]),
    ]
    img = pil(pixels)
    return [(name, T.Compose(steps)(img)) for name, steps in pipelines]


def first_difference(got: torch.Tensor, want: torch.Tensor, tolerance: float) -> tuple[int, ...]:
    """The index where two same-shaped tensors first differ by more than `tolerance`."""
    where = ((got.double() - want.double()).abs() > tolerance).nonzero()
    return tuple(where[0].tolist()) if len(where) else tuple(0 for _ in got.shape)


def run(learner, probe: str, example: dict, **kwargs) -> Any:
    """The probe's answer (plain data); an exception that only a known mistake raises fails with its name."""
    return probe_naming_errors(learner, probe, example, KNOWN_ERRORS, **kwargs)


@check("eval_matches_reference", devices="any")
@given(h=sides, w=sides, size=sizes, kind=kinds, seed=seeds)
@example(h=1, w=40, size=16, kind="smooth", seed=1)
@example(h=40, w=1, size=16, kind="noise", seed=2)
@example(h=5, w=7, size=24, kind="smooth", seed=3)
def test_eval_matches_reference(learner, h, w, size, kind, seed):
    pixels = make_image(h, w, kind, seed)
    shown = {"image (H, W, 3)": pixels, "size": size}
    got = run(learner, "eval_transform", shown, pixels=pixels, size=size)
    value = expect_type(got, torch.Tensor, f"eval_transform({size})(img)", shown)
    want = reference_eval(pixels, size)
    if same(value, want, rtol=0, atol=TOLERANCE):
        return
    mistake = which_mistake(
        value, eval_predictions(pixels, size), rtol=0, atol=PREDICTION_TOLERANCE
    )
    if value.shape != want.shape:
        fail(
            say("eval_shape", size=size, w=w, h=h),
            expected=tuple(want.shape),
            got=tuple(value.shape),
            mistake=mistake,
            example=shown,
        )
    if value.dtype != want.dtype:
        fail(
            say("eval_dtype", size=size, w=w, h=h),
            expected=Code(str(want.dtype)),
            got=Code(str(value.dtype)),
            mistake=mistake,
            example=shown,
        )
    worst = (value - want).abs().max().item()
    index = first_difference(value, want, TOLERANCE)
    fail(
        say(
            "eval_values",
            size=size,
            w=w,
            h=h,
            worst=f"{worst:.3g}",
            allowed=f"{TOLERANCE:g}",
            index=", ".join(str(i) for i in index),
        ),
        expected=want[index].item(),
        got=value[index].item(),
        mistake=mistake,
        example=shown,
    )


def train_outputs(got: list, size: int, shown: dict) -> list[torch.Tensor]:
    """The train outputs after checking each is a float32 (3, size, size) tensor."""
    outs = []
    for out in got:
        value = expect_type(out, torch.Tensor, f"train_transform({size})(img)", shown)
        if value.shape != (3, size, size) or value.dtype != torch.float32:
            fail(
                say("train_output", size=size),
                expected=Code(f"{(3, size, size)}, torch.float32"),
                got=Code(f"{tuple(value.shape)}, {value.dtype}"),
                example=shown,
            )
        outs.append(value)
    return outs


def train_runs(
    learner, shown: dict, pixels, size: int, seed: int, calls: int, repeat: bool = False
):
    """Checked outputs of `calls` calls of train_transform(size) after a seed (twice if repeat)."""
    got = run(
        learner,
        "train_transform",
        shown,
        pixels=pixels,
        size=size,
        seed=seed,
        calls=calls,
        repeat=repeat,
    )
    first = train_outputs(got["first"], size, shown)
    return first, train_outputs(got["second"], size, shown) if repeat else None


@check("train_shape_range", devices="any")
@given(h=sides, w=sides, size=sizes, kind=kinds, seed=seeds)
@example(h=1, w=40, size=16, kind="ramp", seed=1)
@example(h=6, w=5, size=32, kind="noise", seed=2)
def test_train_shape_range(learner, h, w, size, kind, seed):
    pixels = make_image(h, w, kind, seed)
    shown = {"image (H, W, 3)": pixels, "size": size}
    first, _ = train_runs(learner, shown, pixels, size, seed, 3)
    for value in first:
        low, high = value.min().item(), value.max().item()
        if low < -1 - TOLERANCE or high > 1 + TOLERANCE:
            fail(
                say("train_range", size=size, low=f"{low:.4g}", high=f"{high:.4g}"),
                example=shown,
                mistake="imagenet_stats" if low < -1.5 or high > 1.5 else None,
            )


@check("train_normalized", devices="any")
@given(
    h=sides,
    w=sides,
    size=sizes,
    color=st.tuples(*[st.integers(0, 255)] * 3),
    seed=seeds,
)
def test_train_normalized(learner, h, w, size, color, seed):
    # Any crop and flip of a one-colour image is that colour: the output is known exactly.
    pixels = torch.tensor(color, dtype=torch.uint8).view(1, 1, 3).expand(h, w, 3).contiguous()
    shown = {"img": Code(f"Image.new('RGB', ({w}, {h}), {color})"), "size": size}
    first, _ = train_runs(learner, shown, pixels, size, seed, 3)
    unit = torch.tensor(color, dtype=torch.float32).div(255).view(3, 1, 1).expand(3, size, size)
    want = T.Normalize(HALF, HALF)(unit.contiguous())
    predictions = [
        ("not_normalized", unit.contiguous()),
        ("imagenet_stats", T.Normalize(IMAGENET_MEAN, IMAGENET_STD)(unit.contiguous())),
    ]
    for value in first:
        if not same(value, want, rtol=0, atol=TOLERANCE):
            if value.shape == want.shape:
                _, row, column = first_difference(value, want, TOLERANCE)
            else:
                row, column = 0, 0
            fail(
                say("one_colour", color=str(color), row=row, column=column),
                expected=want[:, row, column],
                got=value[:, row, column] if value.shape == want.shape else value,
                mistake=which_mistake(value, predictions, rtol=0, atol=PREDICTION_TOLERANCE),
                example=shown,
            )


structured = {
    "h": st.integers(24, 64),
    "w": st.integers(24, 64),
    "size": sizes,
    "kind": st.sampled_from(["smooth", "ramp"]),
    "seed": seeds,
}


def same_up_to_flip(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Whether two outputs show the same crop, perhaps mirrored."""
    return same(a, b, rtol=0, atol=TOLERANCE) or same(a, b.flip(-1), rtol=0, atol=TOLERANCE)


@check("train_random_crop", devices="any")
@given(**structured)
def test_train_random_crop(learner, h, w, size, kind, seed):
    pixels = make_image(h, w, kind, seed)
    shown = {"image (H, W, 3)": pixels, "size": size}
    outs, _ = train_runs(learner, shown, pixels, size, seed, 8)
    if all(same_up_to_flip(outs[0], other) for other in outs[1:]):
        fail(
            say("same_crop", size=size, w=w, h=h),
            example=shown,
            mistake="same_crop_every_call",
        )


def orientation(out: torch.Tensor) -> tuple[float, float]:
    """How much the ramps rise left to right (red) and top to bottom (green) in an output."""
    half = out.shape[-1] // 2
    red, green = out[0], out[1]
    across = (red[:, -half:].mean() - red[:, :half].mean()).item()
    down = (green[-half:, :].mean() - green[:half, :].mean()).item()
    return across, down


@check("train_flips", devices="any")
@given(h=st.integers(24, 64), w=st.integers(24, 64), size=sizes, seed=seeds)
def test_train_flips(learner, h, w, size, seed):
    # Red rises left to right and green top to bottom in every crop: the sign tells a flip.
    pixels = make_image(h, w, "ramp", seed)
    ramps = f"R = x * 255 / {w - 1}, G = y * 255 / {h - 1}, B = noise"
    shown = {"img": Code(f"{w} x {h} (W x H): {ramps}"), "size": size}
    calls = 20
    outs, _ = train_runs(learner, shown, pixels, size, seed, calls)
    signs = [orientation(out) for out in outs]
    clear = 2 / 255  # a mean difference above rounding noise
    if any(down < -clear for _, down in signs):
        fail(
            say("vertical_flip"),
            example=shown,
            mistake="vertical_flip",
        )
    mirrored = sum(across < -clear for across, _ in signs)
    upright = sum(across > clear for across, _ in signs)
    if mirrored == 0:
        fail(
            say("no_flip", calls=calls),
            example=shown,
            mistake="no_flip",
        )
    if upright == 0:
        fail(
            say("always_flips", calls=calls),
            example=shown,
            mistake="always_flips",
        )


@check("train_reproducible", devices="any")
@given(**structured)
def test_train_reproducible(learner, h, w, size, kind, seed):
    pixels = make_image(h, w, kind, seed)
    shown = {"image (H, W, 3)": pixels, "size": size, "torch seed": seed}
    first, second = train_runs(learner, shown, pixels, size, seed, 16, repeat=True)
    for i, (a, b) in enumerate(zip(first, second, strict=True)):
        if not same(a, b, rtol=0, atol=0):
            fail(
                say("not_reproducible", seed=seed, call=i + 1),
                example=shown,
                mistake="not_torch_rng",
            )


def padded(pixels: torch.Tensor, side: int, left: int, top: int, fill: int) -> torch.Tensor:
    """A side x side canvas of `fill` with `pixels` placed at (left, top)."""
    h, w, _ = pixels.shape
    canvas = torch.full((side, side, 3), fill, dtype=torch.uint8)
    canvas[top : top + h, left : left + w] = pixels
    return canvas


def expect_image(got: dict, what: str, shown: dict) -> None:
    """Fail unless the probe saw an RGB PIL image."""
    if got["is_image"] and got["mode"] != "RGB":
        fail(say("not_rgb", what=what, mode=str(got["mode"])), example=shown)
    if not got["is_image"]:
        fail(say("not_an_image", what=what, kind=str(got["type"])), example=shown)


pad_sides = st.integers(1, 40)
fills = st.one_of(st.none(), st.integers(0, 255))


@check("pad_square", devices="any")
@given(h=pad_sides, w=pad_sides, kind=kinds, seed=seeds, fill=fills)
def test_pad_square(learner, h, w, kind, seed, fill):
    pixels = make_image(h, w, kind, seed)
    shown = {"img": Code(f"{w} x {h} (W x H)"), "fill": fill}
    got = run(learner, "pad_to_square", shown, pixels=pixels, fill=fill)
    expect_image(got, "pad_to_square", shown)
    side = max(h, w)
    size = tuple(got["size"])
    if size != (side, side):
        if size == (w + side - h, h + side - w):
            mistake = "size_is_width_height"
        elif (h + w) % 2 and size in ((side - 1, side), (side, side - 1)):
            mistake = "odd_padding_lost"
        else:
            mistake = None
        fail(
            say("pad_size", w=w, h=h),
            expected=(side, side),
            got=size,
            example=shown,
            mistake=mistake,
        )
    if not got["input_kept"]:
        fail(say("pad_changed_input"), example=shown)


@check("pad_centered", devices="any")
@given(h=pad_sides, w=pad_sides, kind=kinds, seed=seeds, fill=fills)
@example(h=3, w=8, kind="noise", seed=0, fill=200)
@example(h=9, w=4, kind="noise", seed=0, fill=None)
def test_pad_centered(learner, h, w, kind, seed, fill):
    pixels = make_image(h, w, kind, seed)
    shown = {"img": Code(f"{w} x {h} (W x H)"), "fill": fill}
    got = run(learner, "pad_to_square", shown, pixels=pixels, fill=fill)
    expect_image(got, "pad_to_square", shown)
    side = max(h, w)
    left, top = (side - w) // 2, (side - h) // 2  # the odd extra pixel goes right or bottom
    colour = 0 if fill is None else fill
    want = padded(pixels, side, left, top, colour)
    value = got["pixels"]
    if same(value, want):
        return
    predictions = [
        ("one_sided_padding", padded(pixels, side, 0, 0, colour)),
        ("one_sided_padding", padded(pixels, side, side - w, side - h, colour)),
        ("odd_extra_on_wrong_side", padded(pixels, side, side - w - left, side - h - top, colour)),
        ("fill_ignored", padded(pixels, side, left, top, 0) if colour else None),
    ]
    fail(
        say("pad_placement", w=w, h=h, left=left, top=top, side=side, colour=colour),
        expected=want,
        got=value,
        mistake=which_mistake(value, predictions),
        example=shown,
    )


@check("to_image_roundtrip", devices="all")
@given(size=sizes, kind=kinds, seed=seeds)
def test_to_image_roundtrip(learner, device, size, kind, seed):
    pixels = make_image(size, size, kind, seed)
    t = reference_eval(pixels, size)
    shown = {"t": Code(f"eval_transform({size})(img)  # img: {size} x {size} RGB")}
    # Image.fromarray's "Cannot handle this data type: (1, 1, W), |u1" is a uint8 array of the
    # wrong layout; with another dtype (<f4) it is a float array.
    known = {"|u1": "channels_first", "Cannot handle this data type": "float_array_to_pil"}
    got = probe_naming_errors(learner, "to_image", shown, known, t=t, device=device)
    expect_image(got, "to_image", shown)
    if tuple(got["size"]) != (size, size):
        fail(say("to_image_size"), expected=(size, size), got=tuple(got["size"]), example=shown)
    value = got["pixels"]
    error = (value.int() - pixels.int()).abs()
    if error.max() <= 1:
        return
    exact = (t * 0.5 + 0.5) * 255
    predictions = {
        "not_unnormalized": torch.from_numpy(np.array(TF.to_pil_image(t))),
        "forgot_255": (t * 0.5 + 0.5).to(torch.uint8).permute(1, 2, 0),
    }
    # Within one grey level of a prediction counts as that mistake, as for the answer itself.
    mistake = which_mistake(value.float(), {k: v.float() for k, v in predictions.items()}, 0, 1)
    row, column, _ = first_difference(value, pixels, 1)
    fail(
        say("to_image_values", worst=int(error.max().item()), row=row, column=column),
        expected=exact.round().to(torch.uint8).permute(1, 2, 0)[row, column],
        got=value[row, column],
        mistake=mistake,
        example=shown,
    )


@check("to_image_gpu", devices="emulated")
@given(size=st.integers(1, 12), seed=seeds)
def test_to_image_gpu(learner, size, seed):
    pixels = make_image(size, size, "smooth", seed)
    t = reference_eval(pixels, size)
    shown = {"t": Code(f"eval_transform({size})(img).cuda()  # img: {size} x {size} RGB")}
    got = probe_naming_errors(learner, "to_image_emulated", shown, {"cuda": "numpy_on_gpu"}, t=t)
    expect_image(got, "to_image", shown)
    if (got["pixels"].int() - pixels.int()).abs().max() > 1:
        fail(say("to_image_gpu"), example=shown)


def is_square_image(shape: object) -> bool:
    """Whether a reported shape is (3, s, s) for some s: a transform with another default size."""
    return type(shape) is tuple and len(shape) == 3 and shape[0] == 3 and shape[1] == shape[2]


@check("default_arguments", devices="any")
@given(h=st.integers(8, 40), w=st.integers(8, 40), seed=seeds)
def test_default_arguments(learner, h, w, seed):
    pixels = make_image(h, w, "smooth", seed)
    shown = {"img": Code(f"{w} x {h} (W x H)")}
    got = run(learner, "defaults", shown, pixels=pixels)
    for name in ("eval", "train"):
        if got[name] != (3, 224, 224):
            fail(
                say("default_size", name=name),
                expected=(3, 224, 224),
                got=got[name],
                example=shown,
                mistake="wrong_default_size" if is_square_image(got[name]) else None,
            )
