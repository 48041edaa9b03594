"""Whether torch, torchvision and numpy, as installed here, work together.

Checked before grading (the pytest plugin, watch mode, `python -m grader
grade`): on a broken pair every check would fail on the grader's side, and
correct code would score 45/100 ("Numpy is not available"). So grading stops
instead, with one message that says what to install. From the packages'
metadata only (milliseconds, torch-free), and, where torch is already
imported, by handing torch a numpy array.
"""
import sys
from importlib import metadata

from packaging.requirements import Requirement
from packaging.version import Version

# torch's wheels before this were built for numpy 1 and cannot use numpy 2.
NUMPY2_TORCH = Version("2.3")
UPGRADE = "pip install --upgrade torch torchvision"


class BrokenEnvironment(Exception):
    """str(): the one message the learner reads, which says what to install."""


def _version(package):
    try:
        return Version(metadata.version(package))
    except metadata.PackageNotFoundError:
        return None


def problem():
    """None if this environment can grade, else the sentence that says what is
    wrong and what to install."""
    torch, vision, numpy = _version("torch"), _version("torchvision"), _version("numpy")
    if torch is None:
        return f"torch is not installed: run `{UPGRADE}`."
    if vision is None:
        return ("torchvision is not installed, and the grader reads Fashion-MNIST with it: run"
                f" `{UPGRADE}`, which installs the torchvision made for your torch.")
    for requirement in map(Requirement, metadata.requires("torchvision") or []):
        if requirement.name == "torch" and requirement.specifier and \
                not requirement.specifier.contains(torch, prereleases=True):
            return (f"torchvision {vision} is made for torch {requirement.specifier}, but torch"
                    f" {torch} is installed: run `{UPGRADE}` to install a pair that works"
                    " together.")
    if numpy is None:
        return f"numpy is not installed: run `pip install numpy` (or `{UPGRADE}`)."
    if torch.release < NUMPY2_TORCH.release and numpy.major >= 2:
        return (f"torch {torch} was built for numpy 1 and cannot use numpy {numpy}, so every"
                f" check would fail: run `pip install \"numpy<2\"`, or `{UPGRADE}` (the kit needs"
                " torch 2.3 or newer, which works with either numpy).")
    if "torch" in sys.modules:
        return _numpy_from_torch()
    return None


def _numpy_from_torch():
    """None if the imported torch can use numpy, else what to install."""
    import numpy as np
    import torch
    try:
        torch.from_numpy(np.zeros(1)).numpy()
    except Exception as e:  # RuntimeError: Numpy is not available
        return (f"torch {torch.__version__} cannot use numpy {np.__version__} ({e}), so every"
                f" check would fail: run `{UPGRADE}`, or `pip install \"numpy<2\"`.")
    return None


def check():
    """Raise BrokenEnvironment with the message if this environment cannot grade."""
    found = problem()
    if found:
        raise BrokenEnvironment(f"The grader cannot run in this Python environment, so nothing"
                                f" was graded: {found}")
