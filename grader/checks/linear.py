"""Checks of linreg, squared_loss and sgd (d2l 3.2.4-3.2.6) and huber_loss (3.3)."""

from grader.checks.common import EPS32, Called


def check_linreg_returns_column(linreg, X, w, b):
    """linreg(X, w, b) is an (n, 1) tensor of X's dtype."""
    Called("linreg", X=X, w=w, b=b).tensor(linreg(X.clone(), w.clone(), b.clone()),
                                           (len(X), 1), X.dtype,
                                           hint="a matrix product, torch.matmul(X, w) + b, not the elementwise X * w")


def check_linreg_matches_oracle(linreg, oracle, X, w, b):
    """linreg(X, w, b) equals X @ w + b up to float32 rounding."""
    c = Called("linreg", X=X, w=w, b=b)
    got = c.tensor(linreg(X.clone(), w.clone(), b.clone()), (len(X), 1), X.dtype)
    expected = oracle(X.double(), w.double(), b.double())
    scale = (X.double().abs() @ w.double().abs() + b.double().abs()).max().item()
    c.close(got, expected, rtol=1e-5, atol=8 * EPS32 * X.shape[1] * (1 + scale),
            hint="the model is X @ w + b: a matrix product (not X * w), plus the bias")


def _loss(squared_loss, y_hat, y):
    c = Called("squared_loss", y_hat=y_hat, y=y)
    hint = ("return one loss per example, shaped like y_hat: (y_hat - y.reshape(y_hat.shape))**2 / 2"
            " (d2l 1.0 returns the mean; this kit follows the 2.x/0.17 chapter, which does not reduce)")
    return c, c.tensor(squared_loss(y_hat.clone(), y.clone()), y_hat.shape, y_hat.dtype, hint=hint)


def check_squared_loss_keeps_shape_of_y_hat(squared_loss, y_hat, y):
    """The loss has y_hat's shape, even for a (n,) y: no (n, n) broadcasting."""
    _loss(squared_loss, y_hat, y)


def check_squared_loss_matches_oracle(squared_loss, oracle, y_hat, y):
    """(y_hat - y)**2 / 2, element by element."""
    c, got = _loss(squared_loss, y_hat, y)
    expected = oracle(y_hat.double(), y.double())
    c.close(got, expected, rtol=1e-5, atol=1e-6,
            hint="half the square of the difference: (y_hat - y)**2 / 2")


HUBER_HINT = ("with e = y_hat - y: e**2 / 2 where |e| <= delta, delta * (|e| - delta / 2)"
              " beyond (PyTorch's HuberLoss; SmoothL1Loss, which d2l 1.0 shows, divides by delta"
              " instead), and delta defaults to 1")


def _huber(huber_loss, y_hat, y, delta):
    """Call huber_loss as a learner would: without delta where it is the default 1."""
    if delta == 1.0:
        c, got = Called("huber_loss", y_hat=y_hat, y=y), huber_loss(y_hat.clone(), y.clone())
    else:
        c = Called("huber_loss", y_hat=y_hat, y=y, delta=delta)
        got = huber_loss(y_hat.clone(), y.clone(), delta)
    return c, c.tensor(got, y_hat.shape, y_hat.dtype,
                       hint="one loss per example, shaped like y_hat: compute the error with"
                            " y.reshape(y_hat.shape), and do not sum or average")


def check_huber_loss_keeps_shape_of_y_hat(huber_loss, y_hat, y, delta):
    """The loss has y_hat's shape and dtype, even for a (n,) y."""
    _huber(huber_loss, y_hat, y, delta)


def check_huber_loss_matches_oracle(huber_loss, oracle, y_hat, y, delta):
    """Huber's loss element by element, on both sides of |error| = delta."""
    c, got = _huber(huber_loss, y_hat, y, delta)
    c.close(got, oracle(y_hat.double(), y.double(), delta), rtol=1e-5, atol=1e-6,
            hint=HUBER_HINT)


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
    c, _, originals = _sgd_step(sgd, values, grads, lr, batch_size)
    got = [p.detach() for p in originals]
    expected = [v.double() - lr * g.double() / batch_size for v, g in zip(values, grads)]
    for g, e in zip(got, expected):
        c.close(g, e, rtol=1e-5, atol=1e-6 * (1 + e.abs().max().item()),
                title="params were not updated to param - lr * param.grad / batch_size",
                hint="update each param in place inside `with torch.no_grad():`:"
                     " param -= lr * param.grad / batch_size (minus: step against the gradient)")


def check_sgd_clears_gradients(sgd, values, grads, lr, batch_size):
    """After the step every param.grad is zero (or None)."""
    c, _, originals = _sgd_step(sgd, values, grads, lr, batch_size)
    for p in originals:
        if p.grad is not None and p.grad.abs().sum() != 0:
            c.fail("must clear the gradients after the step",
                   expected="param.grad all zeros (or None)", got=p.grad,
                   hint="call param.grad.zero_() after updating: PyTorch adds new gradients to"
                        " old ones, so without it every step reuses all earlier gradients")


def check_sgd_keeps_params_as_leaves(sgd, values, grads, lr, batch_size):
    """The params stay the same leaf tensors with requires_grad, and record no history."""
    c, params, originals = _sgd_step(sgd, values, grads, lr, batch_size)
    for i, (p, original) in enumerate(zip(params, originals)):
        problem = ("the list entry was replaced by a new tensor" if p is not original else
                   "it no longer requires grad" if not p.requires_grad else
                   "it is no longer a leaf: the update was recorded by autograd"
                   if p.grad_fn is not None else None)
        if problem:
            c.fail(f"params[{i}] must stay the same trainable leaf tensor",
                   expected="the same tensor object, still requires_grad=True, no grad_fn",
                   got=problem,
                   hint="change each param in place inside `with torch.no_grad():`"
                        " (param -= ...), instead of building a new tensor")
