"""The pytest tests that grade the learner: each applies one check to the
learner's function (fixture `learner`), marked with the exercise it grades.
exercises/test_chapter3.py imports them so that `pytest exercises` runs them.

@given reads the default settings when it decorates, so the grading profile
is loaded here, before the test modules below are imported.
"""
from hypothesis import settings

from grader import profiles  # noqa: F401 - registers the profiles

settings.load_profile("grading")
