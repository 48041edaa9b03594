"""Grader for the d2l chapter-3 exercise kit."""
