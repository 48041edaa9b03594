"""Helpers for the kit's own tests: grade folders made from the reference
solutions with one function swapped, by calling the suite's tests directly."""
import inspect
import os
import shutil
import signal
import textwrap
from pathlib import Path

import pytest

from grader.grading.session import run_check
from grader.exercises import BY_NAME, seam_spec
from grader.portable.oracle import ORACLE
from grader.classroom.remote import RemoteLearner
from grader.classroom.submission import read_submission
from grader.classroom.zygote import Sandbox
from grader.portable.seam import Learner

KIT_ROOT = Path(__file__).resolve().parent.parent

# The kit's tests expect English wherever they do not ask for a language, also
# on a developer's machine in a Chinese locale (and in the processes they start).
for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
    os.environ.pop(variable, None)
os.environ["LANG"] = "C.UTF-8"
# Where a process that a test starts (a pytest run, a Jupyter kernel) finds this
# checkout's grader before the environment's (whose editable install may be of
# another checkout): its PYTHONPATH.
THIS_KIT = os.pathsep.join(filter(None, [str(KIT_ROOT), os.environ.get("PYTHONPATH")]))
# The kit's own CI may run on GitHub Actions: the learner's runs its tests start
# must not write the job summary and annotations of a learner's (grader.learner.github).
for variable in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY"):
    os.environ.pop(variable, None)
PRELUDE = "\nimport random\nimport numpy as np\nimport torch\nfrom torch import nn\nfrom torch.nn import functional as F\n\n"


def default_sigint():
    """For preexec_fn: a run started from a background shell inherits SIGINT
    ignored; Ctrl-C in a terminal finds it at its default."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def make_impl(folder, replacements, request=None, allow_builtins=False):
    """Copy solutions/ to `folder`, then define each exercise as the given source.
    With a pytest `request`, the code runs in a process of its own (RemoteLearner)."""
    shutil.copytree(KIT_ROOT / "solutions", folder)
    for exercise, source in replacements.items():
        with open(Path(folder) / f"{BY_NAME[exercise].module}.py", "a") as f:
            f.write(PRELUDE + textwrap.dedent(source) + "\n")
    spec = seam_spec(allow_builtins)
    if request is None:
        return Learner(folder, spec, call_timeout=5.0, stand_ins=vars(ORACLE))
    learner = RemoteLearner(read_submission(Path(folder)), spec,
                            request.getfixturevalue("sandbox"), call_timeout=5.0)
    request.addfinalizer(learner.close)
    return learner


@pytest.fixture(scope="session")
def sandbox():
    """The sandbox (its zygote with torch imported) that the tests' submissions
    run in, as a judge's do, one after another."""
    box = Sandbox()
    yield box
    box.kill()


def variant_source(variant):
    """The source that makes variant.exercise the variant's function (or class),
    to append to the exercise's module: its setup, its definition, undecorated,
    and an alias."""
    lines = inspect.getsource(variant.fn).splitlines()
    source = "\n".join(lines[next(i for i, line in enumerate(lines)
                                   if line.startswith(("def ", "class "))):])
    return f"{textwrap.dedent(variant.setup)}{source}\n{variant.exercise} = {variant.fn.__name__}\n"


def with_variant(folder, variant, request=None, allow_builtins=False):
    """A learner where variant.exercise is the variant's function (see make_impl)."""
    return with_variants(folder, [variant], request, allow_builtins)


def with_variants(folder, variants, request=None, allow_builtins=False):
    """A learner where each variant's exercise is that variant's function; at most
    one variant an exercise (catalogue.submissions)."""
    learner = make_impl(folder, {v.exercise: variant_source(v) for v in variants}, request,
                        allow_builtins)
    for variant in variants:
        getattr(learner, variant.exercise)  # raises if the spliced module does not import
    return learner


@pytest.fixture(scope="session")
def fashion_mnist():
    from grader.grading.data import load_features
    return load_features()


def run(test_name, learner, request, grading_seed=None, shrink=True):
    """(status, message) of one suite test on `learner`; a grader failure raises.
    shrink=False where only the status matters: a failure is not shrunk."""
    status, message, _ = run_check(test_name, learner,
                                   lambda: request.getfixturevalue("fashion_mnist"), grading_seed,
                                   shrink=shrink)
    assert status is not None, message
    return status, message


def learner_grade(learner, exercise, request, grading_seed=None):
    """The exercise's grade as a learner gets it (status, feedback, mistake, ...),
    and {check: status}: all its checks run in the suite's order and folded by
    the grade book (batch.grade)."""
    from grader.grading.session import grade
    from grader.exercises import DEFAULT_POINTS
    statuses = {}
    result = grade(learner, DEFAULT_POINTS, fashion=lambda: request.getfixturevalue("fashion_mnist"),
                   grading_seed=grading_seed, exercises=(exercise,),
                   report=lambda _, check: statuses.__setitem__(check.name, check.status))
    assert "internal error" not in result["exercises"][exercise]["feedback"]
    return result["exercises"][exercise], statuses


def learner_feedback(learner, exercise, request, grading_seed=None):
    """The exercise's feedback as a learner reads it, and {check: status} (see learner_grade)."""
    result, statuses = learner_grade(learner, exercise, request, grading_seed)
    return result["feedback"], statuses
