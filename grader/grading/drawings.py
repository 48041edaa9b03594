"""The oracle's drawings, which the show_images and Animator checks compare
the learner's with: computed once for each version of the kit's code and of
the libraries that draw them, and kept in the data root beside Fashion-MNIST.

A grading that finds them there does not import matplotlib in the judge, nor
pay for drawing: that is every submission on Gradescope, whose
setup.sh computes them when it builds the image.
"""
import functools
import hashlib
import io
from importlib import metadata
from pathlib import Path

import torch

from grader.portable import oracle, recipes
from grader.portable.recipes import figures
from grader.grading.data import default_root
from grader.grading.files import atomic_write

FILE_NAME = "oracle-drawings.pt"
# The recipes that draw (grader.portable.recipes.figures), and their cases.
RECIPES = {"draw_images": figures.IMAGE_CASES, "drive_animator": tuple(figures.ANIMATOR_CASES)}


def version_key():
    """What the drawings depend on: the source of the oracle and of every module
    of the recipes' package, and the versions of the libraries that draw and
    convert them."""
    sources = [Path(oracle.__file__), *sorted(Path(recipes.__file__).parent.glob("*.py"))]
    parts = [path.read_bytes() for path in sources]
    parts += [metadata.version(name).encode() for name in ("matplotlib", "numpy", "pillow",
                                                              "torch")]
    return hashlib.sha256(b"\0".join(parts)).hexdigest()


def compute():
    """{"recipe:case": recipe(ORACLE, case=case)} for every drawing case."""
    return {f"{name}:{case}": getattr(figures, name)(oracle.ORACLE, case=case)
            for name, cases in RECIPES.items() for case in cases}


@functools.cache
def oracle_drawings(root=None):
    """compute(), read from `<root>/oracle-drawings.pt` (root: default_root())
    if it was written for this version_key(), else computed and written there
    (atomically; not at all if the root cannot be written)."""
    path, key = Path(root or default_root()) / FILE_NAME, version_key()
    try:
        saved = torch.load(path, weights_only=True)
        if saved["key"] == key:
            return saved["drawings"]
    except Exception:  # none yet, another version's, or unreadable: compute them
        pass
    drawings = compute()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        torch.save({"key": key, "drawings": drawings}, buffer)
        atomic_write(path, buffer.getvalue())
    except OSError:
        pass
    return drawings


def expected(recipe, case):
    """The oracle's result of the drawing recipe (a function of grader.portable.recipes.figures)
    on `case`."""
    return oracle_drawings()[f"{recipe.__name__}:{case}"]
