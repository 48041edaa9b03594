"""What every learner front-end shows of a grade (pytest's summary, watch mode,
the notebook): the grade table, the next step, and each unfinished exercise's
message. One text, rendered by each front-end its own way.

`grade` is GradeBook.as_json(): {"score", "max_score", "exercises": {name:
{"status", "score", "max_score", "feedback"}}}.
"""

from grader.exercises import NAME_WIDTH
from grader.grading.grades import SHORT, Status
from grader.grading.wording import clip, code_block, columns, heading, pad  # noqa: F401
from grader.i18n import _

# Statuses whose message the learner needs to read (not attempted says itself).
TO_READ = (Status.FAILED, Status.ERROR, Status.TIMEOUT, Status.MISSING)
TABLE_WIDTH = 64  # terminal columns of a message's first line in the table


WIDTH = 80  # as pytest's terminal summary when its output is not a terminal


def rule(title, fill="="):
    """The title centred in a line of `fill` WIDTH columns wide (see columns()),
    as pytest writes its section lines."""
    return f" {title} ".center(WIDTH - (columns(title) - len(title)), fill)


def graded_alone(grade):
    """Whether `grade` is of one exercise: then its table has no total, and no
    next step that would repeat the message just above it."""
    return len(grade["exercises"]) == 1


def first_line(result):
    return result["feedback"].partition("\n")[0]


def table_rows(grade):
    """(exercise, status, text of its row) for each graded exercise, then the total."""
    rows = []
    for name, result in grade["exercises"].items():
        status = result["status"]
        why = clip(first_line(result), TABLE_WIDTH) if status in TO_READ else ""
        word = pad(_(SHORT[status]), 14)
        rows.append((name, status, f"  {name:<{NAME_WIDTH}} {word}"
                                   f" {result['score']:>3}/{result['max_score']:<3}  {why}".rstrip()))
    return rows


def total_line(grade):
    passed = sum(r["status"] == Status.PASSED for r in grade["exercises"].values())
    total = pad(_("total"), NAME_WIDTH + 15)
    return (f"  {total} {grade['score']:>3}/{grade['max_score']:<3}  "
            + f"({passed_text(passed, len(grade['exercises']))})")


def passed_text(passed, exercises):
    """"3 of 27 exercises passed", in the learner's language."""
    return _("{passed} of {exercises} exercises passed").format(passed=passed, exercises=exercises)


def next_exercise(grade):
    """The first exercise, in chapter order, that has not passed; None if all have."""
    return next((n for n, r in grade["exercises"].items() if r["status"] != Status.PASSED), None)


def next_lines(grade, command):
    """What to do next: the first open exercise's problem and how to grade it alone.
    `command` formats the exercise's name into the front-end's way of grading one."""
    todo = next_exercise(grade)
    if todo is None:
        return []
    return ["  " + _("next: {message}").format(message=first_line(grade["exercises"][todo])),
            "        " + _("then run `{command}` to grade just that one").format(
                command=command.format(todo))]


def messages(grade):
    """(exercise, its whole message) for each exercise whose message is to be read."""
    return [(name, result["feedback"]) for name, result in grade["exercises"].items()
            if result["status"] in TO_READ]
