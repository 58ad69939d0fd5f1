"""The wire format between the trusted grader and a worker: plain data only, strictly decoded.

Frames are an 8-byte big-endian length followed by a payload in a small tagged binary format:
None, bool, int, float, str, bytes, list, tuple, dict with str keys, and dense tensors of
numeric dtypes (dtype, shape and raw bytes). Decoding only parses: it never calls anything that
the payload names, unlike unpickling, so a worker (which learner code controls) can send wrong
answers but never objects with behaviour. It is also several times faster than
`torch.save`/`torch.load(weights_only=True)`, which matters at one round trip per example.
"""

from __future__ import annotations

import socket
import struct
from typing import Any

import torch

MAX_FRAME = 64 * 1024 * 1024  # answers are examples, not datasets: a few MB at most
MAX_VALUES = 1_000_000  # scalars and containers per frame (tensor elements not counted)
# Names and messages are for people: a few screens at most. A longer string is cut on both
# sides of the channel, so that a 25 MB exception name costs the grader 64 KiB, not gigabytes.
MAX_TEXT = 64 * 1024
MAX_NAME = 200  # a type or class name
MAX_INT_DIGITS = 4300  # Python's own limit for int(str)
MAX_DIMS = 64  # torch's own limit on a tensor's dimensions
_HEADER = struct.Struct(">Q")
_SCALARS = (type(None), bool, int, float, str, bytes)


class CodecError(Exception):
    """A frame could not be decoded into plain data.

    Cause: the worker sent bytes that are not a payload of plain data in this format (it was
    tampered with, or learner code returned an object that cannot travel). Remedy: none for
    the grader; the check that asked reports the answer as unusable.
    """


class ChannelClosed(Exception):
    """The other end closed the socket before a whole frame arrived."""


