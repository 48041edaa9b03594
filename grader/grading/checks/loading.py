"""Checks of the data loading of d2l 3.5.2-3.5.3 (get_dataloader_workers,
load_data_fashion_mnist).

The learner's load_data_fashion_mnist is the book's code: torchvision reads
"../data" and may download. The recipe (grader.portable.recipes.loading.load_fashion) runs it
where the learner's code runs, from a scratch folder whose ../data holds links
to the local raw files, so nothing is downloaded, and reads only the first
batch of each loader; what it sends back is compared with the known data set.
"""
import weakref

import torch

from grader.portable.recipes.loading import load_fashion
from grader.grading.checks.common import Called
from grader.grading.checks.convergence import _train
from grader.grading.data import cache_file
from grader.i18n import N_, _

BATCH = 16
# The recipe's result per learner and arguments: each check reads one property
# of the same two loaders, which are built once (reading the files takes time).
_LOADED = weakref.WeakKeyDictionary()
# The two loaders, by the names the messages give them (translated where shown).
TRAINING, TEST = N_("training"), N_("test")


def check_get_dataloader_workers_returns_an_int(learner):
    """A plain int (not a float, a string or a bool)."""
    got = learner.get_dataloader_workers()
    if type(got) is not int:
        Called("get_dataloader_workers", "get_dataloader_workers()").fail(
            _("must return an int"), expected=_("an int, such as 4"),
            got=f"{type(got).__name__}: {got!r:.60}",
            hint=_("DataLoader's num_workers takes a whole number: return 4, not '4' or 4.0"))


def check_get_dataloader_workers_returns_a_positive_number(learner):
    """At least 1: the book reads the data with worker processes."""
    got = learner.get_dataloader_workers()
    if not (isinstance(got, (int, float)) and got >= 1):
        Called("get_dataloader_workers", "get_dataloader_workers()").fail(
            _("must return a positive number"), expected=_("a number of processes, at least 1"),
            got=repr(got), hint=_("the book reads the data with 4 processes: return 4"))


def _call(resize):
    return f"load_data_fashion_mnist({BATCH}{'' if resize is None else f', resize={resize}'})"


def _loaders(learner, raw_folder, resize=None):
    """(Called, [train, test] as recipes.loading.describe_loader gives them)."""
    call = _call(resize)
    loaded = _LOADED.setdefault(learner, {})
    if resize not in loaded:
        raw = raw_folder()  # <root>/FashionMNIST/raw, whose images the root's cache holds
        loaded[resize] = _train("load_data_fashion_mnist", learner, ("load_data_fashion_mnist",),
                                load_fashion, call=call, raw=str(raw),
                                cache=cache_file(raw.parents[1]), batch_size=BATCH,
                                resize=resize)
    return Called("load_data_fashion_mnist", call), loaded[resize]


def check_load_data_fashion_mnist_returns_two_data_loaders(learner, raw_folder):
    """A pair (train_iter, test_iter) of torch.utils.data.DataLoader."""
    c, got = _loaders(learner, raw_folder)
    if isinstance(got, str) or not all(loader[1] for loader in got):
        c.fail(_("must return two DataLoaders"),
               expected=_("(train_iter, test_iter), both torch.utils.data.DataLoader"),
               got=got if isinstance(got, str) else f"({got[0][0]}, {got[1][0]})",
               hint="return (data.DataLoader(mnist_train, ...), data.DataLoader(mnist_test, ...))")
    return c, got


def _batch(c, loader, name, size):
    """The first batch of `loader` (`name`: TRAINING or TEST), which must be
    images (size, 1, 28, 28) float32 and labels (size,)."""
    batch = loader[3]
    if isinstance(batch, str):
        pil = "PIL" in batch or "Image" in batch
        c.fail(_("the {name} loader's first batch cannot be read").format(name=_(name)),
               expected=_("batches (X, y) of tensors"), got=batch,
               hint=_("transforms.ToTensor() turns each PIL image into a tensor: pass"
                      " transform=trans to FashionMNIST") if pil else
               _("the dataset, its transform or the DataLoader raised while reading a batch"))
    return batch


def check_load_data_fashion_mnist_yields_image_batches(learner, raw_folder):
    """Both loaders give batches of batch_size images (batch, 1, 28, 28) float32
    and their labels (batch,)."""
    c, got = check_load_data_fashion_mnist_returns_two_data_loaders(learner, raw_folder)
    for name, loader in zip((TRAINING, TEST), got):
        shape, dtype, X, labels = _batch(c, loader, name, BATCH)
        if shape != [BATCH, 1, 28, 28] or len(labels) != BATCH:
            c.fail(_("the {name} loader's batches have the wrong shape").format(name=_(name)),
                   expected=_("X of shape {shape} and {n} labels").format(
                       shape=(BATCH, 1, 28, 28), n=BATCH),
                   got=_("X of shape {shape} and {n} labels").format(shape=tuple(shape),
                                                                     n=len(labels)),
                   hint=_("DataLoader(dataset, batch_size, ...) with the dataset's transform"
                          " ToTensor(), which gives each image as (1, 28, 28)"))
        if dtype != "float32":
            c.fail(_("the {name} loader's images are {dtype}").format(name=_(name), dtype=dtype),
                   expected=_("float32 in [0, 1]"),
                   got=dtype, hint=_("transforms.ToTensor() gives float32 images in [0, 1]"
                                     " (PILToTensor keeps the uint8 pixels)"))


