"""The book's code runs as printed in the learner's own cells once `import grader`
has run (grader/__init__.py calls install()):

- `from d2l import torch as d2l` (or `import d2l`) gives the kit's stand-in for
  the book's package, whether or not d2l is installed: d2l.plt is matplotlib's
  pyplot, the book's helpers that are no exercise are there (2.4's set_axes,
  use_svg_display, plot and set_figsize; display, IPython's), and
  d2l.<exercise> is the learner's own definition in __main__ (the notebook),
  so that 3.3's d2l.synthetic_data and 3.7's d2l.train_ch3 run the learner's code;
- in a Jupyter kernel, torchvision's FashionMNIST(..., download=True) takes
  Fashion-MNIST from this machine (the kit's data folder, or Debian's package)
  before it tries the internet, and where that fails too, says how to get it,
  in the learner's language.

While the notebook grades (grading()), neither applies: the checks see the
learner's code as `python -m grader grade` does, whose d2l is
grader.portable.book.BookPackage (it fails an exercise that calls d2l's version of itself).

Importing this module imports no torch, torchvision or matplotlib: what it
stands in for loads them when the learner's code first asks.
"""
import importlib.abc
import importlib.machinery
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path

BOOK_MODULES = ("d2l", "d2l.torch")
MNIST_MODULE = "torchvision.datasets.mnist"
# The book's helpers that are no exercise, as grader.portable.oracle has them.
ORACLE_HELPERS = ("set_axes", "use_svg_display", "display")
GRADING = [False]


@contextmanager
def grading():
    """While the block runs, d2l is the grader's BookPackage and torchvision
    downloads as it would without the kit."""
    before, GRADING[0] = GRADING[0], True
    try:
        yield
    finally:
        GRADING[0] = before


