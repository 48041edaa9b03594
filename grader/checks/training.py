"""Convergence checks: d2l's training recipes run with one learner function
among oracle ones (see grader/training.py), so a failure is that function's."""
from grader.checks.common import Called, seeded
from grader.report import CheckFailed
from grader.seam import LearnerError
from grader.training import LINEAR_TRUE_B, LINEAR_TRUE_W, train_linear_regression, \
    train_softmax_regression


def check_linear_regression_training_converges(fns, exercise):
    """d2l 3.2.7 (1000 examples, batch 10, lr 0.03, 3 epochs) recovers w and b
    to within 0.01 and ends with a mean loss below 1e-3."""
    with seeded(0, getattr(fns, exercise)):
        run = _train(train_linear_regression, exercise, fns)
    w_error = max(abs(float(a) - t) for a, t in zip(run.w.flatten(), LINEAR_TRUE_W))
    b_error = abs(float(run.b) - LINEAR_TRUE_B)
    loss = run.epoch_losses[-1]
    if not (w_error <= 0.01 and b_error <= 0.01 and loss < 1e-3):
        Called(exercise, "train_linear_regression()").fail(
            f"training linear regression with your {exercise} does not converge",
            expected=f"w within 0.01 of {list(LINEAR_TRUE_W)}, b within 0.01 of {LINEAR_TRUE_B},"
                     " final mean loss < 0.001",
            got=f"w = {[round(float(a), 4) for a in run.w.flatten()]}, b = {float(run.b):.4f},"
                f" mean loss per epoch {[f'{x:.4g}' for x in run.epoch_losses]}",
            hint=f"the other functions were PyTorch's own versions, so the cause is in {exercise};"
                 " its own checks above say more", show_inputs=False)


def _train(train, exercise, *args, **kwargs):
    """Run a training loop; a crash in the loop is the learner function's doing."""
    try:
        return train(*args, **kwargs)
    except (LearnerError, CheckFailed):
        raise
    except Exception as e:
        Called(exercise, f"{train.__name__}()").fail(
            f"training with your {exercise} crashed", expected="a training run to the end",
            got=f"{type(e).__name__}: {e}",
            hint=f"the training loop got something it cannot use from {exercise}: check the"
                 " shape and type of what it returns", show_inputs=False)


def epoch_table(epochs):
    """The per-epoch table a learner sees: train loss, train acc, test acc."""
    rows = [f"  epoch {i:>2}  train loss {e.train_loss:.4f}  train acc {e.train_acc:.3f}"
            f"  test acc {e.test_acc:.3f}" for i, e in enumerate(epochs, 1)]
    return "\n".join(rows)


def check_softmax_regression_training_converges(fns, exercise, train, test, *, recipe, min_test_acc,
                                                max_train_loss, data_name):
    """Softmax regression trained with `recipe` reaches min_test_acc and ends with a
    mean training loss below max_train_loss. Returns the list of Epochs."""
    epochs = _train(train_softmax_regression, exercise, fns, train, test, **recipe)
    last = epochs[-1]
    if not (last.test_acc >= min_test_acc and last.train_loss < max_train_loss):
        Called(exercise, f"train softmax regression on {data_name}").fail(
            f"softmax regression trained with your {exercise} does not learn {data_name}",
            expected=f"test accuracy >= {min_test_acc} and mean training loss < {max_train_loss}",
            got=f"test accuracy {last.test_acc:.3f}, training loss {last.train_loss:.4f}\n"
                f"{epoch_table(epochs)}",
            hint=f"the other functions were PyTorch's own versions, so the cause is in {exercise};"
                 " its own checks above say more", show_inputs=False)
    return epochs