def clip(text: str, limit: int = MAX_TEXT) -> str:
    """`text` cut to at most `limit` characters, saying how many were dropped.

    Both sides call it on every name and message: the worker so that honest answers stay small,
    the grader because a tampered worker does not (cutting twice changes nothing).
    """
    if len(text) <= limit:
        return text
    keep = max(limit - 40, limit // 2)
    return text[:keep] + f" [... {len(text) - keep} characters dropped]"


def type_name(kind: type) -> str:
    """`module.QualName` of a class, bounded (a learner can name a class with 25 MB)."""
    try:
        name = f"{kind.__module__}.{kind.__qualname__}"
    except BaseException:  # noqa: BLE001 - a metaclass may make these raise
        name = "<unnamed type>"
    return clip(str(name), MAX_NAME)


def describe(value: Any, kind_name: str | None = None) -> dict[str, Any]:
    """Stand-in for a value that cannot travel: its type name and a short repr."""
    try:
        text = str(repr(value))[:300]
    except BaseException:  # noqa: BLE001 - a learner's __repr__ may raise anything
        text = "<repr failed>"
    name = clip(kind_name, MAX_NAME) if kind_name else type_name(type(value))
    return {"__object__": name, "repr": text}


def to_plain(value: Any, depth: int = 0) -> Any:
    """Worker side: turn a learner's value into plain data, describing whatever is not."""
    if depth > 20:
        return describe(value)
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is torch.Tensor:  # a tensor that cannot travel is shown, with what stops it
        if value.device.type == "meta":
            return describe(value, "torch.Tensor[meta]")
        if value.layout != torch.strided:
            return describe(value, f"torch.Tensor[{str(value.layout).removeprefix('torch.')}]")
        if value.dtype not in _DTYPE_NAMES:
            return describe(value, f"torch.Tensor[{str(value.dtype).removeprefix('torch.')}]")
        return value.detach().cpu()
    if kind in (list, tuple):
        return kind(to_plain(v, depth + 1) for v in value)
    if kind is dict:
        return {str(k): to_plain(v, depth + 1) for k, v in value.items()}
    try:
        import numpy as np

        if kind is np.ndarray:
            if value.dtype.name not in NUMPY_DTYPES or not value.dtype.isnative:
                return describe(value, clip(f"numpy.ndarray[{value.dtype}]", MAX_NAME))
            return {"__ndarray__": torch.from_numpy(value.copy()), "dtype": value.dtype.name}
        if isinstance(value, np.generic):
            return {"__numpy_scalar__": value.item(), "dtype": clip(str(value.dtype), MAX_NAME)}
    except Exception:  # noqa: BLE001 - an exotic array (object dtype) is described instead
        pass
    return describe(value)


_MAX_DEPTH = 40
_INT = struct.Struct("<q")
_FLOAT = struct.Struct("<d")
_COUNT = struct.Struct("<I")
_DIM = struct.Struct("<Q")
_TRAVELLING_DTYPES = (
    "bool uint8 int8 int16 int32 int64 uint16 uint32 uint64 "
    "float16 bfloat16 float32 float64 complex64 complex128"
)
_DTYPES = {n: getattr(torch, n) for n in _TRAVELLING_DTYPES.split() if hasattr(torch, n)}
_DTYPE_NAMES = {dtype: name for name, dtype in _DTYPES.items()}
# NumPy dtypes an array may arrive as: plain numeric ones that torch holds bit for bit. Never a
# structured or subarray dtype: `(5000,5000)f8` would turn a 60-byte answer into 200 MB per value.
NUMPY_DTYPES = frozenset(
    "bool uint8 int8 int16 int32 int64 uint16 uint32 uint64 "
    "float16 float32 float64 complex64 complex128".split()
)


def encode(value: Any) -> bytes:
    """Serialise already-plain data to bytes; CodecError for anything else."""
    out: list[bytes | memoryview] = []
    _encode(value, out, 0)
    return b"".join(out)


def _encode(value: Any, out: list[bytes | memoryview], depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise CodecError(f"data nested more than {_MAX_DEPTH} levels deep")
    kind = type(value)
    if value is None:
        out.append(b"N")
    elif kind is bool:
        out.append(b"T" if value else b"F")
    elif kind is int:
        if -(1 << 63) <= value < 1 << 63:
            out += (b"i", _INT.pack(value))
        else:
            digits = str(value).encode()
            out += (b"I", _COUNT.pack(len(digits)), digits)
    elif kind is float:
        out += (b"f", _FLOAT.pack(value))
    elif kind is str:
        raw = value.encode("utf-8", "surrogatepass")
        out += (b"s", _COUNT.pack(len(raw)), raw)
    elif kind is bytes:
        out += (b"b", _COUNT.pack(len(value)), value)
    elif kind is list or kind is tuple:
        out += (b"l" if kind is list else b"u", _COUNT.pack(len(value)))
        for item in value:
            _encode(item, out, depth + 1)
    elif kind is dict:
        out += (b"d", _COUNT.pack(len(value)))
        for key, item in value.items():
            if type(key) is not str:
                raise CodecError(f"dict key {key!r} of type {type(key).__name__}, expected str")
            _encode(key, out, depth + 1)
            _encode(item, out, depth + 1)
    elif kind is torch.Tensor:
        _encode_tensor(value, out)
    else:
        raise CodecError(f"value of type {kind.__module__}.{kind.__qualname__} is not plain data")


def _encode_tensor(tensor: torch.Tensor, out: list[bytes | memoryview]) -> None:
    name = _DTYPE_NAMES.get(tensor.dtype)
    if name is None or tensor.layout != torch.strided or tensor.device.type == "meta":
        raise CodecError(f"a {tensor.layout} tensor of dtype {tensor.dtype} cannot travel")
    flat = tensor.detach().cpu().resolve_conj().resolve_neg().contiguous().reshape(-1)
    raw = flat.view(torch.uint8).numpy().data  # a memoryview, joined below: one copy, not two
    out += (
        b"t",
        bytes((len(name), tensor.dim(), tensor.requires_grad)),
        name.encode(),
        b"".join(_DIM.pack(n) for n in tensor.shape),
        _DIM.pack(len(raw)),
        raw,
    )


class _Reader:
    """A cursor over a payload that refuses to read past its end, or to build too many values."""

    def __init__(self, payload: bytes | bytearray) -> None:
        self.view = memoryview(payload)
        self.at = 0
        self.values = 0

    def count_value(self) -> None:
        # Bulk data travels in tensors; millions of small values are only a way to fill memory.
        self.values += 1
        if self.values > MAX_VALUES:
            raise CodecError(f"more than {MAX_VALUES} values in one frame")

    def take(self, size: int) -> memoryview:
        end = self.at + size
        if end > len(self.view):
            raise CodecError(f"truncated payload: {size} bytes wanted at offset {self.at}")
        chunk = self.view[self.at : end]
        self.at = end
        return chunk

    def unpack(self, layout: struct.Struct) -> Any:
        return layout.unpack(self.take(layout.size))[0]


def _decode(reader: _Reader, depth: int) -> Any:
    if depth > _MAX_DEPTH:
        raise CodecError(f"data nested more than {_MAX_DEPTH} levels deep")
    reader.count_value()
    tag = bytes(reader.take(1))
    if tag == b"N":
        return None
    if tag in (b"T", b"F"):
        return tag == b"T"
    if tag == b"i":
        return reader.unpack(_INT)
    if tag == b"I":
        size = reader.unpack(_COUNT)
        if size > MAX_INT_DIGITS:
            raise CodecError(f"an integer of {size} digits")
        digits = bytes(reader.take(size))
        if not digits.lstrip(b"-").isdigit():
            raise CodecError(f"malformed integer {digits[:40]!r}")
        return int(digits)
    if tag == b"f":
        return reader.unpack(_FLOAT)
    if tag == b"s":
        return _text(reader.take(reader.unpack(_COUNT)))
    if tag == b"b":
        return bytes(reader.take(reader.unpack(_COUNT)))
    if tag in (b"l", b"u"):
        items = [_decode(reader, depth + 1) for _ in range(reader.unpack(_COUNT))]
        return items if tag == b"l" else tuple(items)
    if tag == b"d":
        result = {}
        for _ in range(reader.unpack(_COUNT)):
            key = _decode(reader, depth + 1)
            if type(key) is not str:
                raise CodecError(f"dict key of type {type(key).__name__}, expected str")
            result[key] = _decode(reader, depth + 1)
        return result
    if tag == b"t":
        return _decode_tensor(reader)
    raise CodecError(f"unknown tag {tag!r} at offset {reader.at - 1}")


def _text(raw: memoryview) -> str:
    """A string from the payload, cut to MAX_TEXT characters' worth before it is decoded."""
    if len(raw) <= 4 * MAX_TEXT:
        return clip(str(raw, "utf-8", "surrogatepass"))
    kept = str(raw[: 4 * MAX_TEXT], "utf-8", "replace")[:MAX_TEXT]
    return f"{kept} [... about {len(raw) - len(kept.encode('utf-8', 'replace'))} bytes dropped]"


def _decode_tensor(reader: _Reader) -> torch.Tensor:
    name_size, ndim, requires_grad = bytes(reader.take(3))
    name = str(reader.take(name_size), "ascii", "replace")
    dtype = _DTYPES.get(name)
    if dtype is None:
        raise CodecError(f"tensor dtype {name[:40]!r} is not one that travels")
    if ndim > MAX_DIMS:
        raise CodecError(f"a tensor of {ndim} dimensions (torch allows {MAX_DIMS})")
    shape = [reader.unpack(_DIM) for _ in range(ndim)]
    size = reader.unpack(_DIM)
    # Checked before anything is allocated: the shape must hold exactly the bytes that follow,
    # which are already in the frame (so at most MAX_FRAME), and no dimension may exceed that
    # even where another is 0 (a (0, 2**63) header would otherwise reach torch.empty).
    if any(n > MAX_FRAME for n in shape):
        raise CodecError(f"a tensor of shape {shape}: a dimension larger than any frame")
    itemsize = _ITEMSIZE[dtype]
    numel = 1
    for n in shape:
        numel *= n
    if size != numel * itemsize:
        raise CodecError(f"tensor of shape {shape} and dtype {name} cannot hold {size} bytes")
    raw = reader.take(size)
    if numel == 0:
        tensor = torch.empty(shape, dtype=dtype)
    elif dtype is torch.bool:  # only 0 and 1 are valid booleans: normalise any other byte
        tensor = torch.frombuffer(bytearray(raw), dtype=torch.uint8).ne(0).reshape(shape)
    else:
        tensor = torch.frombuffer(bytearray(raw), dtype=dtype).reshape(shape)
    if requires_grad:
        if not (dtype.is_floating_point or dtype.is_complex):
            raise CodecError(f"a {name} tensor cannot require gradients")
        tensor.requires_grad_(True)
    return tensor


_ITEMSIZE = {dtype: torch.empty((), dtype=dtype).element_size() for dtype in _DTYPES.values()}


def decode(payload: bytes | bytearray) -> Any:
    """Trusted side: bytes to plain data, or CodecError. Never runs code from the payload."""
    reader = _Reader(payload)
    try:
        value = _decode(reader, 0)
    except CodecError:
        raise
    except RecursionError:
        raise CodecError("data nested too deeply to read") from None
    except Exception as exc:  # noqa: BLE001 - whatever a malformed frame trips is a bad frame
        detail = clip(str(exc), 300)
        raise CodecError(f"not a plain-data frame ({type(exc).__name__}: {detail})") from None
    if reader.at != len(payload):
        raise CodecError(f"{len(payload) - reader.at} bytes left after the value")
    return value


def send_frame(sock: socket.socket, payload: bytes) -> None:
    """Write one length-prefixed frame (header and payload apart: a large one is not copied)."""
    sock.sendall(_HEADER.pack(len(payload)))
    sock.sendall(payload)


def _recv_exact(sock: socket.socket, size: int) -> bytearray:
    """Exactly `size` bytes, read into one buffer (no second copy of a large frame)."""
    buffer = bytearray(size)
    view = memoryview(buffer)
    done = 0
    while done < size:
        got = sock.recv_into(view[done:], min(size - done, 1 << 20))
        if not got:
            raise ChannelClosed("channel closed mid-frame" if done else "channel closed")
        done += got
    return buffer


def recv_frame(sock: socket.socket, limit: int = MAX_FRAME) -> bytearray:
    """Read one length-prefixed frame, refusing frames larger than `limit` bytes."""
    (size,) = _HEADER.unpack(_recv_exact(sock, _HEADER.size))
    if size > limit:
        raise CodecError(f"a frame of {size} bytes is larger than the limit of {limit}")
    return _recv_exact(sock, size)
