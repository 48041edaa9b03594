"""Fashion-MNIST for the softmax-regression checks: find it, load it, cache it.

The data lives under a root folder (see `default_root`). torchvision's own
`datasets.FashionMNIST` reads the decompressed IDX files from
`<root>/FashionMNIST/raw/`; the four tensors are then cached in one file,
`<root>/fashion-mnist.pt`, so later runs skip torchvision entirely.
"""
import functools
import gzip
import io
import os
from dataclasses import dataclass
from pathlib import Path

import torch

from grader.i18n import _
from grader.grading.files import atomic_write
from grader.portable.recipes.features import RAW_FIELDS, ScaledImages

ENV_VAR = "D2LKIT_DATA"
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
CACHE_NAME = "fashion-mnist.pt"
RAW_NAMES, FIELDS = tuple(RAW_FIELDS), tuple(RAW_FIELDS.values())
SPLITS = {"train": RAW_NAMES[:2], "test": RAW_NAMES[2:]}  # (images, labels) of each


def default_root() -> Path:
    """$D2LKIT_DATA if set, else $XDG_CACHE_HOME/d2lkit, else ~/.cache/d2lkit."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "d2lkit"


class DataUnavailable(Exception):
    """Fashion-MNIST could not be found or loaded; str() tells a learner what to do."""

    def __init__(self, root, reason):
        self.root, self.reason = Path(root), reason
        raw = self.root / "FashionMNIST" / "raw"
        super().__init__(_(
            "The Fashion-MNIST data set could not be found or loaded at {root} ({reason})."
            " To get it: on Debian or Ubuntu run `sudo apt install dataset-fashion-mnist` (the"
            " kit then picks the files up from {debian} automatically); or, on a machine with"
            " network access, run the kit again and it downloads them itself through"
            " torchvision; or put the four files {files} (decompressed) into {raw}/. To use"
            " another folder, pass `--data-dir DIR` or set the {variable} environment"
            " variable.").format(root=self.root, reason=reason, debian=DEBIAN_DIR,
                                 files=", ".join(RAW_NAMES), raw=raw, variable=ENV_VAR))


def not_created(folder, error):
    return _("the folder {folder} cannot be created: {error}").format(folder=folder, error=error)


@dataclass(frozen=True)
class FashionMNIST:
    """uint8 images (n, 28, 28) and int64 labels in 0..9; 60000 train, 10000 test.
    `cache`: the cache file the tensors are mapped from (None: they are in memory)."""
    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    cache: Path | None = None


def _check(data):
    """Return why `data` (a dict of the four FIELDS) is unusable, or None if it is fine.

    Checks consistency only (so tests can use small files): dtypes, 28x28
    images, as many labels as images, at least one example, labels in 0..9.
    A truncated IDX file never gets this far: torchvision refuses to view it.
    """
    for split in ("train", "test"):
        images, labels = data[f"{split}_images"], data[f"{split}_labels"]
        if images.dtype != torch.uint8 or images.dim() != 3 or images.shape[1:] != (28, 28):
            return _("the {split} images are {shape} {dtype}, not (n, 28, 28) uint8").format(
                split=split, shape=tuple(images.shape), dtype=images.dtype)
        if labels.dtype != torch.int64 or labels.shape != (len(images),) or len(images) == 0:
            return _("there are {count} {split} images but labels of shape {shape}").format(
                count=len(images), split=split, shape=tuple(labels.shape))
        if labels.min() < 0 or labels.max() > 9:
            return _("the {split} labels are not all in 0..9").format(split=split)
    return None


def _read_cache(path):
    try:
        data = torch.load(path, weights_only=True, mmap=True)
        if isinstance(data, dict) and set(FIELDS) <= data.keys() and _check(data) is None:
            return FashionMNIST(**{k: data[k] for k in FIELDS}, cache=Path(path).resolve())
    except Exception:  # unreadable or foreign cache: rebuild it
        pass
    return None


def _fetch_raw(root, raw, debian_dir, download):
    """Make sure the four raw files are in `raw`: Debian package first, then network."""
    missing = [n for n in RAW_NAMES if not (raw / n).is_file()]
    for name in list(missing):
        gz = Path(debian_dir) / f"{name}.gz"
        if gz.is_file():
            try:
                with gzip.open(gz) as src:
                    atomic_write(raw / name, src.read())
            except Exception as e:
                raise DataUnavailable(root, _("the file {file} could not be decompressed into"
                                              " {raw}: {error}").format(file=gz, raw=raw,
                                                                       error=e)) from e
            missing.remove(name)
    if missing and download:
        from torchvision import datasets
        try:
            datasets.FashionMNIST(root, train=True, download=True)
        except Exception as e:
            raise DataUnavailable(root, _("{files} missing and the download failed:"
                                          " {error}").format(files=", ".join(missing),
                                                             error=" ".join(str(e).split()))) from e
    if missing := [n for n in missing if not (raw / n).is_file()]:
        raise DataUnavailable(root, _("missing file(s) {files} in {raw}").format(
            files=", ".join(missing), raw=raw))


def _read_raw(root, raw):
    """Load both splits with torchvision's FashionMNIST class; name the broken file on error."""
    from torchvision import datasets
    from torchvision.datasets.mnist import read_image_file, read_label_file
    data = {}
    for split, (images, labels) in SPLITS.items():
        try:
            ds = datasets.FashionMNIST(root, train=split == "train", download=False)
        except Exception as e:
            culprit = _("{images} or {labels}").format(images=images, labels=labels)
            for name, read in ((images, read_image_file), (labels, read_label_file)):
                try:
                    read(str(raw / name))
                except Exception:
                    culprit = name
                    break
            raise DataUnavailable(root, _("the file {file} is corrupt or not a Fashion-MNIST"
                                          " file ({error})").format(
                                              file=raw / culprit,
                                              error=f"{type(e).__name__}: {e}")) from e
        data[f"{split}_images"], data[f"{split}_labels"] = ds.data.clone(), ds.targets.clone()
    if reason := _check(data):
        raise DataUnavailable(root, _("the files in {raw} are not Fashion-MNIST: {reason}").format(
            raw=raw, reason=reason))
    return data


