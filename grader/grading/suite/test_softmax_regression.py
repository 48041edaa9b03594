"""Grading tests for exercises/softmax_regression.py (d2l 3.6, and 3.7.2's loss from logits)."""
import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st

from grader.grading import strategies as S
from grader.grading.checks import classification as C
from grader.grading.checks import model
from grader.grading.checks.common import check_gradient_matches_oracle, check_leaves_inputs_unchanged
from grader.grading.checks.convergence import check_softmax_regression_training_converges, converged_run, \
    softmax_regression_epochs
from grader.i18n import N_
from grader.grading.plot import plot_epochs
from grader.portable.oracle import ORACLE
from grader.portable.recipes.softmax import gaussian_blobs

exercise = pytest.mark.exercise

BLOBS = gaussian_blobs()
BLOBS_RECIPE = dict(num_epochs=5, lr=0.1, batch_size=64, seed=0)
BLOBS_BAR = dict(min_test_acc=0.9, max_train_loss=0.3,
                 data_name=N_("a synthetic 4-class data set"))
# d2l 3.6.6's recipe; d2l asserts test accuracy > 0.7 and train loss < 0.5,
# a correct implementation reaches about 0.83.
FASHION_RECIPE = dict(num_epochs=10, lr=0.1, batch_size=256, seed=0)
FASHION_BAR = dict(min_test_acc=0.80, max_train_loss=0.5, data_name="Fashion-MNIST")


def _train_blobs(learner, name):
    epochs = softmax_regression_epochs(learner, (name,), *BLOBS, BLOBS_RECIPE, BLOBS_BAR, name)
    check_softmax_regression_training_converges(epochs, name, BLOBS_BAR)


def _train_fashion(fashion_runs, name, record_property, plot_dir):
    """The Fashion-MNIST run of `name` (shared with the others when they pass,
    see SharedRuns), with its per-epoch table in the feedback."""
    epochs = fashion_runs.epochs(name, FASHION_RECIPE, FASHION_BAR)
    check_softmax_regression_training_converges(epochs, name, FASHION_BAR)
    record_property("feedback", converged_run(epochs, name, FASHION_BAR))
    if plot_dir:
        plot_epochs(epochs, plot_dir, name)


@exercise("softmax")
@given(X=S.logits())
def test_softmax_returns_shape_of_X(learner, X):
    C.check_softmax_returns_shape_of_X(learner.softmax, X)


@exercise("softmax")
@given(X=S.logits())
def test_softmax_leaves_X_unchanged(learner, X):
    check_leaves_inputs_unchanged(learner.softmax, "softmax", X=X)


@exercise("softmax")
@given(X=S.logits())
def test_softmax_rows_sum_to_one(learner, X):
    C.check_softmax_rows_sum_to_one(learner.softmax, X)


@exercise("softmax")
@given(X=S.logits())
def test_softmax_matches_exp_over_row_sum(learner, X):
    C.check_softmax_matches_oracle(learner.softmax, ORACLE.softmax, X)


@exercise("softmax")
@given(X=S.large_logits())
@example(X=torch.tensor([[1e4, 1e4 - 1, 1e4 - 2], [0.0, 1.0, 2.0]])).via("rows on two scales")
@example(X=torch.tensor([[-1e4, -1e4 + 1]])).via("large negative logits")
def test_softmax_is_stable_for_large_logits(learner, X):
    C.check_softmax_is_stable_for_large_logits(learner.softmax, ORACLE.softmax, X)


@exercise("softmax")
@given(X=S.logits(), seed=st.integers(0, 2**16))
def test_softmax_gradient_matches_autograd(learner, X, seed):
    check_gradient_matches_oracle(learner.softmax, ORACLE.softmax, "softmax", ("X",), seed,
                                     X=X)


@exercise("softmax")
def test_softmax_trains_on_synthetic_classes(learner):
    _train_blobs(learner, "softmax")


@exercise("net")
def test_net_W_is_784_by_10(learner):
    model.check_net_W_is_784_by_10(learner)


