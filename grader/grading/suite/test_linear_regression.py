"""Grading tests for exercises/linear_regression.py (d2l 3.1, 3.2, and 3.3's Huber loss)."""
import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st

from grader.grading import strategies as S
from grader.grading.checks import basics, closed_form, linear, synthetic
from grader.grading.checks.common import check_does_not_reseed_global_rngs, \
    check_gradient_matches_oracle, check_leaves_inputs_unchanged
from grader.grading.checks.convergence import check_linear_regression_training_converges
from grader.i18n import N_
from grader.portable.oracle import ORACLE

exercise = pytest.mark.exercise


@exercise("Timer")
@given(intervals=S.timer_intervals())
@example(intervals=[(1.0, 2.5), (3.0, 0.5)]).via("a gap before the second run")
def test_Timer_stop_returns_the_seconds_since_start(learner, intervals):
    basics.check_timer_stop_returns_the_seconds_since_start(learner, intervals)


@exercise("Timer")
def test_Timer_starts_when_created(learner):
    basics.check_timer_starts_when_created(learner, 1.25)


@exercise("Timer")
@given(intervals=S.timer_intervals())
def test_Timer_sum_adds_every_recorded_time(learner, intervals):
    basics.check_timer_sum_adds_every_recorded_time(learner, intervals)


@exercise("Timer")
@given(intervals=S.timer_intervals())
@example(intervals=[(0.0, 1.0), (0.0, 3.0)]).via("two runs of different lengths")
def test_Timer_avg_is_the_mean_recorded_time(learner, intervals):
    basics.check_timer_avg_is_the_mean_recorded_time(learner, intervals)


@exercise("Timer")
@given(intervals=S.timer_intervals())
@example(intervals=[(0.0, 1.0), (0.5, 2.0), (0.0, 0.25)]).via("three runs")
def test_Timer_cumsum_lists_running_totals(learner, intervals):
    basics.check_timer_cumsum_lists_running_totals(learner, intervals)


@exercise("normal")
@given(case=S.normal_cases(), as_numpy=st.booleans())
def test_normal_returns_x_kind_shape_and_dtype(learner, case, as_numpy):
    x, mu, sigma = case
    basics.check_normal_returns_x_kind_shape_and_dtype(learner, x.double() if as_numpy else x,
                                                       mu, sigma, as_numpy)


@exercise("normal")
@given(case=S.normal_cases(), as_numpy=st.booleans())
def test_normal_leaves_x_unchanged(learner, case, as_numpy):
    x, mu, sigma = case
    basics.check_normal_leaves_x_unchanged(learner, x.double() if as_numpy else x, mu, sigma,
                                           as_numpy)


@exercise("normal")
@given(case=S.normal_cases())
@example(case=(torch.tensor([-1.0, 0.0, 1.0, 2.5]), 0.0, 3.0)).via("sigma 3")
def test_normal_matches_the_density_on_numpy_arrays(learner, case):
    x, mu, sigma = case
    basics.check_normal_matches_the_density(learner, x.double(), mu, sigma, True)


@exercise("normal")
@given(case=S.normal_cases())
@example(case=(torch.tensor([-1.0, 0.0, 1.0, 2.5]), 0.0, 3.0)).via("sigma 3")
def test_normal_matches_the_density_on_tensors(learner, case):
    basics.check_normal_matches_the_density(learner, *case, False)


@exercise("normal")
def test_normal_integrates_to_one(learner):
    # The book's three curves, and a narrow one.
    for mu, sigma in [(0, 1), (0, 2), (3, 1), (-1, 0.5)]:
        basics.check_normal_integrates_to_one(learner, mu, sigma)


@exercise("linreg_closed_form")
@given(problem=S.least_squares_problems())
def test_linreg_closed_form_returns_w_and_b_in_linregs_shapes(learner, problem):
    closed_form.check_linreg_closed_form_returns_w_and_b(learner.linreg_closed_form, *problem)


@exercise("linreg_closed_form")
@given(problem=S.least_squares_problems())
def test_linreg_closed_form_leaves_inputs_unchanged(learner, problem):
    X, y = problem
    check_leaves_inputs_unchanged(learner.linreg_closed_form, "linreg_closed_form", X=X, y=y)


@exercise("linreg_closed_form")
@given(problem=S.least_squares_problems())
def test_linreg_closed_form_matches_least_squares(learner, problem):
    closed_form.check_linreg_closed_form_fits_like_least_squares(
        learner.linreg_closed_form, *problem, tol=1e-4,
        hint=N_("minimise sum((X @ w + b - y)**2): with X and y centred, w solves it and"
                " b = mean(y) - mean(X) @ w"))


