"""Checks of 3.6's model: the parameters W and b that the learner's module holds
(read as data through the seam, never changed) and net(X), against the oracle's
net with the learner's own W and b."""
import torch

from grader.grading.checks.common import Called
from grader.i18n import N_, _
from grader.portable.oracle import net_with

INIT_HINT = N_("W = torch.normal(0, 0.01, size=(num_inputs, num_outputs), requires_grad=True)"
                " and b = torch.zeros(num_outputs, requires_grad=True), num_inputs = 784,"
                " num_outputs = 10")


def probe_images():
    """Two fixed images for a first call of net, when W or b is not a tensor."""
    return torch.rand(2, 1, 28, 28, generator=torch.Generator().manual_seed(0))


def parameters(learner):
    """{"W": ..., "b": ...} as seam.module_tensors reads them. If either is not a
    tensor, net is called first: a net that still raises NotImplementedError
    makes the exercise not attempted rather than failed."""
    found = learner.exercise_tensors("net", ("W", "b"))
    for name in ("W", "b"):
        if isinstance(found[name], str):
            learner.net(probe_images())
            shape = "(784, 10)" if name == "W" else "(10,)"
            Called("net", call=f"softmax_regression.{name}").fail(
                _("{name} must be a tensor in softmax_regression.py").format(name=name),
                expected=_("a tensor of shape {shape}").format(shape=shape),
                got=_("None (or no such name)") if found[name] == "NoneType" else found[name],
                hint=_(INIT_HINT), show_inputs=False)
    return found


def _parameter(learner, name, shape):
    value = parameters(learner)[name]["value"]
    c = Called("net", call=f"softmax_regression.{name}")
    hint = _("W is (784, 10), inputs by outputs, so that X @ W has one row per image") \
        if name == "W" and tuple(value.shape) == tuple(reversed(shape)) else _(INIT_HINT)
    c.tensor(value, shape, torch.float32, what=name, hint=hint)


def check_net_W_is_784_by_10(learner):
    _parameter(learner, "W", (784, 10))


def check_net_b_has_10_entries(learner):
    _parameter(learner, "b", (10,))


def check_net_parameters_require_grad(learner):
    """W and b have requires_grad=True, so that training can update them."""
    found = parameters(learner)
    for name in ("W", "b"):
        if not found[name]["requires_grad"]:
            Called("net", call=f"softmax_regression.{name}").fail(
                _("{name} must have requires_grad=True").format(name=name),
                expected="requires_grad=True", got="requires_grad=False",
                hint=_("create it with requires_grad=True, so that autograd computes its"
                       " gradient during training"), show_inputs=False)


def check_net_W_is_drawn_from_normal_0_0_01(learner):
    """W's 7840 entries: mean within 5 standard errors of 0, standard deviation within 5%
    of 0.01 (more than 6 standard errors)."""
    W = parameters(learner)["W"]["value"].double()
    mean, std = float(W.mean()), float(W.std())
    if abs(mean) > 5 * 0.01 / W.numel() ** 0.5 or not 0.0095 <= std <= 0.0105:
        Called("net", call="softmax_regression.W").fail(
            _("W is not drawn from N(0, 0.01)"),
            expected=_("mean 0 and standard deviation 0.01 over its {n} entries").format(
                n=W.numel()),
            got=_("mean {mean}, standard deviation {std}").format(mean=f"{mean:.4g}",
                                                                  std=f"{std:.4g}"),
            hint=_(INIT_HINT), show_inputs=False)


def check_net_b_starts_at_zero(learner):
    b = parameters(learner)["b"]["value"]
    if bool((b != 0).any()):
        Called("net", call="softmax_regression.b").fail(
            _("b must start at 0"), expected="torch.zeros(10)", got=b,
            hint="b = torch.zeros(num_outputs, requires_grad=True)", show_inputs=False)


def _net(learner, X):
    c = Called("net", X=_("a tensor of shape {shape}, values in [0, 1)").format(
        shape=tuple(X.shape)))
    return c, learner.net(X)


def check_net_returns_a_row_of_10_per_image(learner, X):
    c, got = _net(learner, X)
    c.tensor(got, (len(X), 10), torch.float32,
             hint=_("net(X) has one row of 10 class probabilities per image:"
                    " softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)"))


def check_net_matches_softmax_of_X_W_plus_b(learner, X):
    """net(X) = softmax(X.reshape(-1, 784) @ W + b) with the module's own W and b."""
    found = parameters(learner)
    W, b = found["W"]["value"], found["b"]["value"]
    c, got = _net(learner, X)
    got = c.tensor(got, (len(X), 10))
    if W.dim() != 2 or W.shape[0] != X[0].numel():
        c.fail(_("its values cannot be checked: W does not have one row per pixel"),
               expected=_("W of shape {shape}").format(shape=(X[0].numel(), 10)),
               got=_("W of shape {shape}").format(shape=tuple(W.shape)),
               hint=_("fix W's shape first: its own check says how"))
    logits = torch.matmul(X.reshape(len(X), -1), W) + b
    expected = net_with(W, b)(X)
    if not torch.allclose(got.double(), expected.double(), rtol=1e-4, atol=1e-6):
        hint = _("apply softmax to the scores: softmax(torch.matmul(X.reshape((-1,"
                 " W.shape[0])), W) + b)")
        if not torch.allclose(got, logits, rtol=1e-4, atol=1e-6):
            hint = _("net(X) is softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b),"
                     " with this module's W and b")
        c.fail(_("wrong values"), expected=expected, got=got, hint=hint)
