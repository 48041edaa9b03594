"""The learner's front-ends, thin drivers of the grading session: the pytest
plugin, watch mode, the notebook's grader.check, GitHub Actions' summary."""
