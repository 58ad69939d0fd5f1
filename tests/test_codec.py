"""The wire format carries plain data exactly and refuses everything else with CodecError."""

from __future__ import annotations

import math
import pickle
import socket
import struct

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from grader.sandbox import codec

DTYPES = [
    torch.bool,
    torch.uint8,
    torch.int8,
    torch.int16,
    torch.int32,
    torch.int64,
    torch.float16,
    torch.bfloat16,
    torch.float32,
    torch.float64,
    torch.complex64,
    torch.complex128,
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(),
    st.binary(),
)
plain = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(st.text(max_size=5), inner, max_size=4),
    ),
    max_leaves=20,
)


@given(plain)
def test_plain_data_round_trips_with_exact_types(value) -> None:
    back = codec.decode(codec.encode(value))
    assert back == value
    assert repr(back) == repr(value)  # tuples stay tuples, bools stay bools


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_tensors_round_trip_with_dtype_shape_and_values(dtype: torch.dtype) -> None:
    source = (torch.arange(24, dtype=torch.float64).reshape(2, 3, 4) - 7).to(dtype)
    view = source.transpose(0, 2)[1:]  # not contiguous, with a storage offset
    for tensor in (source, view, source[0, 0, 0], source[:0]):
        back = codec.decode(codec.encode(tensor))
        assert type(back) is torch.Tensor
        assert back.dtype == tensor.dtype and back.shape == tensor.shape
        assert torch.equal(back, tensor)


def test_special_floats_and_huge_integers_round_trip() -> None:
    value = [math.inf, -math.inf, -0.0, 2**200, -(2**64), "\ud800 lone surrogate"]
    back = codec.decode(codec.encode(value))
    assert back[:2] == value[:2] and math.copysign(1, back[2]) == -1
    assert back[3:] == value[3:]
    assert math.isnan(codec.decode(codec.encode(math.nan)))
    nan = codec.decode(codec.encode(torch.tensor([math.nan, 1.0])))
    assert math.isnan(nan[0]) and nan[1] == 1


def test_requires_grad_travels_for_requests() -> None:
    leaf = torch.ones(2, requires_grad=True)
    back = codec.decode(codec.encode({"x": leaf, "y": leaf * 2}))
    assert back["x"].requires_grad and back["y"].requires_grad
    assert back["x"].grad_fn is None and back["y"].grad_fn is None


@pytest.mark.parametrize(
    "value",
    [
        {1: "int key"},
        object(),
        torch.nn.Parameter(torch.ones(1)),
        torch.ones(2).to_sparse(),
        np.float64(1.0),
    ],
    ids=["int_key", "object", "parameter", "sparse", "numpy_scalar"],
)
def test_encode_refuses_what_is_not_plain(value) -> None:
    with pytest.raises(codec.CodecError):
        codec.encode(value)


def deeply_nested(depth: int) -> bytes:
    return b"l\x01\x00\x00\x00" * depth + b"N"


@pytest.mark.parametrize(
    ("payload", "says"),
    [
        (pickle.dumps(print), "unknown tag"),
        (b"", "truncated"),
        (b"s\xff\x00\x00\x00abc", "truncated"),
        (b"NN", "left after"),
        (deeply_nested(41), "nested"),
        (b"d\x01\x00\x00\x00i" + struct.pack("<q", 1) + b"N", "dict key"),
        (b"I\x03\x00\x00\x001e5", "malformed integer"),
        (b"t\x08\x01\x00float128" + struct.pack("<QQ", 1, 16) + bytes(16), "dtype"),
        (b"t\x07\x01\x00float32" + struct.pack("<QQ", 2, 4) + bytes(4), "cannot hold"),
        (b"t\x05\x01\x01int64" + struct.pack("<QQ", 1, 8) + bytes(8), "gradients"),
        (b"s\x01\x00\x00\x00\xff", "not a plain-data frame"),
        (b"t\x07\x02\x00float32" + struct.pack("<QQQ", 0, 2**63, 0), "larger than any frame"),
        (b"t\x07\x41\x00float32" + struct.pack("<Q", 1) * 66, "dimensions"),
        (b"I" + struct.pack("<I", 5000) + b"9" * 5000, "digits"),
        (b"t\x07\x01\x00float32" + struct.pack("<QQ", 2**20, 2**64 - 1), "cannot hold"),
    ],
    ids=[
        "pickle",
        "empty",
        "short_string",
        "trailing",
        "too_deep",
        "int_key",
        "bad_integer",
        "unknown_dtype",
        "size_mismatch",
        "int_requires_grad",
        "bad_utf8",
        "zero_by_2_63",
        "too_many_dims",
        "huge_integer",
        "impossible_size",
    ],
)
def test_decode_refuses_malformed_payloads(payload: bytes, says: str) -> None:
    with pytest.raises(codec.CodecError, match=says):
        codec.decode(payload)


