"""The messages between the judge and a submission's process (grader.classroom.remote,
grader/portable/worker.py): trees of None, bool, int, float, str, bytes, list, tuple, dict
(str keys) and dense CPU tensors, framed as

    size of the rest (8 bytes) | size of the header (8 bytes) | JSON header | tensor bytes

The header holds the tree, a tensor in it as {"T": [dtype, shape, offset]} of its
raw bytes after the header, bytes as {"B": [offset, size]}. Reading a message runs nothing it holds: it parses
JSON and copies bytes into tensors of the dtypes below, and refuses anything
else (ValueError). Sent to the worker as source, like grader/portable/seam.py: only the
standard library and torch here.
"""
import ctypes
import json
import math
import struct

import torch

def dtype_name(dtype):
    """torch.float32 -> "float32"."""
    return str(dtype).removeprefix("torch.")


DTYPES = {dtype_name(dtype): dtype for dtype in (
    torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.complex64,
    torch.complex128, torch.uint8, torch.uint16, torch.uint32, torch.uint64, torch.int8,
    torch.int16, torch.int32, torch.int64, torch.bool)}
# Tensor bytes start at multiples of this, so that each can be read in place.
ALIGN = 16
SIZE = struct.Struct("<Q")


def sendable(tensor):
    """Whether a message can hold `tensor` (else a worker describes it in words)."""
    return (tensor.device.type == "cpu" and tensor.layout == torch.strided
            and dtype_name(tensor.dtype) in DTYPES)


def encode(message):
    """The bytes of `message`, framed; TypeError for what a message cannot hold."""
    chunks, offset = [], 0  # the tensors' bytes, and where the next one starts

    def plain(value):
        nonlocal offset
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, list):
            return {"L": [plain(v) for v in value]}
        if isinstance(value, tuple):
            return {"U": [plain(v) for v in value]}
        if isinstance(value, dict) and all(isinstance(k, str) for k in value):
            return {"D": [[k, plain(v)] for k, v in value.items()]}
        if isinstance(value, bytes):
            chunks.append(value)
            node = {"B": [offset, len(value)]}
            offset += len(value)
            return node
        if isinstance(value, torch.Tensor) and sendable(value):
            tensor = value.detach().resolve_conj().resolve_neg().contiguous()
            size = tensor.numel() * tensor.element_size()
            padding = -offset % ALIGN
            data = ctypes.string_at(tensor.data_ptr(), size) if size else b""
            chunks.extend([bytes(padding), data])
            offset += padding
            node = {"T": [dtype_name(tensor.dtype), list(tensor.shape), offset]}
            offset += size
            return node
        raise TypeError(f"a message cannot hold {type(value).__name__}")

    header = json.dumps(plain(message), separators=(",", ":")).encode()
    # One join: a large body (Fashion-MNIST's training set) is copied once, not at each step.
    return b"".join([SIZE.pack(SIZE.size + len(header) + offset), SIZE.pack(len(header)),
                     header, *chunks])


def decode(body):
    """The message in `body` (a bytearray: its tensors are read in place, so they
    keep it); ValueError if it is not one."""
    if len(body) < SIZE.size:
        raise ValueError("no header")
    size, = SIZE.unpack_from(body)
    start = SIZE.size + size
    data = memoryview(body)[start:]

    def tensor(dtype, shape, offset):
        if dtype not in DTYPES or not all(type(n) is int and n >= 0 for n in shape) \
                or type(offset) is not int or offset < 0:
            raise ValueError("not a tensor")
        dtype, count = DTYPES[dtype], math.prod(shape)
        if offset + count * dtype.itemsize > len(data):
            raise ValueError("a tensor beyond the message")
        if not count:
            return torch.empty(shape, dtype=dtype)
        return torch.frombuffer(data, dtype=dtype, count=count, offset=offset).reshape(shape)

    def node(obj):
        if len(obj) != 1:
            raise ValueError("not a node")
        (tag, value), = obj.items()
        if tag == "T" and isinstance(value, list) and len(value) == 3 \
                and isinstance(value[1], list):
            return tensor(*value)
        if tag == "B" and isinstance(value, list) and len(value) == 2 and all(
                type(n) is int and n >= 0 for n in value) and sum(value) <= len(data):
            return bytes(data[value[0]:sum(value)])
        if tag in ("L", "U") and isinstance(value, list):
            return value if tag == "L" else tuple(value)
        if tag == "D" and isinstance(value, list) and all(
                isinstance(p, list) and len(p) == 2 and isinstance(p[0], str) for p in value):
            return dict(value)
        raise ValueError(f"not a node: {tag!r}")

    return json.loads(bytes(body[SIZE.size:start]), object_hook=node)


def read(stream):
    """The next message from a binary stream; EOFError at its end."""
    header = stream.read(SIZE.size)
    if len(header) < SIZE.size:
        raise EOFError
    body = bytearray(SIZE.unpack(header)[0])
    view, done = memoryview(body), 0
    while done < len(body):
        got = stream.readinto(view[done:])
        if not got:
            raise EOFError
        done += got
    return decode(body)


def write(stream, message):
    stream.write(encode(message))
    stream.flush()
