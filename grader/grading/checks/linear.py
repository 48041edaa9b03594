"""Checks of linreg, squared_loss and sgd (d2l 3.2.4-3.2.6) and huber_loss (3.3)."""

import torch

from grader.grading.checks.common import EPS32, Called
from grader.i18n import N_, _


def _linreg_shape_hint(X):
    """The hint for linreg's wrong shape, told by the shape: a flat (n,) result,
    or a table as wide as X or as long as w (an elementwise product)."""
    n, d = X.shape

    def hint(got):
        if got.shape == (n,):
            return _("keep the column: X is (n, d) and w is (d, 1), so torch.matmul(X, w) + b is"
                     " (n, 1); do not flatten or squeeze it")
        if got.dim() == 2 and d in got.shape:
            return _("a matrix product, torch.matmul(X, w) + b, not the elementwise X * w")
        return ""
    return hint


def check_linreg_returns_column(linreg, X, w, b):
    """linreg(X, w, b) is an (n, 1) tensor of X's dtype."""
    Called("linreg", X=X, w=w, b=b).tensor(linreg(X.clone(), w.clone(), b.clone()),
                                           (len(X), 1), X.dtype, hint=_linreg_shape_hint(X))


def check_linreg_matches_oracle(linreg, oracle, X, w, b):
    """linreg(X, w, b) equals X @ w + b up to float32 rounding."""
    c = Called("linreg", X=X, w=w, b=b)
    got = c.tensor(linreg(X.clone(), w.clone(), b.clone()), (len(X), 1), X.dtype)
    expected = oracle(X.double(), w.double(), b.double())
    scale = (X.double().abs() @ w.double().abs() + b.double().abs()).max().item()
    tolerance = dict(rtol=1e-5, atol=8 * EPS32 * X.shape[1] * (1 + scale))
    product = X.double() @ w.double()
    hint = (_("add the bias: X @ w + b") if _close(got, product, **tolerance) else
            _("add the bias b, do not subtract it")
            if _close(got, product - b.double(), **tolerance)
            else _("the model is X @ w + b: a matrix product (not X * w), plus the bias"))
    c.close(got, expected, **tolerance, hint=hint)


def _close(got, candidate, rtol, atol):
    return torch.allclose(got.double(), candidate, rtol=rtol, atol=atol)


def per_example_shape_hint(y_hat, y):
    """The hint for a loss of the wrong shape, told by the shape it has: a
    number (reduced), (n, n) (y broadcast against y_hat), or y's (n,) shape."""
    n = len(y_hat)

    def hint(got):
        if got.dim() == 0 or got.numel() == 1 != n:
            return _("return one loss per example and do not reduce: d2l 1.0 returns the mean,"
                     " the 2.x/0.17 chapter this kit follows leaves the sum or mean to the"
                     " caller")
        if got.shape == (n, n) and y.shape != y_hat.shape:
            return _("y_hat is {y_hat_shape} and y is {y_shape}: y_hat - y"
                     " broadcasts to {nn}; subtract y.reshape(y_hat.shape)").format(
                         y_hat_shape=tuple(y_hat.shape), y_shape=tuple(y.shape), nn=(n, n))
        if got.shape == y.shape:
            return _("keep y_hat's shape: reshape y to y_hat.shape, not y_hat to y's shape")
        return ""
    return hint


def _loss(squared_loss, y_hat, y):
    c = Called("squared_loss", y_hat=y_hat, y=y)
    return c, c.tensor(squared_loss(y_hat.clone(), y.clone()), y_hat.shape, y_hat.dtype,
                       hint=per_example_shape_hint(y_hat, y))


def check_squared_loss_keeps_shape_of_y_hat(squared_loss, y_hat, y):
    """The loss has y_hat's shape, even for a (n,) y: no (n, n) broadcasting."""
    _loss(squared_loss, y_hat, y)


def check_squared_loss_matches_oracle(squared_loss, oracle, y_hat, y):
    """(y_hat - y)**2 / 2, element by element."""
    c, got = _loss(squared_loss, y_hat, y)
    expected = oracle(y_hat.double(), y.double())
    c.close(got, expected, rtol=1e-5, atol=1e-6,
            hint=_("half the square of the difference: (y_hat - y)**2 / 2"))


HUBER_HINT = N_("with e = y_hat - y: |e| - delta / 2 where |e| > delta, e**2 / (2 * delta)"
                 " elsewhere, as the book writes it with sigma = delta; delta defaults to 1")


def _huber(huber_loss, y_hat, y, delta):
    """Call huber_loss as a learner would: without delta where it is the default 1."""
    if delta == 1.0:
        c, got = Called("huber_loss", y_hat=y_hat, y=y), huber_loss(y_hat.clone(), y.clone())
    else:
        c = Called("huber_loss", y_hat=y_hat, y=y, delta=delta)
        got = huber_loss(y_hat.clone(), y.clone(), delta)
    return c, c.tensor(got, y_hat.shape, y_hat.dtype, hint=per_example_shape_hint(y_hat, y))


