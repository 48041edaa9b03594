"""The grader's verdicts: right code passes, wrong code is caught by the checks
meant to catch it, valid alternatives pass, and each failure is pinned on the
function that caused it."""
import pytest

from grader import i18n
from grader.grading.session import exercise_of, run_check, suite, suite_tests_of
from grader.grading.checks.convergence import TRAINED_TOGETHER, SharedRuns
from grader.exercises import NAMES as EXERCISES, TABLE, from_scratch_message
from grader.grading.mistakes import cause_of, identify
from tests import alternatives, from_scratch, wrong  # noqa: F401 - register the variants
from tests.catalogue import ALTERNATIVES, BUILTINS, WRONG, submissions
from tests.conftest import learner_grade, make_impl, run, with_variant, with_variants
from tests.test_i18n import english_sentences
from tests.test_mistakes import named_mistake

SABOTAGE = "def {name}(*args):\n    raise RuntimeError('sabotaged')\n"


@pytest.mark.parametrize("exercise", EXERCISES)
def test_reference_passes_whatever_the_other_functions_do(exercise, tmp_path, request):
    """Attribution: with every OTHER function broken, the reference `exercise`
    still passes all its checks, so no check of it leans on another function."""
    others = {name: SABOTAGE.format(name=name) for name in EXERCISES if name != exercise}
    learner = make_impl(tmp_path / "impl", others)
    for test in suite_tests_of(exercise):
        assert run(test, learner, request) == ("passed", ""), test


# The instructor command runs submissions in a process of their own, and may
# grade with a grading seed: the same verdicts must come out there. The
# own-process runs use a grading seed, so the catalogue is judged on two sets
# of generated examples (the learner's and GRADING_SEED's). A worker's start
# costs seconds, so the catalogue goes there as a few submissions, each with
# one variant an exercise (catalogue.submissions).
GRADING_SEED = 2024


def submission_ids(groups):
    return [f"{i + 1}of{len(groups)}-{len(g)}-variants" for i, g in enumerate(groups)]


@pytest.mark.parametrize("variant", WRONG, ids=str)
def test_wrong_implementation_is_caught_and_named_first(variant, tmp_path, request):
    """Every check in caught_by fails, and the first message the learner reads for
    the exercise (its most basic failing check's) holds the variant's hint and
    none of the words it must not: a hint that would blame code that is right.
    In Chinese, that check judges alike and its message holds the hint's Chinese
    and no English sentence."""
    learner = with_variant(tmp_path / "impl", variant)
    result, statuses = learner_grade(learner, variant.exercise, request)
    feedback = result["feedback"]
    assert result["mistake"] == named_mistake(variant.exercise, result, statuses), feedback
    for test in variant.caught_by:
        assert exercise_of(suite()[test]) == variant.exercise, f"{test} grades another exercise"
        # "skipped": a Fashion-MNIST run is not made once an earlier check failed;
        # the own-process test below runs it alone, where it must fail.
        assert statuses.get(test) in ("failed", "error", "timeout", "skipped"), \
            f"{test} gave {statuses.get(test)} for {variant}"
    assert variant.hint in feedback, feedback
    for words in variant.not_in:
        assert words not in feedback, f"{words!r} in the first message:\n{feedback}"
    first = next(test for test, status in statuses.items() if status not in ("passed", "skipped"))
    i18n.set_language("zh")
    try:
        status, chinese = run(first, learner, request)
    finally:
        i18n.set_language("en")
    assert status == statuses[first] and chinese.startswith(variant.exercise), chinese
    assert identify(variant.exercise, status, *cause_of(chinese), first, "")[0] \
        == result["mistake"], "the mistake's id changes with the language"
    assert (variant.zh or variant.hint) in chinese, chinese
    assert english_sentences(chinese) == [], chinese
    for words in variant.not_in:
        assert words not in chinese, f"{words!r} in the first message:\n{chinese}"


@pytest.mark.parametrize("variants", submissions(WRONG), ids=submission_ids(submissions(WRONG)))
def test_wrong_implementations_are_caught_in_a_process_of_their_own(variants, tmp_path, request):
    """The instructor command's way: the code in a worker process, the examples of
    an instructor's grading seed. Every check in caught_by fails."""
    learner = with_variants(tmp_path / "impl", variants, request)
    passed = [f"{test} passed {variant}" for variant in variants for test in variant.caught_by
              if run(test, learner, request, GRADING_SEED, shrink=False)[0]
              not in ("failed", "error", "timeout")]
    assert passed == []


@pytest.mark.parametrize("variant", ALTERNATIVES, ids=str)
def test_valid_alternative_is_accepted(variant, tmp_path, request):
    learner = with_variant(tmp_path / "impl", variant)
    for test in suite_tests_of(variant.exercise):
        status, message = run(test, learner, request)
        assert status == "passed", f"{test}:\n{message}"


@pytest.mark.parametrize("variants", submissions(ALTERNATIVES),
                         ids=submission_ids(submissions(ALTERNATIVES)))
def test_valid_alternatives_are_accepted_in_a_process_of_their_own(variants, tmp_path, request):
    learner = with_variants(tmp_path / "impl", variants, request)
    failed = [f"{test} on {variant}:\n{message}" for variant in variants
              for test in suite_tests_of(variant.exercise)
              for status, message in [run(test, learner, request, GRADING_SEED)]
              if status != "passed"]
    assert failed == []


