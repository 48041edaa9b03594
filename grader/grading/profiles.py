"""Hypothesis settings profiles. Grading is derandomized and keeps no example
database, so the same code gets the same verdict on every run and machine
(given the pinned Hypothesis, torch and Python versions).

Learners see the "grading" profile's examples on every run. An instructor's
grading seed (`seed_suite`) draws another, still deterministic, set of
examples, and `use_examples` draws more of them.
"""
import sys
import zlib
from contextlib import contextmanager

from hypothesis import HealthCheck, Phase, seed, settings
from hypothesis.internal.conjecture import providers

from grader.options import EXAMPLES

# Hypothesis mixes literals it finds in the source of "local" modules into the
# examples it draws. Here those are the learner's own files (and the grader's),
# so the examples would depend on the constants in a submission: two learners
# would be graded on different inputs, and a submission could steer them. The
# grader draws from its strategies alone (tests/test_seeds.py shows it).
if hasattr(providers, "_get_local_constants"):
    _NO_LOCAL_CONSTANTS = type(providers._local_constants)()
    providers._get_local_constants = lambda: _NO_LOCAL_CONSTANTS
# No explain phase: the learner reads the kit's message, never Hypothesis' own
# explanation, and to explain a failure Hypothesis traces every line that each
# shrinking run executes (sys.settrace before Python 3.12): a check that took
# seconds took over 20 minutes in the kit's tests.
settings.register_profile(
    "grading", derandomize=True, deadline=None, database=None, max_examples=EXAMPLES,
    print_blob=False, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    phases=[p for p in Phase if p is not Phase.explain])
settings.load_profile("grading")


def use_examples(examples):
    """Grade with `examples` generated examples per check instead of EXAMPLES.

    @given reads the settings when it decorates, so this must run before the
    suite (grader.grading.suite) is imported."""
    if "grader.grading.suite" in sys.modules:
        raise RuntimeError("the number of examples must be set before grader.grading.suite is imported")
    settings.register_profile(f"grading-{examples}", settings.get_profile("grading"),
                              max_examples=examples)
    settings.load_profile(f"grading-{examples}")


def seed_suite(tests, grading_seed):
    """Give each Hypothesis test its own seed derived from `grading_seed` (an int),
    or, for None, the default derandomized examples."""
    for test in tests:
        if hasattr(test, "hypothesis"):
            seed(None if grading_seed is None
                 else zlib.crc32(f"{grading_seed}:{test.__name__}".encode()))(test)


@contextmanager
def without_shrinking(test):
    """Run the Hypothesis test `test` without shrinking its failures, for a check
    of an exercise that already failed an earlier, more basic one: its message
    is only listed under that one's, so the smallest input is not worth the time."""
    if not hasattr(test, "hypothesis"):
        yield
        return
    saved = test._hypothesis_internal_use_settings
    test._hypothesis_internal_use_settings = settings(
        saved, phases=[p for p in saved.phases if p is not Phase.shrink])
    try:
        yield
    finally:
        test._hypothesis_internal_use_settings = saved
