"""The grading core: the checks and their suite, the strategies that generate
inputs, the one grading session every front-end drives, failures and grades."""