def quick_tests_of(exercise):
    """The exercise's checks but the Fashion-MNIST runs (seconds each)."""
    return [test for test in suite_tests_of(exercise) if "fashion" not in test]


@pytest.mark.parametrize("variant", BUILTINS, ids=str)
def test_builtin_fails_by_the_from_scratch_rule_alone(variant, tmp_path, request):
    """Right values through the built-in that does the whole job: with the rule
    off every check passes; with it on every check fails with the rule's
    message, naming that built-in."""
    ruled = with_variant(tmp_path / "ruled", variant)
    allowed = with_variant(tmp_path / "allowed", variant, allow_builtins=True)
    expected = from_scratch_message(variant.exercise, variant.hint, values_right=True)
    for test in quick_tests_of(variant.exercise):
        assert run(test, allowed, request) == ("passed", ""), test
        assert run(test, ruled, request) == ("failed", expected), test


@pytest.mark.parametrize("variants", submissions(BUILTINS), ids=submission_ids(submissions(BUILTINS)))
def test_from_scratch_rule_holds_in_a_process_of_their_own(variants, tmp_path, request):
    learner = with_variants(tmp_path / "impl", variants, request)
    for variant in variants:
        first = suite_tests_of(variant.exercise)[0]
        expected = from_scratch_message(variant.exercise, variant.hint, values_right=True)
        assert run(first, learner, request) == ("failed", expected), variant


def test_from_scratch_rule_costs_no_other_exercise(tmp_path, request):
    """A softmax on torch.softmax fails softmax only: cross_entropy's and
    accuracy's checks, training included, never run the learner's softmax."""
    variant = next(v for v in BUILTINS if v.exercise == "softmax")
    learner = with_variant(tmp_path / "impl", variant)
    for test in quick_tests_of("cross_entropy") + quick_tests_of("accuracy"):
        assert run(test, learner, request) == ("passed", ""), test


def _shared_run_statuses(learner, request, statuses):
    """(status, first line) of the Fashion-MNIST checks of softmax, cross_entropy and
    sgd, run as in a whole grading where each exercise's earlier checks had `statuses`."""
    runs = SharedRuns(learner, lambda: request.getfixturevalue("fashion_mnist"),
                      lambda exercise: statuses[exercise])
    checks = {e: run_check(f"test_{e}_trains_on_fashion_mnist", learner, runs=runs)
              for e in TRAINED_TOGETHER}
    return {e: (status, message.partition("\n")[0]) for e, (status, message, _) in checks.items()}


def test_a_failed_shared_fashion_run_is_pinned_on_its_function(tmp_path, request):
    """With all three passing their other checks they train together; an sgd
    that breaks that run fails alone, and softmax and cross_entropy, trained
    alone, pass."""
    variant = next(v for v in WRONG if "test_sgd_trains_on_fashion_mnist" in v.caught_by)
    learner = with_variant(tmp_path / "impl", variant)
    got = _shared_run_statuses(learner, request, dict.fromkeys(TRAINED_TOGETHER, ["passed"]))
    assert got["softmax"] == got["cross_entropy"] == ("passed", "")
    assert got["sgd"][0] == "failed" and "does not learn Fashion-MNIST" in got["sgd"][1]


def test_the_shared_fashion_checks_come_after_the_three_exercises_other_checks():
    """So that a right implementation trains softmax, cross_entropy and sgd on
    Fashion-MNIST once: when the first of these checks runs, each of the three
    has passed its other checks, and SharedRuns puts all three in its team."""
    names = list(suite())
    shared = [names.index(f"test_{e}_trains_on_fashion_mnist") for e in TRAINED_TOGETHER]
    others = [i for i, name in enumerate(names)
              if exercise_of(suite()[name]) in TRAINED_TOGETHER and i not in shared]
    assert max(others) < min(shared)


def test_a_fashion_run_is_skipped_after_an_earlier_failure(tmp_path, request):
    learner = make_impl(tmp_path / "impl", {})
    statuses = {"softmax": ["passed", "failed"], "cross_entropy": ["passed"], "sgd": ["passed"]}
    got = _shared_run_statuses(learner, request, statuses)
    assert got["softmax"] == ("skipped", "not run: softmax already fails an earlier check")
    assert got["cross_entropy"] == got["sgd"] == ("passed", "")


def test_every_check_catches_some_wrong_implementation():
    caught = {test for variant in WRONG for test in variant.caught_by}
    assert set(suite()) - caught == set()


def test_catalogue_is_large_enough():
    assert len(WRONG) >= 40 and len(ALTERNATIVES) >= 12
    assert {v.exercise for v in WRONG} == set(EXERCISES)


def test_every_forbidden_builtin_has_a_case():
    """Each exercise with forbidden built-ins has cases, one of them through an alias."""
    ruled = {e.name for e in TABLE if e.forbidden or e.forbidden_code}
    assert {v.exercise for v in BUILTINS} == ruled
    names = {v.hint for v in BUILTINS}
    for e in TABLE:
        for name in e.forbidden:
            assert any(n.rsplit(".", 1)[-1].lstrip("_") == name for n in names), name
        assert set(e.forbidden_code.values()) <= names
    assert "softmax_through_an_alias" in {v.fn.__name__ for v in BUILTINS}
