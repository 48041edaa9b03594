"""Tests of grader/grading/data.py on small hand-written IDX files.

They never read the real data set and never use the network: every call
passes download=False, or torchvision's download is replaced by a stub.
"""
import gzip
import hashlib
import os
import struct
import types

import pytest
import torch
from torch.utils.data import DataLoader
from torchvision import datasets, transforms
from torchvision.datasets import mnist
from torchvision.datasets import utils as tv_utils

from grader.grading import data as fm
from grader.grading.data import DataUnavailable, load_fashion_mnist, load_features
from grader.portable.recipes.features import ScaledImages, as_float_features
from grader.portable.recipes.loading import load_fashion

IMAGES_MAGIC, LABELS_MAGIC = 0x00000803, 0x00000801
N = {"train": 6, "test": 4}
FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
         "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def idx_bytes(tensor, magic=None):
    """IDX encoding of a uint8 tensor: big-endian magic, one int32 per dim, raw bytes."""
    magic = magic if magic is not None else {3: IMAGES_MAGIC, 1: LABELS_MAGIC}[tensor.dim()]
    header = struct.pack(">I", magic) + struct.pack(f">{tensor.dim()}I", *tensor.shape)
    return header + tensor.numpy().tobytes()


def tiny_data(seed=0):
    """{"train_images": uint8 (6, 28, 28), "train_labels": int64 (6,), test...: 4 rows}."""
    gen = torch.Generator().manual_seed(seed)
    data = {}
    for split, n in N.items():
        data[f"{split}_images"] = torch.randint(256, (n, 28, 28), generator=gen, dtype=torch.uint8)
        data[f"{split}_labels"] = torch.randint(10, (n,), generator=gen)
    data["train_images"][0, 0, 0], data["train_labels"][0] = 255, 9  # extremes survive
    return data


def file_contents(data):
    """{file name: IDX bytes} for the four Fashion-MNIST files."""
    out = {}
    for split, (images, labels) in FILES.items():
        out[images] = idx_bytes(data[f"{split}_images"])
        out[labels] = idx_bytes(data[f"{split}_labels"].to(torch.uint8))
    return out


def write_raw(root, data, **overrides):
    """Write the four decompressed files into root/FashionMNIST/raw; overrides replace bytes."""
    raw = root / "FashionMNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for name, content in {**file_contents(data), **overrides}.items():
        (raw / name).write_bytes(content)
    return raw


@pytest.fixture
def no_network(monkeypatch):
    """Make any download attempt (and any MD5 check) fail the test loudly."""
    def forbidden(*args, **kwargs):
        raise AssertionError("the loader tried to download or to check an MD5")
    monkeypatch.setattr(datasets.FashionMNIST, "download", forbidden)
    monkeypatch.setattr(tv_utils, "check_md5", forbidden)
    monkeypatch.setattr(tv_utils, "calculate_md5", forbidden)


def load(root, tmp_path, **kwargs):
    kwargs.setdefault("download", False)
    return load_fashion_mnist(root, debian_dir=tmp_path / "no-debian", **kwargs)


def assert_same(loaded, data):
    for key, expected in data.items():
        got = getattr(loaded, key)
        assert got.dtype == expected.dtype, key
        assert torch.equal(got, expected), key


def test_plain_raw_files_are_loaded_exactly(tmp_path, no_network):
    data = tiny_data()
    write_raw(tmp_path / "root", data)
    loaded = load(tmp_path / "root", tmp_path)
    assert_same(loaded, data)
    assert loaded.train_images.shape == (6, 28, 28) and loaded.test_labels.shape == (4,)


def test_debian_style_gzip_files_are_decompressed_without_md5_or_network(tmp_path, no_network):
    data = tiny_data(seed=1)
    debian = tmp_path / "debian"
    debian.mkdir()
    upstream_md5 = dict(datasets.FashionMNIST.resources)
    for name, content in file_contents(data).items():
        gz = gzip.compress(content, compresslevel=1, mtime=1234567)  # not upstream's bytes
        (debian / f"{name}.gz").write_bytes(gz)
        assert hashlib.md5(gz).hexdigest() != upstream_md5[f"{name}.gz"]
    root = tmp_path / "root"
    # download=True: the local package must win before any download is tried.
    loaded = load_fashion_mnist(root, debian_dir=debian, download=True)
    assert_same(loaded, data)
    for name, content in file_contents(data).items():
        assert (root / "FashionMNIST" / "raw" / name).read_bytes() == content


def test_second_call_uses_the_cache_even_without_raw_files(tmp_path, no_network):
    data, root = tiny_data(), tmp_path / "root"
    raw = write_raw(root, data)
    load(root, tmp_path)
    cached = torch.load(root / "fashion-mnist.pt", weights_only=True)
    assert set(cached) == {"train_images", "train_labels", "test_images", "test_labels"}
    for path in raw.iterdir():
        path.unlink()
    assert_same(load(root, tmp_path), data)
    assert not [p for p in root.iterdir() if p.name.endswith(".tmp")]


