"""check_* functions: each tests one property of one learner function and
raises CheckFailed when it does not hold. No pytest here: the pytest suite and
the instructor command both call these."""
