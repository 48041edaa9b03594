"""Grading tests for exercises/concise.py (d2l 3.3 and 3.7)."""
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from grader.grading import strategies as S
from grader.grading.checks import arrays
from grader.grading.checks import concise as C
from grader.grading.checks.common import seeded
from grader.grading.checks.convergence import check_linear_regression_training_converges, \
    check_softmax_regression_training_converges, converged_run, softmax_regression_epochs
from grader.grading.plot import plot_epochs
from grader.grading.suite.test_softmax_regression import FASHION_BAR, FASHION_RECIPE
from grader.portable.recipes.concise import train_linreg_concise, train_softmax_concise

exercise = pytest.mark.exercise


@exercise("load_array")
def test_load_array_returns_a_dataloader(learner):
    arrays.check_load_array_returns_a_dataloader(learner)


@exercise("load_array")
@given(case=S.batching_cases(), is_train=st.booleans())
@example(case=(10, 25, 2), is_train=True).via("last batch smaller")
@example(case=(50, 7, 1), is_train=False).via("batch_size > n")
def test_load_array_batch_sizes(learner, case, is_train):
    arrays.check_load_array_batch_sizes(learner, *case, is_train)


@exercise("load_array")
@given(case=S.batching_cases(), is_train=st.booleans())
def test_load_array_visits_every_example_once(learner, case, is_train):
    arrays.check_load_array_visits_every_example_once(learner, *case, is_train)


@exercise("load_array")
@given(case=S.batching_cases(), is_train=st.booleans())
def test_load_array_keeps_features_and_labels_aligned(learner, case, is_train):
    arrays.check_load_array_keeps_features_and_labels_aligned(learner, *case, is_train)


@exercise("load_array")
def test_load_array_keeps_order_when_not_training(learner):
    arrays.check_load_array_keeps_order_when_not_training(learner)


@exercise("load_array")
def test_load_array_shuffles_when_training(learner):
    arrays.check_load_array_shuffles_when_training(learner)


@exercise("load_array")
def test_load_array_reshuffles_every_pass(learner):
    arrays.check_load_array_reshuffles_every_pass(learner)


@exercise("linreg_concise")
def test_linreg_concise_has_the_books_layers(learner):
    C.check_model_has_the_books_layers(learner, "linreg_concise")


@exercise("linreg_concise")
def test_linreg_concise_starts_from_small_normal_weights(learner):
    # Two weights a model: pooled over 200 models.
    C.check_model_starts_from_small_normal_weights(learner, "linreg_concise", copies=200,
                                                   bias_bound=0)


@exercise("linreg_concise")
def test_linreg_concise_trains_linear_regression(learner):
    check_linear_regression_training_converges(learner, "linreg_concise", train_linreg_concise)


@exercise("softmax_concise")
def test_softmax_concise_has_the_books_layers(learner):
    C.check_model_has_the_books_layers(learner, "softmax_concise")


@exercise("softmax_concise")
def test_softmax_concise_starts_from_small_normal_weights(learner):
    # d2l's init_weights leaves the bias at PyTorch's default; 0 is fine too.
    C.check_model_starts_from_small_normal_weights(learner, "softmax_concise", copies=1,
                                                   bias_bound=C.default_bias_bound(784))


@exercise("softmax_concise")
def test_softmax_concise_trains_on_fashion_mnist(learner, fashion_mnist, record_property,
                                                 fashion_plot_dir):
    with seeded(0, learner.softmax_concise):
        epochs = softmax_regression_epochs(learner, ("softmax_concise",), *fashion_mnist,
                                           FASHION_RECIPE, FASHION_BAR, "softmax_concise",
                                           train_softmax_concise)
    check_softmax_regression_training_converges(epochs, "softmax_concise", FASHION_BAR)
    record_property("feedback", converged_run(epochs, "softmax_concise", FASHION_BAR))
    if fashion_plot_dir:
        plot_epochs(epochs, fashion_plot_dir, "softmax_concise")