def test_the_first_load_is_mapped_from_the_cache_it_writes(tmp_path, no_network):
    """The features name the cache as their source, so that the submission's
    process maps that file instead of being sent the images (grader.classroom.remote)."""
    data, root = tiny_data(), tmp_path / "root"
    write_raw(root, data)
    for _ in range(2):  # built, then read back
        (X_train, _), (X_test, _) = load_features(root)
        assert X_train.source == (str(root / "fashion-mnist.pt"), "train_images")
        assert X_test.source == (str(root / "fashion-mnist.pt"), "test_images")
        assert torch.equal(X_test.rows, data["test_images"].reshape(4, -1))


def test_an_unwritable_root_gives_the_data_from_memory(tmp_path, no_network, monkeypatch):
    data, root = tiny_data(), tmp_path / "root"
    write_raw(root, data)

    def refuse(path, content):
        raise PermissionError(path)
    monkeypatch.setattr(fm, "atomic_write", refuse)
    loaded = load(root, tmp_path)
    assert_same(loaded, data)
    assert loaded.cache is None and load_features(root)[0][0].source is None


@pytest.mark.parametrize("cache_bytes", [b"not a torch file", None], ids=["garbage", "foreign"])
def test_a_corrupt_cache_is_rebuilt(tmp_path, no_network, cache_bytes):
    data, root = tiny_data(), tmp_path / "root"
    write_raw(root, data)
    if cache_bytes is None:  # a loadable file with the wrong content
        torch.save({"train_images": torch.zeros(3)}, root / "fashion-mnist.pt")
    else:
        (root / "fashion-mnist.pt").write_bytes(cache_bytes)
    assert_same(load(root, tmp_path), data)
    assert_same(fm.FashionMNIST(**torch.load(root / "fashion-mnist.pt", weights_only=True)), data)


def assert_how_to(message):
    assert "\n" not in message, "the message must be one paragraph"
    for needle in ("apt install dataset-fashion-mnist", "D2LKIT_DATA", "--data-dir",
                   "FashionMNIST/raw"):
        assert needle in message, needle


def corrupt_cases():
    images, labels = FILES["train"]
    good = file_contents(tiny_data())
    return {
        "truncated-images": ({images: good[images][:-100]}, images),
        "images-with-labels-magic": ({images: struct.pack(">I", LABELS_MAGIC) + good[images][4:]},
                                     images),
        "garbage-magic": ({labels: b"\xde\xad\xbe\xef" + good[labels][4:]}, labels),
        "empty-labels": ({labels: b""}, labels),
        "label-count-mismatch": ({labels: idx_bytes(torch.zeros(5, dtype=torch.uint8))}, "labels"),
        "label-out-of-range": ({labels: idx_bytes(torch.full((6,), 12, dtype=torch.uint8))}, "0..9"),
    }


@pytest.mark.parametrize("case", list(corrupt_cases()))
def test_a_corrupt_file_is_reported_not_loaded(tmp_path, no_network, case):
    overrides, named = corrupt_cases()[case]
    root = tmp_path / "root"
    write_raw(root, tiny_data(), **overrides)
    with pytest.raises(DataUnavailable) as err:
        load(root, tmp_path)
    assert named in str(err.value)
    assert_how_to(str(err.value))
    assert not (root / "fashion-mnist.pt").exists()