@exercise("linreg_closed_form")
def test_linreg_closed_form_fits_ill_conditioned_features(learner):
    # Condition number 3000: float32 holds it, but not its square (X^T X).
    for seed in range(8):
        X, y = S.least_squares_problem(seed, 30, 4, cond=3e3)
        closed_form.check_linreg_closed_form_fits_like_least_squares(
            learner.linreg_closed_form, X, y, tol=5e-3, hint=closed_form.CONDITIONING_HINT,
            about=N_("condition number 3000 once centred"))


@exercise("linreg_closed_form")
@given(problem=S.least_squares_problems(wide=True))
@example(problem=S.least_squares_problem(0, 3, 5)).via("3 examples, 5 features")
def test_linreg_closed_form_fits_more_features_than_examples(learner, problem):
    closed_form.check_linreg_closed_form_fits_like_least_squares(
        learner.linreg_closed_form, *problem, tol=1e-3, hint=closed_form.SINGULAR_HINT)


@exercise("linreg_closed_form")
@given(problem=st.integers(1, 2).flatmap(lambda copies: S.least_squares_problems(copies=copies)))
@example(problem=S.least_squares_problem(0, 10, 2, copies=1)).via("a feature twice")
def test_linreg_closed_form_fits_collinear_features(learner, problem):
    closed_form.check_linreg_closed_form_fits_like_least_squares(
        learner.linreg_closed_form, *problem, tol=1e-3, hint=closed_form.SINGULAR_HINT)


@exercise("synthetic_data")
@given(w=st.integers(1, 5).flatmap(lambda d: S.float_tensors((d,), bound=5.0)),
       b=S.floats32(5.0), n=st.integers(1, 30))
def test_synthetic_data_returns_X_and_column_y(learner, w, b, n):
    synthetic.check_synthetic_data_returns_shapes(learner.synthetic_data, w, b, n)


@exercise("synthetic_data")
def test_synthetic_data_leaves_w_unchanged(learner):
    check_leaves_inputs_unchanged(learner.synthetic_data, "synthetic_data",
                                  w=synthetic.true_w(), b=synthetic.TRUE_B, num_examples=10)


@exercise("synthetic_data")
def test_synthetic_data_features_are_standard_normal(learner):
    synthetic.check_synthetic_data_features_are_standard_normal(learner.synthetic_data)


@exercise("synthetic_data")
def test_synthetic_data_labels_are_linear_in_features(learner):
    synthetic.check_synthetic_data_labels_are_linear_in_features(learner.synthetic_data)


@exercise("synthetic_data")
def test_synthetic_data_noise_has_std_0_01(learner):
    synthetic.check_synthetic_data_noise_has_std_0_01(learner.synthetic_data)


@exercise("synthetic_data")
def test_synthetic_data_does_not_reseed(learner):
    check_does_not_reseed_global_rngs(learner.synthetic_data, (synthetic.true_w(), synthetic.TRUE_B, 10),
                                      "synthetic_data")


@exercise("synthetic_data")
def test_synthetic_data_draws_fresh_data_each_call(learner):
    synthetic.check_synthetic_data_draws_fresh_data(learner.synthetic_data)


@exercise("synthetic_data")
def test_synthetic_data_trains_linear_regression(learner):
    check_linear_regression_training_converges(learner, "synthetic_data")


@exercise("data_iter")
def test_data_iter_leaves_features_and_labels_unchanged(learner):
    features, labels = S.indexed_dataset(20, 2)
    check_leaves_inputs_unchanged(learner.data_iter, "data_iter", batch_size=3,
                                  features=features, labels=labels)


@exercise("data_iter")
@given(case=S.batching_cases())
@example(case=(10, 25, 2)).via("last batch smaller")
@example(case=(50, 7, 1)).via("batch_size > n")
def test_data_iter_batch_sizes(learner, case):
    synthetic.check_data_iter_batch_sizes(learner.data_iter, *case)


@exercise("data_iter")
@given(case=S.batching_cases())
def test_data_iter_visits_every_example_once(learner, case):
    synthetic.check_data_iter_visits_every_example_once(learner.data_iter, *case)


@exercise("data_iter")
@given(case=S.batching_cases())
def test_data_iter_keeps_features_and_labels_aligned(learner, case):
    synthetic.check_data_iter_keeps_features_and_labels_aligned(learner.data_iter, *case)


@exercise("data_iter")
def test_data_iter_shuffles_examples(learner):
    synthetic.check_data_iter_shuffles_examples(learner.data_iter)


@exercise("data_iter")
def test_data_iter_reshuffles_every_pass(learner):
    synthetic.check_data_iter_reshuffles_every_pass(learner.data_iter)


@exercise("data_iter")
def test_data_iter_does_not_reseed(learner):
    features, labels = S.indexed_dataset(20, 2)
    check_does_not_reseed_global_rngs(learner.data_iter, (3, features, labels), "data_iter")


@exercise("data_iter")
def test_data_iter_trains_linear_regression(learner):
    check_linear_regression_training_converges(learner, "data_iter")


