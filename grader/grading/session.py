"""The one grading session: the rules of a grading, in one place, that every
front-end drives.

A Session knows the points, the exercises' checks so far (a GradeBook), the
grading seed and the time budget, and answers for each check of the suite:
does it run, or what does it repeat (Session.repeated); is its failure shrunk
(Session.shrinks); what status and message does its outcome give
(Session.verdict: classified, then the from-scratch rule, or an internal error
of the grader's); and it records the result (Session.record). It also gives the
suite's fixtures (Session.fixture).

Two loops drive it. The pytest plugin (grader.learner.plugin), whose hooks
call it as pytest runs each check; and Session.grade, which runs the suite's
tests directly on one implementation: the notebook, the class command's judges
(with grader.classroom.remote.RemoteLearner, so the submission runs in its own
process) and the kit's own tests use it.
"""
import functools
import importlib
import inspect
import time
from contextlib import nullcontext

from grader.exercises import DEFAULT_POINTS
from grader.grading.checks.convergence import SharedRuns
from grader.grading.data import raw_folder, shared_features
from grader.grading.failures import apply_from_scratch_rule, classify
from grader.grading.grades import CheckResult, GradeBook, Status, failed, used_up
from grader.grading.mistakes import Diagnosed, cause_of
from grader.grading.profiles import seed_suite, without_shrinking
from grader.i18n import _
from grader.portable.outcomes import Crashed
from grader.portable.warned import taken_warnings

# Once a check ends an exercise with one of these, its other checks are not run:
# the exercise's status is settled, and calling broken code again only costs time.
FINAL = (Status.NOT_ATTEMPTED, Status.MISSING, Status.TIMEOUT, Status.ERROR)
# Under pytest, whose report lists every check, an error ends no exercise (its next
# check runs), and a check not run after a timeout says "not run, as ...": as the
# plugin has always graded (issue 32 changed no verdict).
FINAL_UNDER_PYTEST = (Status.NOT_ATTEMPTED, Status.MISSING, Status.TIMEOUT)
# The suite's fixtures that a Session gives (pytest gives record_property itself).
FIXTURES = ("learner", "fashion_mnist", "fashion_mnist_raw", "fashion_runs", "fashion_plot_dir")


@functools.cache
def suite():
    """{name: test function} of the suite's tests, in its order. Imported when first
    asked for: the number of examples (profiles.use_examples) is set before."""
    from grader.grading.suite import MODULE_NAMES
    return {name: fn for module in MODULE_NAMES
            for name, fn in vars(importlib.import_module(module)).items()
            if name.startswith("test_")}


def exercise_of(test):
    return next(m.args[0] for m in test.pytestmark if m.name == "exercise")


def suite_tests_of(exercise):
    return [name for name, fn in suite().items() if exercise_of(fn) == exercise]


class GraderFailed(Exception):
    """The grader, not the submission, failed on a check; str() says how."""


