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

from grader.i18n import _

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
        return _("torch is not installed: run `{command}`.").format(command=UPGRADE)
    if vision is None:
        return _("torchvision is not installed, and the grader reads Fashion-MNIST with it: run"
                 " `{command}`, which installs the torchvision made for your torch.").format(
                     command=UPGRADE)
    for requirement in map(Requirement, metadata.requires("torchvision") or []):
        if requirement.name == "torch" and requirement.specifier and \
                not requirement.specifier.contains(torch, prereleases=True):
            return _("torchvision {vision} is made for torch {wanted}, but torch {torch} is"
                     " installed: run `{command}` to install a pair that works together.").format(
                         vision=vision, wanted=requirement.specifier, torch=torch,
                         command=UPGRADE)
    if numpy is None:
        return _("numpy is not installed: run `pip install numpy` (or `{command}`).").format(
            command=UPGRADE)
    if torch.release < NUMPY2_TORCH.release and numpy.major >= 2:
        return _("torch {torch} was built for numpy 1 and cannot use numpy {numpy}, so every"
                 " check would fail: run `pip install \"numpy<2\"`, or `{command}` (the kit needs"
                 " torch 2.3 or newer, which works with either numpy).").format(
                     torch=torch, numpy=numpy, command=UPGRADE)
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
        return _("torch {torch} cannot use numpy {numpy} ({error}), so every check would fail:"
                 " run `{command}`, or `pip install \"numpy<2\"`.").format(
                     torch=torch.__version__, numpy=np.__version__, error=e, command=UPGRADE)
    return None


def check():
    """Raise BrokenEnvironment with the message if this environment cannot grade."""
    found = problem()
    if found:
        raise BrokenEnvironment(_("The grader cannot run in this Python environment, so nothing"
                                  " was graded: {problem}").format(problem=found))