def test_missing_files_without_debian_or_download_give_the_how_to(tmp_path, no_network):
    root = tmp_path / "root"
    write_raw(root, tiny_data())
    (root / "FashionMNIST" / "raw" / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(DataUnavailable) as err:
        load(root, tmp_path)
    assert "t10k-labels-idx1-ubyte" in str(err.value) and "missing" in str(err.value)
    assert_how_to(str(err.value))


def test_a_failed_download_becomes_data_unavailable(tmp_path, monkeypatch):
    def offline(self):
        raise RuntimeError("Error downloading train-images-idx3-ubyte.gz:\n"
                           "<urlopen error [Errno -2] Name or service not known>")
    monkeypatch.setattr(datasets.FashionMNIST, "download", offline)
    with pytest.raises(DataUnavailable) as err:
        load(tmp_path / "root", tmp_path, download=True)
    assert "Name or service not known" in str(err.value)
    assert_how_to(str(err.value))


def test_default_root_honours_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("D2LKIT_DATA", str(tmp_path / "mine"))
    assert fm.default_root() == tmp_path / "mine"
    monkeypatch.delenv("D2LKIT_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert fm.default_root() == tmp_path / "xdg" / "d2lkit"


def test_load_without_root_uses_default_root(tmp_path, monkeypatch, no_network):
    data = tiny_data(seed=2)
    write_raw(tmp_path / "env-root", data)
    monkeypatch.setenv("D2LKIT_DATA", str(tmp_path / "env-root"))
    assert_same(load_fashion_mnist(debian_dir=tmp_path / "no-debian", download=False), data)


def test_as_float_features_matches_to_tensor_then_flatten():
    images = tiny_data()["train_images"]
    X = as_float_features(images)
    assert X.shape == (6, 784) and X.dtype == torch.float32
    assert X.min() >= 0 and X.max() <= 1 and X[0, 0] == 1.0
    expected = torch.stack([transforms.ToTensor()(img.numpy()).reshape(-1) for img in images])
    assert torch.equal(X, expected)


def test_scaled_images_read_as_the_converted_whole():
    images = torch.randint(0, 256, (50, 28, 28), dtype=torch.uint8,
                           generator=torch.Generator().manual_seed(0))
    whole, lazy = as_float_features(images), ScaledImages(images)
    assert lazy.shape == whole.shape and len(lazy) == len(whole)
    rows = torch.randperm(50, generator=torch.Generator().manual_seed(1))[:17]
    assert torch.equal(lazy[rows], whole[rows])
    mask = images[:, 0, 0] > 128
    assert torch.equal(lazy[mask], whole[mask])
    assert torch.equal(lazy[5:20], whole[5:20])


def test_scaled_images_multiply_as_the_converted_whole():
    images = torch.randint(0, 256, (9000, 28, 28), dtype=torch.uint8,
                           generator=torch.Generator().manual_seed(0))
    W = torch.randn(784, 10, generator=torch.Generator().manual_seed(1))
    assert torch.allclose(ScaledImages(images) @ W, as_float_features(images) @ W, atol=1e-5)


def mapped_file(tensor):
    """The file whose mapping holds `tensor`'s bytes; None if they are in memory
    (the heap, or an anonymous mapping)."""
    with open("/proc/self/maps") as f:
        for span, *fields in (line.split(maxsplit=5) for line in f):
            low, high = (int(x, 16) for x in span.split("-"))
            if low <= tensor.data_ptr() < high and len(fields) == 5:
                return fields[4].strip() if fields[4].startswith("/") else None
    return None


def book_loading(made):
    """fns whose load_data_fashion_mnist makes the book's two data sets (kept
    in `made`) and returns unshuffled loaders without worker processes."""
    def load_data_fashion_mnist(batch_size, resize=None):
        made.extend(datasets.FashionMNIST(root="../data", train=train, download=True,
                                          transform=transforms.ToTensor())
                    for train in (True, False))
        return [DataLoader(dataset, batch_size) for dataset in made]
    return types.SimpleNamespace(load_data_fashion_mnist=load_data_fashion_mnist)


def same_description(a, b):
    """Whether two describe_loader results of load_fashion are equal."""
    return all(x[:3] == y[:3] and x[3][:2] == y[3][:2] and x[3][3] == y[3][3]
               and torch.equal(x[3][2], y[3][2]) for x, y in zip(a, b))


def test_the_book_s_data_sets_get_their_images_mapped_from_the_cache(tmp_path):
    """The learner's torchvision is given the cache's images, the files' bytes
    without a copy in memory; the labels it reads from the files as usual."""
    data, root = tiny_data(), tmp_path / "root"
    raw = write_raw(root, data)
    load(root, tmp_path)
    cache, made = root / "fashion-mnist.pt", []
    described = load_fashion(book_loading(made), raw=str(raw), cache=str(cache), batch_size=3)
    train, test = made
    assert mapped_file(train.data) == mapped_file(test.data) == os.path.realpath(cache)
    assert mapped_file(train.targets) is None
    for split, dataset in (("train", train), ("test", test)):
        assert torch.equal(dataset.data, data[f"{split}_images"])
        assert torch.equal(dataset.targets, data[f"{split}_labels"])
    read = load_fashion(book_loading([]), raw=str(raw), cache=None, batch_size=3)
    assert same_description(described, read)
    assert mnist.read_sn3_pascalvincent_tensor.__name__ == "read_sn3_pascalvincent_tensor"


@pytest.mark.parametrize("case", ["no cache", "unreadable cache", "files the cache is not of"])
def test_images_the_cache_does_not_hold_are_read_from_their_files(tmp_path, case):
    data, root = tiny_data(), tmp_path / "root"
    raw = write_raw(root, data)
    load(root, tmp_path)
    cache = root / "fashion-mnist.pt"
    if case == "unreadable cache":
        cache.write_bytes(b"not a torch file")
    if case == "files the cache is not of":
        data = {**data, "train_images": data["train_images"][:5]}
        write_raw(root, data)
    made = []
    load_fashion(book_loading(made), raw=str(raw), cache=None if case == "no cache" else str(cache),
                 batch_size=3)
    assert mapped_file(made[0].data) is None
    assert torch.equal(made[0].data, data["train_images"])


def test_torchvision_reads_files_again_after_a_loading_that_raised(tmp_path):
    data, root = tiny_data(), tmp_path / "root"
    raw = write_raw(root, data)
    load(root, tmp_path)
    read = mnist.read_sn3_pascalvincent_tensor

    def load_data_fashion_mnist(batch_size):
        raise ValueError("the learner's mistake")
    with pytest.raises(ValueError, match="the learner's mistake"):
        load_fashion(types.SimpleNamespace(load_data_fashion_mnist=load_data_fashion_mnist),
                     raw=str(raw), cache=str(root / "fashion-mnist.pt"), batch_size=3)
    assert mnist.read_sn3_pascalvincent_tensor is read
