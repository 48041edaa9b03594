"""The pytest tests that grade the learner: each applies one check to the
learner's function (fixture `learner`), marked with the exercise it grades.
exercises/test_chapter3.py imports them so that `pytest exercises` runs them.

@given reads the default settings when it decorates: grader.grading.profiles loads the
grading profile when it is first imported, before the test modules are.
"""
from grader.grading import profiles  # noqa: F401 - loads the grading profile
from grader.exercises import MODULES

# One module of tests per learner module, named test_ and the module's name.
MODULE_NAMES = tuple(f"grader.grading.suite.test_{module}" for module in MODULES)
