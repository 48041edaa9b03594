"""Checks of the concise models of d2l 3.3 and 3.7: a function that returns a
new nn.Sequential, judged by its layers, its initial weights and by training
it with the book's recipe (grader.checks.training)."""
import torch

from grader import training
from grader.checks.common import Called, seeded
from grader.checks.training import run_against_oracle

INIT_HINT = ("initialise the Linear layer's weight from N(0, 0.01): nn.init.normal_(weight,"
             " std=0.01), or weight.data.normal_(0, 0.01); PyTorch's default is a wider uniform")


def _model(learner, exercise, copies):
    call = f"{exercise}()" + (f", {copies} times" if copies > 1 else "")
    with seeded(0, getattr(learner, exercise)):
        return Called(exercise, call), *run_against_oracle(
            learner, exercise, training.describe_model, call, model=exercise, copies=copies)


def check_model_has_the_books_layers(learner, exercise):
    """An nn.Sequential whose layers print as the book's."""
    c, (layers, _, _), (expected, _, _) = _model(learner, exercise, copies=1)
    if layers != expected:
        c.fail("wrong layers", expected=f"nn.Sequential of {', '.join(expected)}",
               got="not an nn.Sequential" if layers is None else
               f"nn.Sequential of {', '.join(layers) or 'no layers'}",
               hint="build it as the book does: " + (
                   "nn.Sequential(nn.Linear(2, 1))" if exercise == "linreg_concise" else
                   "nn.Sequential(nn.Flatten(), nn.Linear(784, 10)), without a softmax layer:"
                   " nn.CrossEntropyLoss takes the logits"))


def check_model_starts_from_small_normal_weights(learner, exercise, copies, bias_bound):
    """Pooled over `copies` new models: weights of mean 0 and standard deviation
    0.01 (within 5 standard errors and 15%), biases within bias_bound of 0."""
    c, (_, weights, biases), (_, expected, _) = _model(learner, exercise, copies)
    if len(weights) != len(expected):
        c.fail("wrong number of weights", expected=f"{len(expected)} weights in all",
               got=f"{len(weights)}", hint="one Linear layer, of the book's size")
    mean, std = float(weights.double().mean()), float(weights.double().std())
    if abs(mean) > 5 * 0.01 / len(weights) ** 0.5 or not 0.0085 <= std <= 0.0115:
        c.fail("the initial weights are not drawn from N(0, 0.01)",
               expected=f"mean 0, standard deviation 0.01, over {len(weights)} weights",
               got=f"mean {mean:.4g}, standard deviation {std:.4g}", hint=INIT_HINT)
    if len(biases) and float(biases.abs().max()) > bias_bound:
        c.fail("the initial bias is not 0", expected="bias 0" if bias_bound == 0 else
               f"bias 0 (or PyTorch's default, within {bias_bound:.3g})",
               got=f"bias up to {float(biases.abs().max()):.4g}",
               hint="nn.init.zeros_(bias), or bias.data.fill_(0)")


def default_bias_bound(fan_in):
    """PyTorch's default Linear bias is uniform in +-1/sqrt(fan_in)."""
    return fan_in ** -0.5
