"""The messages between the judge and a submission's process (grader.portable.wire): what
is sent is what arrives, and reading a message that is not one refuses it."""
import json
import pickle
import struct

import pytest
import torch

from grader.portable import wire


def roundtrip(message):
    return wire.decode(bytearray(wire.encode(message)[8:]))


def same(a, b):
    if isinstance(a, torch.Tensor):
        return (isinstance(b, torch.Tensor) and a.dtype == b.dtype and a.shape == b.shape
                and torch.equal(a, b))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and (a == b or a != a and b != b)


def test_every_kind_of_value_arrives_as_sent():
    base = torch.arange(24, dtype=torch.float64).reshape(4, 6)
    tensors = [torch.arange(6).to(dtype).reshape(2, 3) for dtype in wire.DTYPES.values()]
    message = ("call", "softmax", [None, True, 3, -2**70, 0.1, float("nan"), float("-inf"),
                                   "tëxt \ud800", [], (), {}],
               {"w": base.t(), "row": base[1, ::2], "scalar": base[2, 3], "empty": base[:0],
                "conj": torch.tensor([1 + 2j]).conj(), "neg": torch.tensor([1.5])._neg_view(),
                "nested": [(base.requires_grad_(), [tensors])]},
               *tensors)
    assert same(roundtrip(message), message)


def test_tensors_arrive_writable_and_apart():
    a, b = roundtrip((torch.zeros(3), torch.ones(3)))
    a += 1
    assert torch.equal(a, torch.ones(3)) and torch.equal(b, torch.ones(3))


def test_bytes_arrive_as_they_were_sent():
    """A submission's files go to its process as bytes."""
    files = {"softmax_regression.py": b"def softmax(X):\n    ...\n", "empty.ipynb": b""}
    message = ("setup", files, torch.ones(2), b"tail")
    assert same(roundtrip(message), message)


@pytest.mark.parametrize("value", [object(), {1: "a"}, torch.zeros(2).to_sparse(),
                                   torch.zeros(2, device="meta"), bytearray(b"bytes")],
                         ids=["object", "int keys", "sparse", "meta", "bytearray"])
def test_what_a_message_cannot_hold_is_refused_when_sent(value):
    with pytest.raises(TypeError):
        wire.encode(("ok", value))


def body(header, data=b""):
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    return bytearray(struct.pack("<Q", len(text)) + text + data)


NOT_MESSAGES = {
    "a pickle": bytearray(pickle.dumps(("ok", 1))),
    "not JSON": body(b"ok"),
    "too short": bytearray(b"\x01"),
    "an unknown tag": body({"X": [1]}),
    "two tags in a node": body({"L": [], "U": []}),
    "a tuple of an object": body({"U": {"a": 1}}),
    "a dict with a key that is not text": body({"D": [[1, 2]]}),
    "an unknown dtype": body({"T": ["object", [1], 0]}, bytes(8)),
    "a negative size": body({"T": ["uint8", [-1], 0]}, bytes(8)),
    "a size that is not a whole number": body({"T": ["uint8", [1.5], 0]}, bytes(8)),
    "a negative offset": body({"T": ["uint8", [1], -1]}, bytes(8)),
    "a tensor beyond the message": body({"T": ["float32", [3], 0]}, bytes(8)),
    "a huge tensor": body({"T": ["float64", [2**40, 2**40], 0]}, bytes(8)),
}


@pytest.mark.parametrize("data", NOT_MESSAGES.values(), ids=NOT_MESSAGES.keys())
def test_what_is_not_a_message_is_refused_when_read(data):
    with pytest.raises(ValueError):
        wire.decode(data)
