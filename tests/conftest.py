"""Helpers for the kit's own tests: grade folders made from the reference
solutions with one function swapped, by calling the suite's tests directly."""
import inspect
import shutil
import textwrap
from pathlib import Path

import pytest

from grader.reference import KIT_ROOT
from grader.report import classify
from grader.seam import MODULE_OF, Learner
from grader.suite import linear_regression as suite_linear, softmax_regression as suite_softmax

PRELUDE = "\nimport random\nimport numpy as np\nimport torch\n\n"
SUITE = {name: fn for module in (suite_linear, suite_softmax) for name, fn in vars(module).items()
         if name.startswith("test_")}


def exercise_of(test):
    return next(m.args[0] for m in test.pytestmark if m.name == "exercise")


def suite_tests_of(exercise):
    return [name for name, fn in SUITE.items() if exercise_of(fn) == exercise]


def make_impl(folder, replacements):
    """Copy solutions/ to `folder`, then define each exercise as the given source."""
    shutil.copytree(KIT_ROOT / "solutions", folder)
    for exercise, source in replacements.items():
        with open(Path(folder) / f"{MODULE_OF[exercise]}.py", "a") as f:
            f.write(PRELUDE + textwrap.dedent(source) + "\n")
    return Learner(folder, call_timeout=5.0)


def with_variant(folder, variant):
    """A Learner where variant.exercise is the variant's function."""
    lines = inspect.getsource(variant.fn).splitlines()
    source = "\n".join(lines[next(i for i, line in enumerate(lines) if line.startswith("def ")):])
    learner = make_impl(folder, {variant.exercise: f"{source}\n{variant.exercise} = {variant.fn.__name__}"})
    getattr(learner, variant.exercise)  # raises if the spliced module does not import
    return learner


@pytest.fixture(scope="session")
def fashion_mnist():
    from grader.fashion_mnist import as_float_features, load_fashion_mnist
    data = load_fashion_mnist()
    return ((as_float_features(data.train_images), data.train_labels),
            (as_float_features(data.test_images), data.test_labels))


def run(test_name, learner, request):
    """(status, message) of one suite test on `learner`; `request` supplies the
    Fashion-MNIST fixture to the tests that need it."""
    test = SUITE[test_name]
    fixtures = {"learner": lambda: learner, "record_property": lambda: lambda key, value: None,
                "fashion_plot_dir": lambda: None,
                "fashion_mnist": lambda: request.getfixturevalue("fashion_mnist")}
    inner = test.hypothesis.inner_test if hasattr(test, "hypothesis") else test
    kwargs = {name: fixtures[name]() for name in inspect.signature(inner).parameters
              if name in fixtures}
    try:
        test(**kwargs)
    except BaseException as e:  # noqa: B036 - outcomes derive from BaseException
        status, message = classify(e)
        if status is None:
            raise
        return status, message
    return "passed", ""
