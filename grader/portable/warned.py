"""Warnings raised by the learner's code: counted as they come, said once.

A check calls the learner's functions many times, and Python shows a warning
again after every change of its filters (Hypothesis and the kit make many): the
book's `normal`, whose np.exp on a tensor makes NumPy warn, printed 122 lines
over the message they buried. Each call of the learner's code runs inside
noting_warnings (grader.portable.seam.Learner._guard); whoever runs a check takes what
was noted meanwhile (taken_warnings), and the exercise's feedback says each
warning once, with its count (grader.learner.feedback.warnings_note).

Only the standard library: grader.portable.seam imports it.
"""
import warnings
from collections import Counter
from contextlib import contextmanager

# (function, "Category: first line of the message") -> times raised, since last taken.
NOTED = Counter()
# The filters' actions that show a warning (some only once per place or module):
# while noting, each time it is raised counts.
SHOWN = ("default", "always", "module", "once")


def _note(function):
    def note(message, category, filename, lineno, file=None, line=None):
        first = str(message).strip().partition("\n")[0]
        NOTED[function, f"{category.__name__}: {first}"] += 1
    return note


@contextmanager
def noting_warnings(function):
    """While the block runs (a call of the learner's `function`), each warning
    that the filters would show is counted for `function` instead of shown;
    the filters that ignore a warning, or make it an error, still do."""
    with warnings.catch_warnings():
        warnings.filters[:] = [("always", *rest) if action in SHOWN else (action, *rest)
                               for action, *rest in warnings.filters]
        warnings.simplefilter("always", append=True)  # where no filter matches
        warnings.showwarning = _note(function)
        yield


def taken_warnings():
    """[function, warning, times] for each warning noted since the last take,
    in the order first raised; none are left noted."""
    taken = [[function, text, times] for (function, text), times in NOTED.items()]
    NOTED.clear()
    return taken
