"""Helpers for the kit's own tests: grade folders made from the reference
solutions with one function swapped, by calling the suite's tests directly."""
import inspect
import shutil
import textwrap
from pathlib import Path

import pytest

from grader.batch import run_check
from grader.reference import KIT_ROOT
from grader.remote import RemoteLearner
from grader.seam import MODULE_OF, Learner

PRELUDE = "\nimport random\nimport numpy as np\nimport torch\n\n"


def make_impl(folder, replacements, request=None):
    """Copy solutions/ to `folder`, then define each exercise as the given source.
    With a pytest `request`, the code runs in a process of its own (RemoteLearner)."""
    shutil.copytree(KIT_ROOT / "solutions", folder)
    for exercise, source in replacements.items():
        with open(Path(folder) / f"{MODULE_OF[exercise]}.py", "a") as f:
            f.write(PRELUDE + textwrap.dedent(source) + "\n")
    if request is None:
        return Learner(folder, call_timeout=5.0)
    learner = RemoteLearner(folder, call_timeout=5.0)
    request.addfinalizer(learner.close)
    return learner


def with_variant(folder, variant, request=None):
    """A learner where variant.exercise is the variant's function (see make_impl)."""
    lines = inspect.getsource(variant.fn).splitlines()
    source = "\n".join(lines[next(i for i, line in enumerate(lines) if line.startswith("def ")):])
    learner = make_impl(folder, {variant.exercise: f"{source}\n{variant.exercise} = {variant.fn.__name__}"},
                        request)
    getattr(learner, variant.exercise)  # raises if the spliced module does not import
    return learner


@pytest.fixture(scope="session")
def fashion_mnist():
    from grader.fashion_mnist import load_features
    return load_features()


def run(test_name, learner, request):
    """(status, message) of one suite test on `learner`; a grader failure raises."""
    status, message, _ = run_check(test_name, learner,
                                   lambda: request.getfixturevalue("fashion_mnist"))
    assert status is not None, message
    return status, message