def install():
    """Put the import hooks in place: d2l's always, torchvision's in an IPython
    kernel only (elsewhere the kit's own data code decides where data comes from)."""
    if not any(isinstance(finder, BookFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, BookFinder())
    ipython = sys.modules.get("IPython")
    if ipython is None or ipython.get_ipython() is None:
        return
    if MNIST_MODULE in sys.modules:
        _patch_mnist(sys.modules[MNIST_MODULE])
    elif not any(isinstance(finder, MnistFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, MnistFinder())


# --- d2l ---------------------------------------------------------------------

class BookFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds d2l and d2l.torch before any installed d2l: the kit's stand-in."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in BOOK_MODULES:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=fullname == "d2l")

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        module.__getattr__ = book_attribute


def book_attribute(name):
    """d2l.<name> in the learner's own code (see the module's docstring)."""
    if name.startswith("__") or name == "torch":  # d2l.torch: the import system's
        raise AttributeError(name)
    if GRADING[0]:
        from grader.portable.book import BookPackage
        return getattr(BookPackage("d2l", "d2l"), name)
    if name == "plt":
        import matplotlib.pyplot
        return matplotlib.pyplot
    if name in ORACLE_HELPERS:
        from grader.portable import oracle
        return getattr(oracle, name)
    if name in ("plot", "set_figsize"):
        return globals()[name]
    from grader.exercises import NAMES
    from grader.i18n import _, speaking
    main = vars(sys.modules["__main__"])
    if name in NAMES and name in main:
        return main[name]
    with speaking(None):
        if name in NAMES:
            raise AttributeError(_("d2l.{name} is your own {name}, which your notebook does not"
                                   " define yet: run the cell that defines it, then this one"
                                   " again.").format(name=name))
        raise AttributeError(_("d2l.{name}: the kit's d2l holds only what chapter 3 uses:"
                               " d2l.plt, d2l.set_axes, d2l.use_svg_display, d2l.plot,"
                               " d2l.set_figsize, and your own functions of the exercises"
                               " (d2l.sgd is your sgd).").format(name=name))


def set_figsize(figsize=(3.5, 2.5)):
    """The book's 2.4 helper: figures of `figsize` inches, as SVG in a notebook."""
    import matplotlib.pyplot as plt
    from grader.portable.oracle import use_svg_display
    use_svg_display()
    plt.rcParams["figure.figsize"] = figsize


def plot(X, Y=None, xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None,
         xscale="linear", yscale="linear", fmts=("-", "m--", "g-.", "r:"), figsize=(3.5, 2.5),
         axes=None):
    """The book's 2.4 helper: one curve per Y[i] (Y may be one curve), against X[i]
    or the one X (Y None: X against its indices), each in its format, on `axes`
    (the current axes by default), which set_axes then labels."""
    import matplotlib.pyplot as plt
    from grader.portable.oracle import set_axes

    def curves(values):
        one = hasattr(values, "ndim") and values.ndim == 1 or \
            isinstance(values, list) and not hasattr(values[0], "__len__")
        return [values] if one else values
    if Y is None:
        X, Y = [[]], X
    X, Y = curves(X), curves(Y)
    if len(X) != len(Y):
        X = X * len(Y)
    set_figsize(figsize)
    axes = axes if axes is not None else plt.gca()
    axes.cla()
    for x, y, fmt in zip(X, Y, fmts):
        axes.plot(*((x, y) if len(x) else (y,)), fmt)
    set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend)


# --- Fashion-MNIST, offline --------------------------------------------------

class MnistFinder(importlib.abc.MetaPathFinder):
    """Patches torchvision.datasets.mnist as it is imported (_patch_mnist)."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != MNIST_MODULE:
            return None
        for finder in sys.meta_path:
            spec = None if finder is self or not hasattr(finder, "find_spec") else \
                finder.find_spec(fullname, path, target)
            if spec is not None:
                spec.loader = PatchingLoader(spec.loader)
                return spec
        return None


class PatchingLoader(importlib.abc.Loader):
    """`loader`, which then patches the module it executed (_patch_mnist)."""

    def __init__(self, loader):
        self.loader = loader

    def __getattr__(self, name):  # get_source and the like: the loader's
        return getattr(self.loader, name)

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        _patch_mnist(module)


class NoFashionMNIST(RuntimeError):
    """Fashion-MNIST is neither on this machine nor downloadable; str() says what to do."""


def _patch_mnist(mnist):
    """FashionMNIST's download takes the data from this machine first
    (_copy_local) and, where the internet fails too, raises NoFashionMNIST."""
    download = mnist.MNIST.download
    if getattr(download, "local_first", False):
        return

    def local_first(self):
        if GRADING[0] or not isinstance(self, mnist.FashionMNIST) or self._check_exists():
            return download(self)
        _copy_local(Path(self.raw_folder))
        if self._check_exists():
            return None
        try:
            return download(self)
        except Exception as e:  # noqa: BLE001 - whatever failed, the learner needs the data
            raise NoFashionMNIST(_no_data(self.raw_folder, e)) from None
    local_first.local_first = True
    mnist.MNIST.download = local_first


def _copy_local(raw):
    """Fashion-MNIST's four decompressed files into `raw`, from the kit's data
    folder, else Debian's package, as far as this machine has them."""
    from grader.grading import data as fashion_mnist
    raw.mkdir(parents=True, exist_ok=True)
    kit = fashion_mnist.default_root() / "FashionMNIST" / "raw"
    for name in fashion_mnist.RAW_NAMES:
        if not (raw / name).is_file() and (kit / name).is_file():
            shutil.copyfile(kit / name, raw / name)
    try:
        fashion_mnist._fetch_raw(raw.parents[1], raw, fashion_mnist.DEBIAN_DIR, download=False)
    except fashion_mnist.DataUnavailable:
        pass  # torchvision's download is next


def _no_data(raw, error):
    from grader.grading.data import DEBIAN_DIR, RAW_NAMES
    from grader.i18n import _, speaking
    with speaking(None):
        return _("Fashion-MNIST is not on this computer, and downloading it failed ({error})."
                 " To get it: on Debian or Ubuntu run `sudo apt install dataset-fashion-mnist`"
                 " (the kit then finds it in {debian}); or connect to the internet and run this"
                 " cell again; or put the four files {files} (decompressed) into {raw}/.").format(
                     error=(str(error).strip().splitlines() or [type(error).__name__])[-1],
                     debian=DEBIAN_DIR, files=", ".join(RAW_NAMES), raw=raw)