def check_load_data_fashion_mnist_resizes_images(learner, raw_folder):
    """With resize=64, the images are (batch, 1, 64, 64)."""
    c, got = _loaders(learner, raw_folder, resize=64)
    if isinstance(got, str) or not all(loader[1] for loader in got):
        c.fail(_("must return two DataLoaders"), expected="(train_iter, test_iter)",
               got=got if isinstance(got, str) else f"({got[0][0]}, {got[1][0]})")
    for name, loader in zip((TRAINING, TEST), got):
        shape = _batch(c, loader, name, BATCH)[0]
        if shape != [BATCH, 1, 64, 64]:
            x_of_shape = _("X of shape {shape}")
            c.fail(_("the {name} loader's images are not resized").format(name=_(name)),
                   expected=x_of_shape.format(shape=(BATCH, 1, 64, 64)),
                   got=x_of_shape.format(shape=tuple(shape)),
                   hint=_("if resize: trans.insert(0, transforms.Resize(resize)), before"
                          " ToTensor()"))


def check_load_data_fashion_mnist_scales_pixels_to_0_1(learner, raw_folder):
    """Pixels read as ToTensor() gives them: k / 255 for the file's byte k."""
    c, got = check_load_data_fashion_mnist_returns_two_data_loaders(learner, raw_folder)
    for name, loader in zip((TRAINING, TEST), got):
        X = _batch(c, loader, name, BATCH)[2].to(torch.float64)
        steps = X * 255
        if X.min() < 0 or X.max() > 1 or X.max() < 0.5 or \
                (steps - steps.round()).abs().max() > 1e-3:
            c.fail(_("the {name} loader's pixels are not scaled to [0, 1]").format(name=_(name)),
                   expected=_("pixel values k / 255 between 0 and 1, as ToTensor() gives them"),
                   got=_("values from {low} to {high}").format(low=f"{float(X.min()):.4g}",
                                                               high=f"{float(X.max()):.4g}"),
                   hint=_("transforms.ToTensor() alone scales the bytes 0..255 to [0, 1]:"
                          " no Normalize and no further division"))


def check_load_data_fashion_mnist_has_60000_and_10000_examples(learner, raw_folder,
                                                                train_size, test_size):
    """The training loader reads the 60,000 training images, the test loader the
    10,000 test images."""
    c, got = check_load_data_fashion_mnist_returns_two_data_loaders(learner, raw_folder)
    sizes = [got[0][2], got[1][2]]
    if sizes != [train_size, test_size]:
        c.fail(_("the loaders read the wrong data sets"),
               expected=_("{train} training and {test} test examples").format(train=train_size,
                                                                              test=test_size),
               got=_("{train} and {test}").format(train=sizes[0], test=sizes[1]),
               hint=_("FashionMNIST(root='../data', train=True, ...) for the training set and"
                      " train=False for the test set"))


def check_load_data_fashion_mnist_shuffles_the_training_set(learner, raw_folder, train_labels):
    """The training loader's first batch is not the first examples in order."""
    c, got = check_load_data_fashion_mnist_returns_two_data_loaders(learner, raw_folder)
    labels = _batch(c, got[0], TRAINING, BATCH)[3]
    if labels == [int(v) for v in train_labels[:BATCH]]:
        c.fail(_("the training loader is not shuffled"),
               expected=_("the training examples in a new random order each epoch"),
               got=_("the first {n} examples in the file's order").format(n=BATCH),
               hint="DataLoader(mnist_train, batch_size, shuffle=True, ...)")


def check_load_data_fashion_mnist_keeps_the_test_set_in_order(learner, raw_folder, test_images,
                                                               test_labels):
    """The test loader's first batch is the first test examples, in order."""
    c, got = check_load_data_fashion_mnist_returns_two_data_loaders(learner, raw_folder)
    X, labels = _batch(c, got[1], TEST, BATCH)[2:]
    expected = [int(v) for v in test_labels[:BATCH]]
    same = X.reshape(len(X), -1)
    if labels != expected or not torch.allclose(same, test_images[:len(X)], atol=1e-6):
        c.fail(_("the test loader is shuffled"),
               expected=_("the first labels {labels}").format(labels=expected),
               got=f"{labels}", hint=_("DataLoader(mnist_test, batch_size, shuffle=False, ...):"
                                       " evaluation reads the test set in order"))
