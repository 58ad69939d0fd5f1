"""The wire format between the trusted grader and a worker: plain data only, strictly decoded.

Frames are an 8-byte big-endian length followed by a `torch.save` payload. The trusted side
decodes with `torch.load(weights_only=True)` and then walks the result, accepting only exact
built-in types and plain `torch.Tensor`s, so a worker (which learner code controls) can send
wrong answers but never objects with behaviour.
"""

from __future__ import annotations

import io
import socket
import struct
from typing import Any

import torch

MAX_FRAME = 256 * 1024 * 1024
_HEADER = struct.Struct(">Q")
_SCALARS = (type(None), bool, int, float, str, bytes)


class CodecError(Exception):
    """A frame could not be decoded into plain data.

    Cause: the worker sent bytes that are not a `torch.save` payload of plain data (it was
    tampered with, or learner code returned an object that cannot travel). Remedy: none for
    the grader; the check that asked reports the answer as unusable.
    """


class ChannelClosed(Exception):
    """The other end closed the socket before a whole frame arrived."""


def describe(value: Any) -> dict:
    """Stand-in for a value that cannot travel: its type name and a short repr."""
    try:
        text = repr(value)
    except BaseException:  # noqa: BLE001 - a learner's __repr__ may raise anything
        text = "<repr failed>"
    kind = type(value)
    return {"__object__": f"{kind.__module__}.{kind.__qualname__}", "repr": text[:300]}


def to_plain(value: Any, depth: int = 0) -> Any:
    """Worker side: turn a learner's value into plain data, describing whatever is not."""
    if depth > 20:
        return describe(value)
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is torch.Tensor:
        return value.detach().cpu() if value.device.type != "meta" else describe(value)
    if kind in (list, tuple):
        return kind(to_plain(v, depth + 1) for v in value)
    if kind is dict:
        return {str(k): to_plain(v, depth + 1) for k, v in value.items()}
    try:
        import numpy as np

        if kind is np.ndarray:
            return {"__ndarray__": torch.from_numpy(value.copy()), "dtype": str(value.dtype)}
        if isinstance(value, np.generic):
            return {"__numpy_scalar__": value.item(), "dtype": str(value.dtype)}
    except Exception:  # noqa: BLE001 - an exotic array (object dtype) is described instead
        pass
    return describe(value)


def encode(value: Any) -> bytes:
    """Serialise already-plain data to bytes."""
    buffer = io.BytesIO()
    torch.save(value, buffer)
    return buffer.getvalue()


def _check_plain(value: Any, depth: int = 0) -> None:
    if depth > 40:
        raise CodecError("data nested more than 40 levels deep")
    kind = type(value)
    if kind in _SCALARS:
        return
    if kind is torch.Tensor:
        return
    if kind in (list, tuple):
        for item in value:
            _check_plain(item, depth + 1)
        return
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                raise CodecError(f"dict key of type {type(key).__name__}, expected str")
            _check_plain(item, depth + 1)
        return
    raise CodecError(f"value of type {kind.__module__}.{kind.__qualname__} is not plain data")


def decode(payload: bytes) -> Any:
    """Trusted side: bytes to plain data, or CodecError. Never runs code from the payload."""
    try:
        value = torch.load(io.BytesIO(payload), weights_only=True, map_location="cpu")
    except Exception as exc:  # noqa: BLE001 - any failure of the strict unpickler is a bad frame
        raise CodecError(
            f"not a plain-data frame ({type(exc).__name__}: {str(exc)[:200]})"
        ) from None
    _check_plain(value)
    return value


def send_frame(sock: socket.socket, payload: bytes) -> None:
    """Write one length-prefixed frame."""
    sock.sendall(_HEADER.pack(len(payload)) + payload)


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    chunks = []
    remaining = size
    while remaining:
        chunk = sock.recv(min(remaining, 1 << 20))
        if not chunk:
            raise ChannelClosed("channel closed mid-frame" if chunks else "channel closed")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def recv_frame(sock: socket.socket, limit: int = MAX_FRAME) -> bytes:
    """Read one length-prefixed frame, refusing frames larger than `limit` bytes."""
    (size,) = _HEADER.unpack(_recv_exact(sock, _HEADER.size))
    if size > limit:
        raise CodecError(f"frame of {size} bytes is larger than the limit of {limit}")
    return _recv_exact(sock, size)
