"""The grader's verdicts: right code passes, wrong code is caught by the checks
meant to catch it, valid alternatives pass, and each failure is pinned on the
function that caused it."""
import pytest

from grader.seam import EXERCISES
from tests import alternatives, wrong  # noqa: F401 - register the variants
from tests.catalogue import ALTERNATIVES, WRONG
from grader.batch import SUITE, exercise_of, suite_tests_of
from tests.conftest import make_impl, run, with_variant

SABOTAGE = "def {name}(*args):\n    raise RuntimeError('sabotaged')\n"


@pytest.mark.parametrize("exercise", EXERCISES)
def test_reference_passes_whatever_the_other_functions_do(exercise, tmp_path, request):
    """Attribution: with every OTHER function broken, the reference `exercise`
    still passes all its checks, so no check of it leans on another function."""
    others = {name: SABOTAGE.format(name=name) for name in EXERCISES if name != exercise}
    learner = make_impl(tmp_path / "impl", others)
    for test in suite_tests_of(exercise):
        assert run(test, learner, request) == ("passed", ""), test


# The instructor command runs submissions in a process of their own: the same
# verdicts must come out there.
WHERE = pytest.mark.parametrize("own_process", [False, True], ids=["in-process", "own-process"])


@WHERE
@pytest.mark.parametrize("variant", WRONG, ids=str)
def test_wrong_implementation_is_caught(variant, own_process, tmp_path, request):
    learner = with_variant(tmp_path / "impl", variant, request if own_process else None)
    for test in variant.caught_by:
        assert exercise_of(SUITE[test]) == variant.exercise, f"{test} grades another exercise"
        status, message = run(test, learner, request)
        assert status in ("failed", "error", "timeout"), f"{test} passed {variant}"
    status, message = run(variant.caught_by[0], learner, request)
    assert variant.hint in message, message


@WHERE
@pytest.mark.parametrize("variant", ALTERNATIVES, ids=str)
def test_valid_alternative_is_accepted(variant, own_process, tmp_path, request):
    learner = with_variant(tmp_path / "impl", variant, request if own_process else None)
    for test in suite_tests_of(variant.exercise):
        status, message = run(test, learner, request)
        assert status == "passed", f"{test}:\n{message}"


def test_every_check_catches_some_wrong_implementation():
    caught = {test for variant in WRONG for test in variant.caught_by}
    assert set(SUITE) - caught == set()


def test_catalogue_is_large_enough():
    assert len(WRONG) >= 40 and len(ALTERNATIVES) >= 12
    assert {v.exercise for v in WRONG} == set(EXERCISES)
