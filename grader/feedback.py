"""What every learner front-end shows of a grade (pytest's summary, watch mode,
the notebook): the grade table, the next step, and each unfinished exercise's
message. One text, rendered by each front-end its own way.

`grade` is GradeBook.as_json(): {"score", "max_score", "exercises": {name:
{"status", "score", "max_score", "feedback"}}}.
"""
from grader.exercises import NAME_WIDTH

SHORT = {"passed": "passed", "failed": "FAILED", "error": "ERROR", "timeout": "TIMEOUT",
         "not_attempted": "not attempted", "missing": "MISSING"}
# Statuses whose message the learner needs to read (not attempted says itself).
TO_READ = ("failed", "error", "timeout", "missing")
TABLE_WIDTH = 64  # characters of a message's first line in the table


def clip(text, width):
    """`text` cut at the last word boundary before `width`, with "..." if cut."""
    if len(text) <= width:
        return text
    cut = text[:width - 3].rsplit(" ", 1)[0] if " " in text[:width - 3] else text[:width - 3]
    return cut.rstrip(" ,;:") + "..."


def first_line(result):
    return result["feedback"].partition("\n")[0]


def table_rows(grade):
    """(exercise, status, text of its row) for each graded exercise, then the total."""
    rows = []
    for name, result in grade["exercises"].items():
        status = result["status"]
        why = clip(first_line(result), TABLE_WIDTH) if status in TO_READ else ""
        rows.append((name, status, f"  {name:<{NAME_WIDTH}} {SHORT[status]:<14}"
                                   f" {result['score']:>3}/{result['max_score']:<3}  {why}".rstrip()))
    return rows


def total_line(grade):
    passed = sum(r["status"] == "passed" for r in grade["exercises"].values())
    return (f"  {'total':<{NAME_WIDTH + 15}} {grade['score']:>3}/{grade['max_score']:<3}"
            f"  ({passed} of {len(grade['exercises'])} exercises passed)")


def next_exercise(grade):
    """The first exercise, in chapter order, that has not passed; None if all have."""
    return next((n for n, r in grade["exercises"].items() if r["status"] != "passed"), None)


def next_lines(grade, command):
    """What to do next: the first open exercise's problem and how to grade it alone.
    `command` formats the exercise's name into the front-end's way of grading one."""
    todo = next_exercise(grade)
    if todo is None:
        return []
    return [f"  next: {first_line(grade['exercises'][todo])}",
            f"        then run `{command.format(todo)}` to grade just that one"]


def messages(grade):
    """(exercise, its whole message) for each exercise whose message is to be read."""
    return [(name, result["feedback"]) for name, result in grade["exercises"].items()
            if result["status"] in TO_READ]
