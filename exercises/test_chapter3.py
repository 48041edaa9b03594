"""Grades your four files: run `pytest exercises` from the kit's folder.

The checks live in the grader package; this file only brings them in. Use
`pytest exercises --exercise softmax` to grade one function.
"""
from grader.suite.linear_regression import *  # noqa: F401,F403
from grader.suite.softmax_regression import *  # noqa: F401,F403
from grader.suite.training import *  # noqa: F401,F403
from grader.suite.concise import *  # noqa: F401,F403