def test_decode_refuses_floods_of_small_values() -> None:
    many = b"l" + struct.pack("<I", codec.MAX_VALUES) + b"N" * codec.MAX_VALUES
    with pytest.raises(codec.CodecError, match="more than"):
        codec.decode(many)
    assert len(codec.decode(codec.encode(list(range(1000))))) == 1000


def test_decode_normalises_invalid_booleans() -> None:
    payload = b"t\x04\x01\x00bool" + struct.pack("<QQ", 3, 3) + bytes([0, 1, 7])
    back = codec.decode(payload)
    assert back.tolist() == [False, True, True]
    assert back.view(torch.uint8).tolist() == [0, 1, 1]


def test_to_plain_describes_objects_with_behaviour() -> None:
    class Liar(torch.Tensor):
        def __eq__(self, other):
            return True

    value = {
        "subclass": torch.zeros(1).as_subclass(Liar),
        "sparse": torch.ones(2).to_sparse(),
        "meta": torch.ones(2, device="meta"),
        "float8": torch.ones(2).to(torch.float8_e4m3fn),
        "array": np.arange(3, dtype=np.int16),
        "scalar": np.float32(1.5),
        ("tuple", "key"): 1,
    }
    plain_value = codec.decode(codec.encode(codec.to_plain(value)))
    for name in ("subclass", "sparse", "meta"):
        assert set(plain_value[name]) == {"__object__", "repr"}, name
    assert plain_value["sparse"]["__object__"] == "torch.Tensor[sparse_coo]"
    assert plain_value["meta"]["__object__"] == "torch.Tensor[meta]"
    assert plain_value["float8"]["__object__"] == "torch.Tensor[float8_e4m3fn]"
    assert plain_value["array"]["dtype"] == "int16"
    assert plain_value["array"]["__ndarray__"].tolist() == [0, 1, 2]
    assert plain_value["scalar"] == {"__numpy_scalar__": 1.5, "dtype": "float32"}
    assert plain_value["('tuple', 'key')"] == 1


def test_frames_travel_and_oversized_frames_are_refused() -> None:
    left, right = socket.socketpair()
    with left, right:
        codec.send_frame(left, codec.encode({"x": torch.ones(3)}))
        assert torch.equal(codec.decode(codec.recv_frame(right))["x"], torch.ones(3))
        codec.send_frame(left, b"x" * 100)
        with pytest.raises(codec.CodecError, match="larger than the limit of 10"):
            codec.recv_frame(right, limit=10)
    left, right = socket.socketpair()
    with right:
        left.sendall(b"\x00\x00")
        left.close()
        with pytest.raises(codec.ChannelClosed, match="mid-frame"):
            codec.recv_frame(right)


def test_decode_cuts_long_strings_before_building_them() -> None:
    name = "E" * 25_000_000
    back = codec.decode(codec.encode({"type": name}))["type"]
    assert len(back) <= codec.MAX_TEXT + 60 and "dropped" in back
    assert codec.decode(codec.encode("short")) == "short"


def test_clip_bounds_text_and_cutting_twice_changes_nothing() -> None:
    once = codec.clip("x" * 10_000, 200)
    assert len(once) <= 200 and once.endswith("characters dropped]")
    assert codec.clip(once, 200) == once
    assert codec.clip("short", 200) == "short"


def test_to_plain_bounds_type_names_and_describes_exotic_arrays() -> None:
    huge = type("C" * 1_000_000, (), {})
    described = codec.to_plain(huge())
    assert len(described["__object__"]) <= codec.MAX_NAME
    structured = np.zeros(2, dtype=[("a", "f8"), ("b", "i4")])
    assert set(codec.to_plain(structured)) == {"__object__", "repr"}
    assert set(codec.to_plain(np.zeros(2, dtype=">f8"))) == {"__object__", "repr"}