@exercise("net")
def test_net_b_has_10_entries(learner):
    model.check_net_b_has_10_entries(learner)


@exercise("net")
def test_net_parameters_require_grad(learner):
    model.check_net_parameters_require_grad(learner)


@exercise("net")
def test_net_W_is_drawn_from_normal_0_0_01(learner):
    model.check_net_W_is_drawn_from_normal_0_0_01(learner)


@exercise("net")
def test_net_b_starts_at_zero(learner):
    model.check_net_b_starts_at_zero(learner)


@exercise("net")
@given(X=S.images())
def test_net_returns_a_row_of_10_per_image(learner, X):
    model.check_net_returns_a_row_of_10_per_image(learner, X)


@exercise("net")
@given(X=S.images())
def test_net_matches_softmax_of_X_W_plus_b(learner, X):
    model.check_net_matches_softmax_of_X_W_plus_b(learner, X)


@exercise("cross_entropy")
@given(pair=S.probabilities_with_labels())
@example(pair=(torch.tensor([[0.1, 0.2, 0.7], [0.5, 0.3, 0.2]]), torch.tensor([0, 2])))
def test_cross_entropy_returns_one_loss_per_example(learner, pair):
    C.check_cross_entropy_returns_one_loss_per_example(learner.cross_entropy, *pair)


@exercise("cross_entropy")
@given(pair=S.probabilities_with_labels(zeros=True))
def test_cross_entropy_leaves_inputs_unchanged(learner, pair):
    y_hat, y = pair
    check_leaves_inputs_unchanged(learner.cross_entropy, "cross_entropy", y_hat=y_hat, y=y)


@exercise("cross_entropy")
@given(pair=S.probabilities_with_labels())
def test_cross_entropy_matches_minus_log_of_true_class(learner, pair):
    C.check_cross_entropy_matches_oracle(learner.cross_entropy, ORACLE.cross_entropy, *pair)


@exercise("cross_entropy")
@given(pair=S.probabilities_with_labels(zeros=True))
@example(pair=(torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.tensor([0, 1])))
def test_cross_entropy_is_finite_with_zero_probabilities(learner, pair):
    C.check_cross_entropy_is_finite_when_other_classes_have_zero_probability(
        learner.cross_entropy, ORACLE.cross_entropy, *pair)


@exercise("cross_entropy")
@given(pair=S.probabilities_with_labels(), seed=st.integers(0, 2**16))
def test_cross_entropy_gradient_matches_autograd(learner, pair, seed):
    y_hat, y = pair
    check_gradient_matches_oracle(learner.cross_entropy, ORACLE.cross_entropy,
                                     "cross_entropy", ("y_hat",), seed, y_hat=y_hat, y=y)


@exercise("cross_entropy")
@given(logits_and_labels=S.probabilities_with_labels().map(lambda p: (p[0].log(), p[1])))
def test_cross_entropy_gradient_is_p_minus_onehot(learner, logits_and_labels):
    C.check_cross_entropy_gradient_is_p_minus_onehot(learner.cross_entropy, *logits_and_labels)


@exercise("cross_entropy")
def test_cross_entropy_trains_on_synthetic_classes(learner):
    _train_blobs(learner, "cross_entropy")


# softmax's Fashion-MNIST check comes after cross_entropy's other checks, so that
# when both pass those, one run trains softmax, cross_entropy and sgd together
# and serves all three checks (SharedRuns).
@exercise("softmax")
def test_softmax_trains_on_fashion_mnist(learner, fashion_runs, record_property, fashion_plot_dir):
    _train_fashion(fashion_runs, "softmax", record_property, fashion_plot_dir)


@exercise("cross_entropy")
def test_cross_entropy_trains_on_fashion_mnist(learner, fashion_runs, record_property, fashion_plot_dir):
    _train_fashion(fashion_runs, "cross_entropy", record_property, fashion_plot_dir)