def load_fashion_mnist(root=None, *, debian_dir=DEBIAN_DIR, download=True) -> FashionMNIST:
    """Return the whole of Fashion-MNIST, or raise DataUnavailable; never partial data.

    `root` defaults to `default_root()`. Order of sources:
      1. the cache `<root>/fashion-mnist.pt` (a corrupt one is ignored and rebuilt);
      2. the decompressed files already in `<root>/FashionMNIST/raw/`;
      3. for each missing file, `<debian_dir>/<name>.gz` (package
         dataset-fashion-mnist), decompressed into raw/; local files come
         first, so a machine with the package never touches the network;
      4. only if files are still missing and `download`, torchvision's download.
    The files are read with torchvision's `datasets.FashionMNIST` and checked;
    the result is then cached atomically (temp file + os.replace), and mapped
    from the cache like a cached result (page cache that processes share).
    """
    root = Path(root) if root is not None else default_root()
    cache = root / CACHE_NAME
    if cache.is_file() and (cached := _read_cache(cache)) is not None:
        return cached
    raw = root / "FashionMNIST" / "raw"
    try:
        raw.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DataUnavailable(root, not_created(raw, e)) from e
    _fetch_raw(root, raw, debian_dir, download)
    data = _read_raw(root, raw)
    try:
        buffer = io.BytesIO()
        torch.save(data, buffer)
        atomic_write(cache, buffer.getvalue())
    except OSError:  # a read-only root still gives correct data, just uncached
        return FashionMNIST(**data)
    return _read_cache(cache) or FashionMNIST(**data)


def raw_folder(root=None) -> Path:
    """The folder `<root>/FashionMNIST/raw/` holding the four decompressed files,
    fetched as load_fashion_mnist fetches them (`root` defaults to
    default_root()); raise DataUnavailable. The load_data_fashion_mnist checks
    point the learner's torchvision at it."""
    root = Path(root) if root is not None else default_root()
    raw = root / "FashionMNIST" / "raw"
    if not all((raw / n).is_file() for n in RAW_NAMES):
        try:
            raw.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise DataUnavailable(root, not_created(raw, e)) from e
        _fetch_raw(root, raw, DEBIAN_DIR, download=True)
    return raw.resolve()


def raw_folders_to_share(root=None):
    """The folders a sandboxed submission must read to open raw_folder(root)'s
    files (the folder, and where any of its files links to); none without data."""
    try:
        raw = raw_folder(root)
    except DataUnavailable:
        return []
    return sorted({str(raw), *(os.path.dirname(os.path.realpath(raw / n)) for n in RAW_NAMES)})


def cache_file(root=None):
    """The cache file of `root` (default_root()) as a resolved path, None if
    there is none yet: the submission's process maps it (grader.classroom.remote)."""
    cache = ((Path(root) if root is not None else default_root()) / CACHE_NAME).resolve()
    return str(cache) if cache.is_file() else None


@functools.cache
def shared_features(root=None):
    """load_features(root), once per process: the checks share one copy."""
    return load_features(root)


def load_features(root=None):
    """((X_train, y_train), (X_test, y_test)) ready for training: features that
    read as float32 (n, 784) in [0, 1] (ScaledImages, with the cache file as
    their source when mapped from it) and int64 labels."""
    data = load_fashion_mnist(root)

    def features(field):
        return ScaledImages(getattr(data, field), data.cache and (str(data.cache), field))
    return ((features("train_images"), data.train_labels),
            (features("test_images"), data.test_labels))
