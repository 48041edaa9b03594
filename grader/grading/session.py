"""Grading without pytest: run the suite's tests directly on one implementation.

Used by the instructor command (with grader.classroom.remote.RemoteLearner, so the
submission runs in its own process) and by the kit's own tests.
"""
import importlib
import inspect
import time
from contextlib import nullcontext

from grader.grading.checks.convergence import SharedRuns
from grader.grading.data import raw_folder, shared_features
from grader.grading.grades import CheckResult, GradeBook, failed, used_up
from grader.i18n import _
from grader.portable.warned import taken_warnings
from grader.grading.profiles import seed_suite, without_shrinking
from grader.grading.failures import apply_from_scratch_rule, classify
from grader.portable.outcomes import Crashed
from grader.grading.suite import MODULE_NAMES

SUITE = {name: fn for module in MODULE_NAMES
         for name, fn in vars(importlib.import_module(module)).items()
         if name.startswith("test_")}
# Once a check ends an exercise with one of these, its other checks are not run:
# the exercise's status is settled, and calling broken code again only costs time.
FINAL = ("not_attempted", "missing", "timeout", "error")


def exercise_of(test):
    return next(m.args[0] for m in test.pytestmark if m.name == "exercise")


def suite_tests_of(exercise):
    return [name for name, fn in SUITE.items() if exercise_of(fn) == exercise]


class GraderFailed(Exception):
    """The grader, not the submission, failed on a check; str() says how."""


def run_check(test_name, learner, fashion=shared_features, grading_seed=None, runs=None,
              shrink=True):
    """Run one suite test on `learner`, with the examples of `grading_seed` (None:
    the learner's); (status, message, notes), status None if the grader itself
    failed (message says how). `runs`: the SharedRuns of a whole grading (by
    default, each Fashion-MNIST check trains alone). shrink=False: a failure is
    not shrunk to its smallest input (see profiles.without_shrinking). A check
    whose process ended under it (Crashed: the learner's code, or a fault
    outside it) runs once more in a fresh one: only a crash that comes back is
    the learner's."""
    result = _run_check(test_name, learner, fashion, grading_seed, runs, shrink)
    if result[3] and hasattr(learner, "restart"):
        learner.restart()
        result = _run_check(test_name, learner, fashion, grading_seed, runs, shrink)
    return result[:3]


def _run_check(test_name, learner, fashion, grading_seed, runs, shrink):
    """run_check's one try: (status, message, notes, whether its process crashed)."""
    test, notes = SUITE[test_name], []
    seed_suite([test], grading_seed)
    fixtures = {"learner": lambda: learner,
                "record_property": lambda: lambda key, value: notes.append(value),
                "fashion_plot_dir": lambda: None, "fashion_mnist": fashion,
                "fashion_mnist_raw": lambda: raw_folder,
                "fashion_runs": lambda: runs or SharedRuns(learner, fashion, lambda e: None)}
    inner = test.hypothesis.inner_test if hasattr(test, "hypothesis") else test
    try:
        with nullcontext() if shrink else without_shrinking(test):
            test(**{name: fixtures[name]() for name in inspect.signature(inner).parameters
                    if name in fixtures})
        status, message = "passed", ""
    except BaseException as e:  # noqa: B036 - outcomes derive from BaseException
        status, message = classify(e)
        crashed = isinstance(e, Crashed)
    else:
        crashed = False
    if status is not None:
        status, message = apply_from_scratch_rule(learner, exercise_of(test), status, message)
    return status, message, notes, crashed


def _loading_first(item):
    """Sort key of (name, test) putting the load_data_fashion_mnist checks first
    (the order of the rest kept): their four DataLoader processes then come and
    go before the training checks have brought Fashion-MNIST's 53 MB into the
    judge and the worker, not on top of it, the peak of a grading's memory."""
    return exercise_of(item[1]) != "load_data_fashion_mnist"


def grade(learner, points, *, budget=None, fashion=shared_features, grading_seed=None,
          report=None, exercises=None, internal_errors="record"):
    """Every suite test on `learner` (of `exercises` only, if given), in the suite's
    order but the loading checks first (_loading_first); the
    grade as GradeBook.as_json(). With a grading seed, the Hypothesis checks draw
    that seed's examples. `report(exercise, CheckResult)` is called as each check ends.
    A check the grader itself fails on is an error of its exercise that says so
    (internal_errors="record"), or raises GraderFailed ("raise": the class command
    grades the submission again, and never counts it as the learner's)."""
    book, deadline = GradeBook(points), time.monotonic() + budget if budget else None
    runs = SharedRuns(learner, fashion, book.statuses)
    final = {}
    tests = {name: test for name, test in sorted(SUITE.items(), key=_loading_first)
             if exercises is None or exercise_of(test) in exercises}
    for exercise in {exercise_of(test) for test in tests.values()}:
        book.expect(exercise)
    for name, test in tests.items():
        exercise = exercise_of(test)
        if exercise in final:
            status, message, notes = *final[exercise], []
        elif deadline and time.monotonic() > deadline:
            status, message, notes = "timeout", used_up(budget), []
        else:
            status, message, notes = run_check(name, learner, fashion, grading_seed, runs,
                                               shrink=not failed(book.statuses(exercise)))
            if status is None:
                if internal_errors == "raise":
                    raise GraderFailed(_("internal error in the grader: {message}").format(
                        message=message))
                status, message = "error", _("internal error in the grader: {message}").format(
                    message=message)
            if status in FINAL:
                final[exercise] = (status, message)
        result = CheckResult(name, status, message, notes, taken_warnings())
        book.record(exercise, result)
        if report:
            report(exercise, result)
    return book.as_json()
