"""Grading tests for exercises/training.py (d2l 3.5.1 and 3.6.5-3.6.7)."""
import pytest
import torch
from hypothesis import example, given

from grader import strategies as S
from grader.checks import loops as C
from grader.oracle import ORACLE

exercise = pytest.mark.exercise


@exercise("Accumulator")
@given(run=S.accumulator_runs())
@example(run=(3, [("add", (1, 0.5, 10)), ("add", (2, 0.25, 6))]))
def test_accumulator_sums_what_is_added(learner, run):
    C.check_accumulator_sums_what_is_added(learner, *run)


@exercise("Accumulator")
@given(run=S.accumulator_runs(resets=True))
@example(run=(2, [("add", (1, 2.5)), ("reset", ()), ("add", (3, 0.5))])
         ).via("a reset after non-zero sums")
def test_accumulator_reset_sets_every_slot_to_zero(learner, run):
    C.check_accumulator_reset_sets_every_slot_to_zero(learner, *run)


@exercise("Accumulator")
@given(run=S.accumulator_runs(tensors=True))
def test_accumulator_stores_plain_numbers(learner, run):
    C.check_accumulator_stores_plain_numbers(learner, *run)


@exercise("evaluate_accuracy")
def test_evaluate_accuracy_puts_a_module_in_eval_mode(learner):
    C.check_evaluate_accuracy_puts_a_module_in_eval_mode(learner)


@exercise("evaluate_accuracy")
def test_evaluate_accuracy_is_the_fraction_right_over_all_examples(learner):
    for n, batch_size in [(10, 4), (13, 5), (7, 8)]:
        C.check_evaluate_accuracy_is_the_fraction_right_over_all_examples(learner, n, batch_size)


@exercise("train_epoch_ch3")
def test_train_epoch_ch3_puts_a_module_in_train_mode(learner):
    C.check_train_epoch_ch3_puts_a_module_in_train_mode(learner)


@exercise("train_epoch_ch3")
def test_train_epoch_ch3_returns_mean_loss_and_accuracy(learner):
    C.check_train_epoch_ch3_returns_mean_loss_and_accuracy(learner)


@exercise("train_epoch_ch3")
def test_train_epoch_ch3_calls_updater_with_batch_size_on_summed_loss(learner):
    C.check_train_epoch_ch3_calls_updater_with_batch_size_on_summed_loss(learner)


@exercise("train_epoch_ch3")
def test_train_epoch_ch3_steps_an_optimizer_on_the_mean_loss(learner):
    C.check_train_epoch_ch3_steps_an_optimizer_on_the_mean_loss(learner)


@exercise("train_ch3")
def test_train_ch3_returns_a_row_per_epoch(learner):
    C.check_train_ch3_returns_a_row_per_epoch(learner, num_epochs=3)


@exercise("get_fashion_mnist_labels")
@given(labels=S.fashion_labels())
@example(labels=torch.arange(10)).via("every class once")
def test_get_fashion_mnist_labels_names_each_label(learner, labels):
    C.check_get_fashion_mnist_labels_names_each_label(learner.get_fashion_mnist_labels,
                                                      ORACLE.get_fashion_mnist_labels, labels)


@exercise("predict_ch3")
def test_predict_ch3_labels_the_first_n_examples(learner):
    for n in (None, 3):
        C.check_predict_ch3_labels_the_first_n_examples(learner, n)
