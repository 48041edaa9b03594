"""What ends a check, besides a failure of its own: the outcomes of a call of
the learner's code (not attempted, missing, a broken module, a time limit, a
crash, an endless iterator, a call of the book's d2l package) and the error
the learner's code raised. Only the standard library here.
"""
import sys

# The kit's modules whose code makes outcomes: an outcome made by any other code
# (the learner's) is not sealed.
MAKERS = ("grader.portable.time_limits", "grader.portable.importing", "grader.portable.seam")


class Outcome(BaseException):
    """Ends a check at once with a status; derives from BaseException so that
    Hypothesis does not shrink on it and learner code cannot catch it.
    `sealed`: made by the kit's own code (MAKERS), not raised by the learner's (a
    guard turns an unsealed one into the learner's error, see Learner._guard)."""
    status = "error"

    def __init__(self, exercise, message):
        super().__init__(message)
        self.exercise = exercise
        self.message = message
        self.sealed = _made_here(self, sys._getframe(1))


def _made_here(outcome, frame):
    """Whether the code that made `outcome` is one of the MAKERS': the first frame,
    from `frame` out, that is not an __init__ of `outcome` itself (a subclass's)."""
    while frame is not None and frame.f_code.co_name == "__init__" \
            and frame.f_locals.get("self") is outcome:
        frame = frame.f_back
    return frame is not None and any(
        frame.f_globals is vars(sys.modules[name]) for name in MAKERS if name in sys.modules)


class NotAttempted(Outcome):
    status = "not_attempted"


class Missing(Outcome):
    status = "missing"


class BrokenModule(Outcome):
    status = "error"


class TimedOut(Outcome):
    status = "timeout"


class Crashed(Outcome):
    """The process running the learner's code ended (sys.exit, os._exit, a crash)."""
    status = "error"


class Endless(Outcome):
    """The learner's iterator yielded more items than its input has elements: it
    would never end. A failure, settled at once (no shrinking: any input shows it)."""
    status = "failed"


class BookAnswer(Outcome):
    """The learner's function called the book's d2l package, which grading never
    loads (it ships the book's answers): a failure of the exercise it ran in."""
    status = "failed"


class RecipeCrashed(Exception):
    """A recipe of grader.portable.recipes (a training run, a helper driven as d2l drives
    it) stopped with an exception outside the learner's guarded calls: it got
    something it cannot use from the learner's code. Carries only text."""

    def __init__(self, type_name, message):
        super().__init__(f"{type_name}: {message}")
        self.type_name, self.message = str(type_name), str(message)


class LearnerError(Exception):
    """The learner's function raised. An Exception, so Hypothesis shrinks to the
    smallest input that makes it raise. `called`: what was called, if not the
    exercise itself (a method of a learner's class: Accumulator.add)."""

    def __init__(self, exercise, inputs, error, where, called=None):
        super().__init__(f"{exercise} raised {type(error).__name__}: {error}")
        self.exercise, self.inputs, self.error, self.where = exercise, inputs, error, where
        self.called = called or exercise
