"""Grader for the d2l chapter-3 exercise kit.

In a notebook: `import grader`, then `grader.check("softmax")` grades one
exercise as the notebook defines it, and `grader.check()` grades them all.
Importing the package also lets the book's code run as printed in the
learner's own cells (grader.learner.kernel: `from d2l import torch as d2l`, Fashion-MNIST
offline). It stays light (no torch: the instructor command's parent process
imports it); the grading code loads on the first check.
"""
import sys

from grader.learner import kernel as book

book.install()


def check(exercise=None, *, call_timeout=10.0, allow_builtins=False, points=None, lang=None):
    """Grade `exercise` (by its name, such as "softmax"; None: every exercise) as
    the calling code defines it. In a Jupyter kernel, that is the notebook's
    definitions, as the cells that ran define them (grader.learner.replay), as
    `python -m grader grade` grades the saved notebook; elsewhere, the calling
    code's globals. Returns a grader.learner.notebook.Result, shown as the grade table
    and messages (HTML in Jupyter). `call_timeout`: seconds one call of a
    learner's function may take. `lang`: "zh" (Chinese) or "en" (English); None:
    the locale's (LANGUAGE, LC_ALL, LC_MESSAGES, LANG)."""
    from grader.learner.notebook import check_names
    return check_names(sys._getframe(1).f_globals, exercise, call_timeout=call_timeout,
                       allow_builtins=allow_builtins, points=points, lang=lang)