class Repeated(Exception):
    """Ends a check that is not run, with the `status` and `message` it would end
    with anyway (Session.repeated)."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status, self.message = status, message


def learners(error):
    """Whether `error`, which ended a check, is the learner's outcome or a rule's
    (not a fault of the grader's)."""
    return isinstance(error, Repeated) or classify(error)[0] is not None


def internal_error(message, traceback=None):
    """The message of a check the grader itself failed on (`message` says how);
    with pytest's `traceback`, asking the learner to report it."""
    if traceback is None:
        return _("internal error in the grader: {message}").format(message=message)
    return _("internal error in the grader: {message} (please report it, with this"
             " traceback)").format(message=message) + "\n" + traceback


class Session:
    """One grading of one implementation (`learner`, which a front-end may set
    later, as pytest's fixture does): `points` per exercise, the examples of
    `grading_seed` (None: the learner's), at most `budget` seconds in all (None:
    no limit). Fashion-MNIST comes from `fashion()` and its raw files from
    `data_root` (None: the default root). `final`: the statuses that end an
    exercise; `say_not_run`: a check not run after a timeout says so.
    `report(exercise, CheckResult)` is called as each check is recorded."""

    def __init__(self, points, *, learner=None, grading_seed=None, budget=None,
                 fashion=shared_features, data_root=None, plot_dir=None, runs=None,
                 final=FINAL, say_not_run=False, report=None):
        self.book = GradeBook(points)
        self.learner, self.grading_seed, self.budget = learner, grading_seed, budget
        self.deadline = time.monotonic() + budget if budget else None
        self.fashion, self.data_root, self.plot_dir = fashion, data_root, plot_dir
        self.runs, self.final, self.say_not_run, self.report = runs, final, say_not_run, report
        self.ends = {}  # exercise: the first CheckResult that ended it

    def fixture(self, name):
        """The value of the suite's fixture `name` (one of FIXTURES): `learner`, the
        implementation under grading (a grader.portable.seam.Learner or a stand-in
        for one); `fashion_mnist`, ((X_train, y_train), (X_test, y_test)) with
        features that read as float32 (n, 784) in [0, 1] and int64 labels;
        `fashion_mnist_raw`, a function giving the folder of the four raw files
        (grader.grading.data.raw_folder); `fashion_runs`, the Fashion-MNIST runs
        several checks share (SharedRuns); `fashion_plot_dir`, a Path or None."""
        if name == "learner":
            return self.learner
        if name == "fashion_mnist":
            return self.fashion()
        if name == "fashion_mnist_raw":  # called by the check: missing data is its error
            return lambda: raw_folder(self.data_root)
        if name == "fashion_runs":  # the data is loaded by the first run that needs it
            if self.runs is None:
                self.runs = SharedRuns(self.learner, self.fashion, self.book.statuses)
            return self.runs
        if name == "fashion_plot_dir":
            return self.plot_dir
        raise KeyError(name)

    def seed(self, tests):
        """Give the suite's `tests` the examples of the grading seed."""
        seed_suite(tests, self.grading_seed)

    def repeated(self, exercise):
        """None if a check of `exercise` is to run; else the Repeated it ends with
        unrun: the first final status of the exercise and its message (each call
        would end the same way), or a timeout once the budget is used up."""
        end = self.ends.get(exercise)
        if end is not None:
            message = end.message
            if end.status == Status.TIMEOUT and self.say_not_run:
                message = Diagnosed(_("not run, as {message}").format(message=message),
                                    *cause_of(message))
            return Repeated(end.status, message)
        if self.deadline and time.monotonic() > self.deadline:
            return Repeated(Status.TIMEOUT, used_up(self.budget))
        return None

    def shrinks(self, exercise):
        """Whether a failing check of `exercise` is shrunk to its smallest input:
        not once the exercise failed a check (its message is then only listed
        under the first failure's)."""
        return not failed(self.book.statuses(exercise))

    def verdict(self, exercise, error, learner):
        """(status, message) of a check of `exercise` that ended with `error`
        (None: it passed) on `learner` (None: the check got no learner, and the
        from-scratch rule does not apply); status None if the grader itself
        failed, the message saying how (see internal_error)."""
        if isinstance(error, Repeated):
            return error.status, error.message
        status, message = (Status.PASSED, "") if error is None else classify(error)
        if status is not None and learner is not None:
            status, message = apply_from_scratch_rule(learner, exercise, status, message)
        return status, message

    def record(self, exercise, result):
        """Note a check's CheckResult (a skipped one counts for nothing)."""
        self.book.record(exercise, result)
        if result.status in self.final:
            self.ends.setdefault(exercise, result)
        if self.report:
            self.report(exercise, result)

    def run_check(self, test_name, shrink=True):
        """Run one suite test; (status, message, notes), status None if the grader
        itself failed (message says how). shrink=False: a failure is not shrunk
        to its smallest input (see profiles.without_shrinking). A check whose
        process ended under it (Crashed: the learner's code, or a fault outside
        it) runs once more in a fresh one: only a crash that comes back is the
        learner's."""
        result = self._run_check(test_name, shrink)
        if result[3] and hasattr(self.learner, "restart"):
            self.learner.restart()
            result = self._run_check(test_name, shrink)
        return result[:3]

    def _run_check(self, test_name, shrink):
        """run_check's one try: (status, message, notes, whether its process crashed)."""
        test, notes = suite()[test_name], []
        self.seed([test])
        inner = test.hypothesis.inner_test if hasattr(test, "hypothesis") else test
        names = inspect.signature(inner).parameters
        error = None
        try:
            with nullcontext() if shrink else without_shrinking(test):
                test(**{name: (lambda key, value: notes.append(value))
                        if name == "record_property" else self.fixture(name)
                        for name in names if name in FIXTURES or name == "record_property"})
        except BaseException as e:  # noqa: B036 - outcomes derive from BaseException
            error = e
        status, message = self.verdict(exercise_of(test), error, self.learner)
        return status, message, notes, isinstance(error, Crashed)

    def grade(self, exercises=None, internal_errors="record"):
        """Every suite test (of `exercises` only, if given), in the suite's order
        but the loading checks first (_loading_first); the grade as
        GradeBook.as_json(). A check the grader itself fails on is an error of
        its exercise that says so (internal_errors="record"), or raises
        GraderFailed ("raise": the class command grades the submission again,
        and never counts it as the learner's)."""
        tests = {name: test for name, test in sorted(suite().items(), key=_loading_first)
                 if exercises is None or exercise_of(test) in exercises}
        for exercise in {exercise_of(test) for test in tests.values()}:
            self.book.expect(exercise)
        for name, test in tests.items():
            exercise = exercise_of(test)
            repeat = self.repeated(exercise)
            if repeat is not None:
                status, message, notes = repeat.status, repeat.message, []
            else:
                status, message, notes = self.run_check(name, shrink=self.shrinks(exercise))
                if status is None:
                    if internal_errors == "raise":
                        raise GraderFailed(internal_error(message))
                    status, message = Status.ERROR, internal_error(message)
            self.record(exercise, CheckResult(name, status, message, notes, taken_warnings()))
        return self.book.as_json()


def _loading_first(item):
    """Sort key of (name, test) putting the load_data_fashion_mnist checks first
    (the order of the rest kept): their four DataLoader processes then come and
    go before the training checks have brought Fashion-MNIST into the
    judge and the worker, not on top of it, the peak of a grading's memory."""
    return exercise_of(item[1]) != "load_data_fashion_mnist"


def run_check(test_name, learner, fashion=shared_features, grading_seed=None, runs=None,
              shrink=True):
    """Session.run_check of one suite test on `learner`, alone: `runs` the
    SharedRuns of a whole grading (by default, each Fashion-MNIST check trains
    alone)."""
    return Session(DEFAULT_POINTS, learner=learner, grading_seed=grading_seed, fashion=fashion,
                   runs=runs).run_check(test_name, shrink)


def grade(learner, points, *, budget=None, fashion=shared_features, grading_seed=None,
          report=None, exercises=None, internal_errors="record"):
    """Every suite test on `learner` by one Session (see Session.grade)."""
    return Session(points, learner=learner, grading_seed=grading_seed, budget=budget,
                   fashion=fashion, report=report).grade(exercises, internal_errors)