@exercise("linreg")
@given(inputs=S.linreg_inputs())
def test_linreg_returns_column(learner, inputs):
    linear.check_linreg_returns_column(learner.linreg, *inputs)


@exercise("linreg")
@given(inputs=S.linreg_inputs())
def test_linreg_leaves_inputs_unchanged(learner, inputs):
    X, w, b = inputs
    check_leaves_inputs_unchanged(learner.linreg, "linreg", X=X, w=w, b=b)


@exercise("linreg")
@given(inputs=S.linreg_inputs())
def test_linreg_matches_X_w_plus_b(learner, inputs):
    linear.check_linreg_matches_oracle(learner.linreg, ORACLE.linreg, *inputs)


@exercise("linreg")
@given(inputs=S.linreg_inputs(), seed=st.integers(0, 2**16))
def test_linreg_gradient_matches_autograd(learner, inputs, seed):
    X, w, b = inputs
    check_gradient_matches_oracle(learner.linreg, ORACLE.linreg, "linreg", ("w", "b"), seed,
                                     X=X, w=w, b=b)


@exercise("linreg")
def test_linreg_trains_linear_regression(learner):
    check_linear_regression_training_converges(learner, "linreg")


@exercise("squared_loss")
@given(pair=S.regression_pairs())
def test_squared_loss_keeps_shape_of_y_hat(learner, pair):
    linear.check_squared_loss_keeps_shape_of_y_hat(learner.squared_loss, *pair)


@exercise("squared_loss")
@given(pair=S.regression_pairs())
def test_squared_loss_leaves_inputs_unchanged(learner, pair):
    y_hat, y = pair
    check_leaves_inputs_unchanged(learner.squared_loss, "squared_loss", y_hat=y_hat, y=y)


@exercise("squared_loss")
@given(pair=S.regression_pairs())
def test_squared_loss_matches_half_squared_error(learner, pair):
    linear.check_squared_loss_matches_oracle(learner.squared_loss, ORACLE.squared_loss, *pair)


@exercise("squared_loss")
@given(pair=S.regression_pairs(), seed=st.integers(0, 2**16))
def test_squared_loss_gradient_matches_autograd(learner, pair, seed):
    y_hat, y = pair
    check_gradient_matches_oracle(learner.squared_loss, ORACLE.squared_loss, "squared_loss",
                                     ("y_hat",), seed, y_hat=y_hat, y=y)


@exercise("squared_loss")
def test_squared_loss_trains_linear_regression(learner):
    check_linear_regression_training_converges(learner, "squared_loss")


@exercise("sgd")
@given(case=S.sgd_cases())
def test_sgd_updates_params(learner, case):
    linear.check_sgd_updates_params(learner.sgd, *case)


@exercise("sgd")
@given(case=S.sgd_cases())
def test_sgd_keeps_params_as_leaves(learner, case):
    linear.check_sgd_keeps_params_as_leaves(learner.sgd, *case)


@exercise("sgd")
@given(case=S.sgd_cases())
def test_sgd_clears_gradients(learner, case):
    linear.check_sgd_clears_gradients(learner.sgd, *case)


@exercise("sgd")
def test_sgd_trains_linear_regression(learner):
    check_linear_regression_training_converges(learner, "sgd")


@exercise("huber_loss")
@given(case=S.huber_cases())
def test_huber_loss_keeps_shape_of_y_hat(learner, case):
    linear.check_huber_loss_keeps_shape_of_y_hat(learner.huber_loss, *case)


@exercise("huber_loss")
@given(case=S.huber_cases())
def test_huber_loss_leaves_inputs_unchanged(learner, case):
    y_hat, y, delta = case
    check_leaves_inputs_unchanged(learner.huber_loss, "huber_loss", y_hat=y_hat, y=y, delta=delta)



@exercise("huber_loss")
@given(case=S.huber_cases())
@example(case=(torch.tensor([[1.0], [-1.0], [0.5], [-3.0]]), torch.zeros(4), 1.0)).via(
    "errors at and around delta")
@example(case=(torch.tensor([[1.0], [3.0], [-2.0]]), torch.zeros(3, 1), 2.0)).via("delta 2")
def test_huber_loss_matches_huber_formula(learner, case):
    linear.check_huber_loss_matches_oracle(learner.huber_loss, ORACLE.huber_loss, *case)


@exercise("huber_loss")
@given(case=S.huber_cases(), seed=st.integers(0, 2**16))
@example(case=(torch.tensor([[1.0], [-1.0], [0.5], [-3.0]]), torch.zeros(4), 1.0), seed=0).via(
    "errors at and around delta")
def test_huber_loss_gradient_matches_autograd(learner, case, seed):
    y_hat, y, delta = case
    check_gradient_matches_oracle(learner.huber_loss, ORACLE.huber_loss, "huber_loss",
                                  ("y_hat",), seed, y_hat=y_hat, y=y, delta=delta)