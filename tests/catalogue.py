"""Registry for the implementations in wrong.py, alternatives.py and from_scratch.py.

Each is a plain function; the kit's tests splice its source into copies of the
reference modules, under the exercise's name, and grade that folder.
"""
from dataclasses import dataclass

WRONG = []
ALTERNATIVES = []
BUILTINS = []


@dataclass(frozen=True)
class Variant:
    exercise: str
    fn: object
    caught_by: tuple = ()
    hint: str = ""
    zh: str = ""  # the hint as the Chinese message holds it, where that differs
    not_in: tuple = ()
    setup: str = ""  # source for the module's top level, before the function (net's W and b)

    def __str__(self):
        return f"{self.exercise}:{self.fn.__name__}"


def wrong(exercise, *caught_by, hint="", zh="", not_in=(), setup=""):
    """A wrong `exercise`; every test named in caught_by must fail on it, and the
    first message a learner reads for it (the exercise's feedback, whose first
    check is the most basic one that fails) must contain `hint` and none of the
    words in `not_in` (hints that would blame code that is right); in Chinese,
    `zh` (else `hint`, when that is code). `setup`: module-level source spliced
    in before it (net's W and b)."""
    def register(fn):
        WRONG.append(Variant(exercise, fn, caught_by, hint, zh, tuple(not_in), setup))
        return fn
    return register


def alternative(exercise, setup=""):
    """A valid `exercise`, different from the reference: all its tests must pass.
    `setup` as for wrong()."""
    def register(fn):
        ALTERNATIVES.append(Variant(exercise, fn, setup=setup))
        return fn
    return register


def builtin(exercise, name):
    """A right `exercise` that calls the built-in `name` doing its whole job: its
    values pass every check, and the from-scratch rule fails it naming `name`."""
    def register(fn):
        BUILTINS.append(Variant(exercise, fn, hint=name))
        return fn
    return register


def first_of_each_exercise(variants):
    """The first of `variants` for each exercise that has one, in catalogue order."""
    return list({v.exercise: v for v in reversed(variants)}.values())[::-1]


def submissions(variants):
    """`variants` packed, in catalogue order, into groups with at most one per
    exercise: each group is one submission, graded in one worker process. Its
    exercises are graded independently of each other
    (test_reference_passes_whatever_the_other_functions_do), so a group judges
    each of its variants as a submission of that variant alone would."""
    groups = []
    for variant in variants:
        group = next((g for g in groups if variant.exercise not in {v.exercise for v in g}), None)
        if group is None:
            groups.append(group := [])
        group.append(variant)
    return groups