@exercise("sgd")
def test_sgd_trains_on_fashion_mnist(learner, fashion_runs, record_property, fashion_plot_dir):
    _train_fashion(fashion_runs, "sgd", record_property, fashion_plot_dir)


@exercise("accuracy")
@given(pair=S.scores_with_labels())
@example(pair=(torch.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]]), torch.tensor([1, 0, 0]))
         ).via("2 right of 3: a count, not a fraction")
def test_accuracy_counts_argmax_matches(learner, pair):
    C.check_accuracy_counts_correct_scores(learner.accuracy, ORACLE.accuracy, *pair)


@exercise("accuracy")
@given(pair=S.predicted_labels())
def test_accuracy_counts_matching_labels(learner, pair):
    C.check_accuracy_counts_correct_labels(learner.accuracy, ORACLE.accuracy, *pair)


def _class_means(X, y, num_classes, chunk=4096):
    """(num_classes, d): the mean of X's rows per label, summed a chunk of rows
    at a time (X may be ScaledImages: no float copy of the whole)."""
    sums = torch.zeros(num_classes, X.shape[1])
    for rows in torch.arange(len(X)).split(chunk):
        sums.index_add_(0, y[rows], X[rows])
    return sums / torch.bincount(y, minlength=num_classes).unsqueeze(1)


@exercise("accuracy")
def test_accuracy_counts_fashion_mnist_predictions(learner, fashion_mnist):
    """Scores of a nearest-class-mean classifier on the real test set."""
    (X_train, y_train), (X_test, y_test) = fashion_mnist
    means = _class_means(X_train, y_train, 10)
    C.check_accuracy_counts_correct_scores(learner.accuracy, ORACLE.accuracy,
                                           X_test @ means.T, y_test)


@exercise("cross_entropy_from_logits")
@given(pair=S.logits_with_labels())
@example(pair=(torch.tensor([[1.0, 2.0, 0.0], [0.0, 1.0, 3.0]]), torch.tensor([0, 2]))).via(
    "two examples: an (n, 1) column against (n,) values broadcasts to (n, n)")
def test_cross_entropy_from_logits_returns_one_loss_per_example(learner, pair):
    C.check_cross_entropy_from_logits_returns_one_loss_per_example(
        learner.cross_entropy_from_logits, *pair)


@exercise("cross_entropy_from_logits")
@given(pair=S.logits_with_labels())
def test_cross_entropy_from_logits_leaves_inputs_unchanged(learner, pair):
    o, y = pair
    check_leaves_inputs_unchanged(learner.cross_entropy_from_logits, "cross_entropy_from_logits",
                                  o=o, y=y)



@exercise("cross_entropy_from_logits")
@given(pair=S.logits_with_labels())
def test_cross_entropy_from_logits_matches_log_sum_exp_minus_true_logit(learner, pair):
    C.check_cross_entropy_from_logits_matches_oracle(
        learner.cross_entropy_from_logits, ORACLE.cross_entropy_from_logits, *pair)


@exercise("cross_entropy_from_logits")
@given(pair=S.logits_with_labels(large=True))
@example(pair=(torch.tensor([[1e4, 0.0, -1e4]]), torch.tensor([2]))).via("a tiny probability")
@example(pair=(torch.tensor([[1e4, 1e4 - 1], [0.0, 1.0]]), torch.tensor([1, 0]))).via(
    "rows on two scales")
def test_cross_entropy_from_logits_is_stable_for_large_logits(learner, pair):
    C.check_cross_entropy_from_logits_is_stable_for_large_logits(
        learner.cross_entropy_from_logits, ORACLE.cross_entropy_from_logits, *pair)


@exercise("cross_entropy_from_logits")
@given(pair=S.logits_with_labels(), seed=st.integers(0, 2**16))
def test_cross_entropy_from_logits_gradient_matches_autograd(learner, pair, seed):
    o, y = pair
    check_gradient_matches_oracle(learner.cross_entropy_from_logits,
                                  ORACLE.cross_entropy_from_logits, "cross_entropy_from_logits",
                                  ("o",), seed, o=o, y=y)