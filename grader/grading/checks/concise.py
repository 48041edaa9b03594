"""Checks of the concise models of d2l 3.3 and 3.7: a function that returns a
new nn.Sequential, judged by its layers, its initial weights and by training
it with the book's recipe (grader.grading.checks.convergence)."""

from grader.portable.recipes.concise import describe_model
from grader.grading.checks.common import Called, seeded
from grader.grading.checks.convergence import run_against_oracle
from grader.i18n import N_, _

INIT_HINT = N_("initialise the Linear layer's weight from N(0, 0.01): nn.init.normal_(weight,"
                " std=0.01), or weight.data.normal_(0, 0.01); PyTorch's default is a wider"
                " uniform")


def _model(learner, exercise, copies):
    call = f"{exercise}()" + (_(", {copies} times").format(copies=copies) if copies > 1 else "")
    with seeded(0, getattr(learner, exercise)):
        return Called(exercise, call), *run_against_oracle(
            learner, exercise, describe_model, call, model=exercise, copies=copies)


def check_model_has_the_books_layers(learner, exercise):
    """An nn.Sequential whose layers print as the book's."""
    c, got, wanted = _model(learner, exercise, copies=1)
    layers, expected = got[0], wanted[0]
    if layers != expected:
        sequential = _("nn.Sequential of {layers}")
        c.fail(_("wrong layers"), expected=sequential.format(layers=", ".join(expected)),
               got=_("not an nn.Sequential") if layers is None else
               sequential.format(layers=", ".join(layers) or _("no layers")),
               hint=_("build it as the book does: nn.Sequential(nn.Linear(2, 1))")
               if exercise == "linreg_concise" else
               _("build it as the book does: nn.Sequential(nn.Flatten(), nn.Linear(784, 10)),"
                 " without a softmax layer: nn.CrossEntropyLoss takes the logits"))


def check_model_starts_from_small_normal_weights(learner, exercise, copies, bias_bound):
    """Pooled over `copies` new models: weights of mean 0 and standard deviation
    0.01 (within 5 standard errors and 15%), biases within bias_bound of 0."""
    c, (layers, weights, biases), wanted = _model(learner, exercise, copies)
    expected = wanted[1]
    if len(weights) != len(expected):
        c.fail(_("wrong number of weights"),
               expected=_("{n} weights in all").format(n=len(expected)),
               got=f"{len(weights)}", hint=_("one Linear layer, of the book's size"))
    mean, std = float(weights.double().mean()), float(weights.double().std())
    if abs(mean) > 5 * 0.01 / len(weights) ** 0.5 or not 0.0085 <= std <= 0.0115:
        c.fail(_("the initial weights are not drawn from N(0, 0.01)"),
               expected=_("mean 0, standard deviation 0.01, over {n} weights").format(
                   n=len(weights)),
               got=_("mean {mean}, standard deviation {std}").format(mean=f"{mean:.4g}",
                                                                     std=f"{std:.4g}"),
               hint=_(INIT_HINT))
    if len(biases) and float(biases.abs().max()) > bias_bound:
        c.fail(_("the initial bias is not 0"), expected=_("bias 0") if bias_bound == 0 else
               _("bias 0 (or PyTorch's default, within {bound})").format(
                   bound=f"{bias_bound:.3g}"),
               got=_("bias up to {value}").format(value=f"{float(biases.abs().max()):.4g}"),
               hint=_("nn.init.zeros_(bias), or bias.data.fill_(0)"))


def default_bias_bound(fan_in):
    """PyTorch's default Linear bias is uniform in +-1/sqrt(fan_in)."""
    return fan_in ** -0.5
