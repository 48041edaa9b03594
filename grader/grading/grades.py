"""The grade book: per-check outcomes folded into per-exercise statuses and points."""
from collections import Counter
from dataclasses import dataclass, field
from enum import Enum

from grader.exercises import DEFAULT_POINTS, NAMES
from grader.grading.wording import label, warnings_note
from grader.i18n import N_, _, ngettext
from grader.grading.mistakes import cause_of, identify, status_cause


class Status(str, Enum):
    """A check's or an exercise's status. A str, its value: what grades.json and
    a judge's lines say, and equal to that text."""
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    TIMEOUT = "timeout"
    NOT_ATTEMPTED = "not_attempted"
    MISSING = "missing"
    # A check not run by a rule the README states: it counts for nothing, and no
    # exercise has this status.
    SKIPPED = "skipped"

    __str__ = str.__str__


# Each exercise status's words, translated where shown: SHORT in the grade table,
# where capitals mark what is to fix, WORDS on the class's pages.
LABELS = {Status.PASSED: (N_("passed"), N_("passed")),
          Status.FAILED: (N_("FAILED"), N_("failed")),
          Status.ERROR: (N_("ERROR"), N_("error")),
          Status.TIMEOUT: (N_("TIMEOUT"), N_("timed out")),
          Status.NOT_ATTEMPTED: (N_("not attempted"), N_("not attempted")),
          Status.MISSING: (N_("MISSING"), N_("missing"))}
SHORT = {status: short for status, (short, _words) in LABELS.items()}
WORDS = {status: words for status, (_short, words) in LABELS.items()}
# The statuses an exercise can have.
STATUSES = tuple(LABELS)
# The statuses of later checks listed under an exercise's first failure.
LATER = (Status.FAILED, Status.ERROR, Status.TIMEOUT)


@dataclass
class CheckResult:
    """A check's outcome. `cause` and `cause_words`: the mistake its message
    names (grader.grading.mistakes), taken from the message when not given."""
    name: str
    status: Status
    message: str = ""
    notes: list = field(default_factory=list)
    # [function, warning, times] of what the learner's code warned during the
    # check (grader.portable.warned.taken_warnings)
    warned: list = field(default_factory=list)
    cause: str = ""
    cause_words: str = ""

    def __post_init__(self):
        if not self.cause:
            self.cause, self.cause_words = cause_of(self.message)


@dataclass
class GradeBook:
    points: dict
    checks: dict = field(default_factory=dict)

    def expect(self, exercise):
        self.checks.setdefault(exercise, [])

    def record(self, exercise, result):
        """Note a check's result; a skipped check counts for nothing."""
        self.checks.setdefault(exercise, [])
        if result.status != Status.SKIPPED:
            self.checks[exercise].append(result)

    def statuses(self, exercise):
        """The statuses of `exercise`'s checks so far; None if it is not graded."""
        results = self.checks.get(exercise)
        return None if results is None else [r.status for r in results]

    def exercise(self, exercise):
        """{"status", "score", "max_score", "feedback"} for one exercise, and for
        one that did not pass, "mistake" and "mistake_title" (grader.grading.mistakes).

        The checks run from the most basic property to the most derived, so the
        first that did not pass names the cause: its status, message and mistake
        are the exercise's. Later failures are listed by title only, as what may
        follow from it: their hints could blame code that is right.
        """
        results = self.checks[exercise]
        bad = [r for r in results if r.status != Status.PASSED]
        max_score = self.points[exercise]
        warned = Counter()
        for function, text, times in (w for r in results for w in r.warned):
            warned[function, text] += times
        # What the learner's code warned, once, under the message or the verdict.
        said = "\n" + warnings_note(warned) if warned else ""
        if not results:
            status, feedback = Status.ERROR, _("not graded: the run stopped before any of its checks"
                                          " ran")
            bad = [CheckResult("", status, feedback)]
        elif not bad:
            status = Status.PASSED
            feedback = "\n\n".join([_("all {count} checks passed").format(count=len(results))
                                    + said] + [n for r in results for n in r.notes])
        else:
            status, feedback = bad[0].status, bad[0].message
            first = title(feedback, exercise)
            others = [t for t in dict.fromkeys(title(r.message, exercise) for r in bad[1:]
                                               if r.status in LATER) if t != first]
            if others:
                feedback += "\n" + label(_("also")) + ngettext(
                    "{count} more check failed, which may follow from this one: {titles}",
                    "{count} more checks failed, which may follow from this one: {titles}",
                    len(others)).format(count=len(others), titles="; ".join(others))
            feedback += said
        result = {"status": status, "score": max_score if status == Status.PASSED else 0,
                  "max_score": max_score, "feedback": feedback}
        if bad:
            first = bad[0]
            result["mistake"], result["mistake_title"] = identify(
                exercise, first.status, first.cause, first.cause_words, first.name,
                title(first.message, exercise))
        elif status != Status.PASSED:
            result["mistake"], result["mistake_title"] = identify(
                exercise, status, *status_cause("not-graded"), "", "")
        return result

    def as_json(self):
        exercises = {name: self.exercise(name) for name in NAMES if name in self.checks}
        return {"score": sum(e["score"] for e in exercises.values()),
                "max_score": sum(e["max_score"] for e in exercises.values()),
                "exercises": exercises}


def parse_points(entries, source):
    """NAME=POINTS entries over the defaults; a bad entry names its source."""
    points = dict(DEFAULT_POINTS)
    for entry in entries:
        name, sep, value = entry.partition("=")
        name = name.strip()
        if not sep or name not in points or not value.strip().isdigit():
            raise ValueError(f"{source}: bad points entry {entry!r}; expected NAME=POINTS with NAME"
                             f" one of {', '.join(points)} and POINTS a whole number")
        points[name] = int(value)
    return points


def failed(statuses):
    """Whether an exercise whose checks so far have `statuses` has failed one."""
    return any(status != Status.PASSED for status in statuses or ())


def used_up(budget):
    """The message of a check not run because the submission's `budget` s ran out."""
    return _("not run: the submission used up its {seconds} s for grading").format(
        seconds=f"{budget:g}")


def title(message, exercise):
    """A check's message's first line, without the exercise's name in front."""
    first = message.partition("\n")[0]
    return first.removeprefix(f"{exercise}: ")
