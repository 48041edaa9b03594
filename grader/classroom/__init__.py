"""Grading a class: judges and their sandboxed workers, submissions, the class's
outputs and mistake report, Gradescope, the learner's release."""
