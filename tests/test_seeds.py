"""The instructor's grading seed: another, still deterministic, set of generated
examples, under which the catalogue is judged alike and code fitted to the
learner's examples fails."""
import importlib
import json
import shutil
import subprocess
import sys
from types import SimpleNamespace

import pytest
import torch

from grader.grading.session import run_check, suite, suite_tests_of
from tests import alternatives, wrong  # noqa: F401 - register the variants
from tests.catalogue import ALTERNATIVES, WRONG
from tests.conftest import KIT_ROOT, run, with_variant

pytest_plugins = ["pytester"]
SECOND_SEED = 7
STABILITY = "test_softmax_is_stable_for_large_logits"


def generated(test_name):
    """Whether a suite test draws examples (only those depend on the seed)."""
    return hasattr(suite()[test_name], "hypothesis")


def inputs_seen(test_name, grading_seed):
    """Every X the check passes to softmax, with a right softmax."""
    seen = []

    def softmax(X):
        seen.append(X.clone())
        return torch.softmax(X, dim=1)
    learner = SimpleNamespace(softmax=softmax, take_builtin_used=lambda exercise: None)
    assert run_check(test_name, learner, grading_seed=grading_seed)[0] == "passed"
    return seen


def same(a, b):
    return len(a) == len(b) and all(x.shape == y.shape and torch.equal(x, y) for x, y in zip(a, b))


def test_a_seed_draws_other_examples_and_the_same_ones_every_time():
    default, first, second = (inputs_seen(STABILITY, s) for s in (None, 1, 2))
    assert not same(default, first) and not same(first, second)
    assert same(first, inputs_seen(STABILITY, 1))
    assert same(default, inputs_seen(STABILITY, None))


def test_constants_in_loaded_code_do_not_change_the_examples(tmp_path, monkeypatch):
    """Hypothesis can mix literals of local modules into its examples; the
    grader's examples must not depend on what a submission's code holds."""
    before = inputs_seen(STABILITY, None)
    (tmp_path / "constants_galore.py").write_text(
        "VALUES = [89.0, 120.0, 4711.0, -7713.5, 9997.0, 1e4 - 3, 0.5, 12345]\n")
    monkeypatch.syspath_prepend(tmp_path)
    monkeypatch.setitem(sys.modules, "constants_galore", importlib.import_module("constants_galore"))
    assert same(before, inputs_seen(STABILITY, None))


@pytest.mark.parametrize("variant", WRONG, ids=str)
def test_wrong_implementation_is_caught_under_a_second_seed(variant, tmp_path, request):
    learner = with_variant(tmp_path / "impl", variant)
    for test in filter(generated, variant.caught_by):
        status, _ = run(test, learner, request, SECOND_SEED, shrink=False)
        assert status in ("failed", "error", "timeout"), f"{test} passed {variant}"


@pytest.mark.parametrize("variant", ALTERNATIVES, ids=str)
def test_valid_alternative_is_accepted_under_a_second_seed(variant, tmp_path, request):
    learner = with_variant(tmp_path / "impl", variant)
    for test in filter(generated, suite_tests_of(variant.exercise)):
        status, message = run(test, learner, request, SECOND_SEED)
        assert status == "passed", f"{test}:\n{message}"


FITTED = '''

import torch

# The learner's examples of the stability check, answered by heart; any other
# input gets the naive exp(X) / sum, which overflows for large logits.
KNOWN = {known}


def softmax(X):
    key = (tuple(X.shape), tuple(X.flatten().tolist()))
    if key in KNOWN:
        return torch.tensor(KNOWN[key], dtype=X.dtype).reshape(X.shape)
    X_exp = torch.exp(X)
    return X_exp / X_exp.sum(dim=1, keepdim=True)
'''


@pytest.fixture
def fitted(tmp_path):
    """A submission whose softmax passes the learner's examples by heart."""
    known = {(tuple(X.shape), tuple(X.flatten().tolist())):
             torch.softmax(X.double(), dim=1).float().flatten().tolist()
             for X in inputs_seen(STABILITY, None)}
    folder = tmp_path / "fitted"
    shutil.copytree(KIT_ROOT / "solutions", folder)
    with open(folder / "softmax_regression.py", "a") as f:
        f.write(FITTED.format(known=repr(known)))
    return folder


def test_code_fitted_to_the_learners_examples_fails_under_a_grading_seed(fitted, pytester):
    shutil.copy(KIT_ROOT / "exercises" / "test_chapter3.py", pytester.path)
    args = ("test_chapter3.py", "--impl", str(fitted), "--exercise", "softmax", "-k", "stable")
    assert pytester.runpytest_subprocess(*args).ret == 0
    result = pytester.runpytest_subprocess(*args, "--grading-seed", "3")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*softmax: every value must be finite*"])


def test_what_the_learners_code_draws_is_the_same_in_every_run(tmp_path):
    """torch, random and numpy seed themselves from the system in each process: a
    W drawn from the wrong distribution as the module loads gets the same message
    in two runs of `pytest exercises`, which it did not."""
    folder = shutil.copytree(KIT_ROOT / "solutions", tmp_path / "impl")
    with open(folder / "softmax_regression.py", "a") as f:
        f.write("\n\nW = torch.normal(0, 1, size=(784, 10), requires_grad=True)\n")
    messages = []
    for run_number in range(2):
        grade = tmp_path / f"grade{run_number}.json"
        subprocess.run([sys.executable, "-m", "pytest", "exercises", "--impl", str(folder),
                        "--exercise", "net", "--grade-json", str(grade), "-q"],
                       cwd=KIT_ROOT, capture_output=True, timeout=300)
        messages.append(json.loads(grade.read_text())["exercises"]["net"]["feedback"])
    assert "standard deviation 0.01" in messages[0]
    assert messages[0] == messages[1]
