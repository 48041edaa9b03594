"""The grade book's rule: an exercise's first message is its first failing check's."""
from grader.exercises import DEFAULT_POINTS
from grader.learner.feedback import clip
from grader.grading.grades import CheckResult, GradeBook

SHAPE = "linreg: the result has the wrong shape\n  hint     a matrix product"
VALUES = "linreg: wrong values\n  hint     the model is X @ w + b"
CRASH = "linreg raised an error\n  got      RuntimeError: ..."


def _book(*results):
    book = GradeBook(DEFAULT_POINTS)
    for status, message in results:
        book.record("linreg", CheckResult(f"check {len(book.checks.get('linreg', []))}",
                                          status, message))
    return book.exercise("linreg")


def test_the_first_failing_check_gives_status_and_message():
    """A later error does not outrank the basic failure that explains it."""
    result = _book(("passed", ""), ("failed", SHAPE), ("error", CRASH), ("failed", VALUES))
    assert result["status"] == "failed" and result["score"] == 0
    assert result["feedback"].startswith(SHAPE)
    assert result["feedback"].endswith(
        "\n  also     2 more checks failed, which may follow from this one:"
        " linreg raised an error; wrong values")
    assert "a matrix product" in result["feedback"] and "X @ w + b" not in result["feedback"]


def test_repeated_messages_are_given_once():
    """A module that does not import fails every check with one message: shown once."""
    broken = "linear_regression.py could not be imported: SyntaxError: ..."
    result = _book(("error", broken), ("error", broken), ("error", broken))
    assert result == {"status": "error", "score": 0, "max_score": DEFAULT_POINTS["linreg"],
                      "feedback": broken, "mistake": "linreg/not-graded",
                      "mistake_title": "not graded: the grader could not finish it (see the"
                                       " message)"}


def test_skipped_checks_count_for_nothing():
    result = _book(("passed", ""), ("skipped", "not run"), ("passed", ""))
    assert (result["status"], result["feedback"]) == ("passed", "all 2 checks passed")


def test_the_table_cuts_a_message_at_a_word():
    assert clip("IndentationError: unindent does not match any outer indentation level", 30) \
        == "IndentationError: unindent..."
    assert clip("short enough", 30) == "short enough"
