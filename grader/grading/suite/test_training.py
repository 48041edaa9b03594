"""Grading tests for exercises/training.py (d2l 3.5 and 3.6.5-3.6.7)."""
import pytest
import torch
from hypothesis import example, given

from grader.grading import strategies as S
from grader.grading.checks import drawing as D, loading as L, loops as C
from grader.portable.oracle import ORACLE
from grader.portable.recipes.figures import ANIMATOR_CASES, IMAGE_CASES

exercise = pytest.mark.exercise


@exercise("show_images")
def test_show_images_returns_the_axes(learner):
    for case in IMAGE_CASES:
        D.check_show_images_returns_the_axes(learner, case)


@exercise("show_images")
def test_show_images_sizes_the_figure(learner):
    for case in IMAGE_CASES:
        D.check_show_images_sizes_the_figure(learner, case)


@exercise("show_images")
def test_show_images_draws_one_axes_per_cell(learner):
    for case in IMAGE_CASES:
        D.check_show_images_draws_one_axes_per_cell(learner, case)


@exercise("show_images")
def test_show_images_shows_each_image(learner):
    for case in IMAGE_CASES:
        D.check_show_images_shows_each_image(learner, case)


@exercise("show_images")
def test_show_images_titles_each_image(learner):
    for case in IMAGE_CASES:
        D.check_show_images_titles_each_image(learner, case)


@exercise("show_images")
def test_show_images_hides_the_axis_lines(learner):
    for case in IMAGE_CASES:
        D.check_show_images_hides_the_axis_lines(learner, case)


@exercise("get_dataloader_workers")
def test_get_dataloader_workers_returns_an_int(learner):
    L.check_get_dataloader_workers_returns_an_int(learner)


@exercise("get_dataloader_workers")
def test_get_dataloader_workers_returns_a_positive_number(learner):
    L.check_get_dataloader_workers_returns_a_positive_number(learner)


@exercise("load_data_fashion_mnist")
def test_load_data_fashion_mnist_returns_two_data_loaders(learner, fashion_mnist_raw):
    L.check_load_data_fashion_mnist_returns_two_data_loaders(learner, fashion_mnist_raw)


@exercise("load_data_fashion_mnist")
def test_load_data_fashion_mnist_yields_image_batches(learner, fashion_mnist_raw):
    L.check_load_data_fashion_mnist_yields_image_batches(learner, fashion_mnist_raw)


@exercise("load_data_fashion_mnist")
def test_load_data_fashion_mnist_resizes_images(learner, fashion_mnist_raw):
    L.check_load_data_fashion_mnist_resizes_images(learner, fashion_mnist_raw)


@exercise("load_data_fashion_mnist")
def test_load_data_fashion_mnist_scales_pixels_to_0_1(learner, fashion_mnist_raw):
    L.check_load_data_fashion_mnist_scales_pixels_to_0_1(learner, fashion_mnist_raw)


@exercise("load_data_fashion_mnist")
def test_load_data_fashion_mnist_has_60000_and_10000_examples(learner, fashion_mnist_raw,
                                                               fashion_mnist):
    (X_train, _), (X_test, _) = fashion_mnist
    L.check_load_data_fashion_mnist_has_60000_and_10000_examples(
        learner, fashion_mnist_raw, len(X_train), len(X_test))


@exercise("load_data_fashion_mnist")
def test_load_data_fashion_mnist_shuffles_the_training_set(learner, fashion_mnist_raw,
                                                            fashion_mnist):
    L.check_load_data_fashion_mnist_shuffles_the_training_set(learner, fashion_mnist_raw,
                                                              fashion_mnist[0][1])


@exercise("load_data_fashion_mnist")
def test_load_data_fashion_mnist_keeps_the_test_set_in_order(learner, fashion_mnist_raw,
                                                              fashion_mnist):
    L.check_load_data_fashion_mnist_keeps_the_test_set_in_order(learner, fashion_mnist_raw,
                                                                *fashion_mnist[1])


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


@exercise("Animator")
def test_animator_draws_each_line_s_points(learner):
    for case in ANIMATOR_CASES:
        D.check_animator_draws_each_line_s_points(learner, case)


@exercise("Animator")
def test_animator_draws_each_line_in_its_format(learner):
    for case in ANIMATOR_CASES:
        D.check_animator_draws_each_line_in_its_format(learner, case)


@exercise("Animator")
def test_animator_sets_labels_limits_and_scales(learner):
    for case in ANIMATOR_CASES:
        D.check_animator_sets_labels_limits_and_scales(learner, case)


@exercise("Animator")
def test_animator_shows_the_legend(learner):
    for case in ANIMATOR_CASES:
        D.check_animator_shows_the_legend(learner, case)


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