def check_huber_loss_keeps_shape_of_y_hat(huber_loss, y_hat, y, delta):
    """The loss has y_hat's shape and dtype, even for a (n,) y."""
    _huber(huber_loss, y_hat, y, delta)


def check_huber_loss_matches_oracle(huber_loss, oracle, y_hat, y, delta):
    """Huber's loss element by element, on both sides of |error| = delta."""
    c, got = _huber(huber_loss, y_hat, y, delta)
    expected = oracle(y_hat.double(), y.double(), delta)
    pytorch_huber = torch.allclose(got.double(), delta * expected, rtol=1e-5, atol=1e-6)
    c.close(got, expected, rtol=1e-5, atol=1e-6,
            hint=_("this is PyTorch's HuberLoss, delta times the book's formula: divide by"
                   " delta, |e| - delta / 2 where |e| > delta and e**2 / (2 * delta) elsewhere")
            if pytorch_huber else _(HUBER_HINT))


def _sgd_step(sgd, values, grads, lr, batch_size):
    """Run sgd on fresh leaf parameters; returns (Called, params list, originals)."""
    params = [v.clone().requires_grad_() for v in values]
    for p, g in zip(params, grads):
        p.grad = g.clone()
    originals = list(params)
    c = Called("sgd", "sgd(params, lr, batch_size)", params=values, grads=grads, lr=lr,
               batch_size=batch_size)
    sgd(params, lr, batch_size)
    return c, params, originals


def check_sgd_updates_params(sgd, values, grads, lr, batch_size):
    """Each param becomes param - lr * param.grad / batch_size, in place."""
    c, _params, originals = _sgd_step(sgd, values, grads, lr, batch_size)
    got = [p.detach() for p in originals]
    expected = [v.double() - lr * g.double() / batch_size for v, g in zip(values, grads)]
    for i, (g, e, v, grad) in enumerate(zip(got, expected, values, grads)):
        tolerance = dict(rtol=1e-5, atol=1e-6 * (1 + e.abs().max().item()))
        c.close(g, e, **tolerance,
                title=_("params were not updated to param - lr * param.grad / batch_size"),
                hint=_sgd_hint(i, g, v.double(), grad.double(), lr, batch_size, tolerance))


def _sgd_hint(i, got, value, grad, lr, batch_size, tolerance):
    """The hint for a wrong update of params[i], told by what it became."""
    if _close(got, value, **tolerance):
        return _("params[{i}] did not change: update every param of params in place,"
                 " param -= lr * param.grad / batch_size, then zero its gradient (`param = param"
                 " - ...` only gives the loop variable a new tensor, and clearing param.grad"
                 " first steps by 0)").format(i=i)
    if batch_size != 1 and _close(got, value - lr * grad, **tolerance):
        return _("divide by batch_size: the loss was summed over the batch")
    if batch_size != 1 and _close(got, value - lr * grad * batch_size, **tolerance):
        return _("divide by batch_size, do not multiply: the loss was summed over the batch")
    if _close(got, value + lr * grad / batch_size, **tolerance):
        return _("minus: step against the gradient, param -= lr * param.grad / batch_size")
    return _("update each param in place inside `with torch.no_grad():`:"
             " param -= lr * param.grad / batch_size")


def check_sgd_clears_gradients(sgd, values, grads, lr, batch_size):
    """After the step every param.grad is zero (or None)."""
    c, _params, originals = _sgd_step(sgd, values, grads, lr, batch_size)
    for p in originals:
        if p.grad is not None and p.grad.abs().sum() != 0:
            c.fail(_("must clear the gradients after the step"),
                   expected=_("param.grad all zeros (or None)"), got=p.grad,
                   hint=_("call param.grad.zero_() after updating: PyTorch adds new gradients"
                          " to old ones, so without it every step reuses all earlier gradients"))


def check_sgd_keeps_params_as_leaves(sgd, values, grads, lr, batch_size):
    """The params stay the same leaf tensors with requires_grad, and record no history."""
    c, params, originals = _sgd_step(sgd, values, grads, lr, batch_size)
    for i, (p, original) in enumerate(zip(params, originals)):
        problem = (_("the list entry was replaced by a new tensor") if p is not original else
                   _("it no longer requires grad") if not p.requires_grad else
                   _("it is no longer a leaf: the update was recorded by autograd")
                   if p.grad_fn is not None else None)
        if problem:
            c.fail(_("params[{i}] must stay the same trainable leaf tensor").format(i=i),
                   expected=_("the same tensor object, still requires_grad=True, no grad_fn"),
                   got=problem,
                   hint=_("leave requires_grad as it is: the next batch needs the gradient again")
                   if p is original and not p.requires_grad else
                   _("change each param in place inside `with torch.no_grad():`"
                     " (param -= ...), instead of building a new tensor"))
