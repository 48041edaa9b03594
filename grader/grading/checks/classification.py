"""Checks of softmax, cross_entropy and accuracy (d2l 3.6.2-3.6.5) and
cross_entropy_from_logits (3.7.2)."""
import torch

from grader.grading.checks.common import EPS32, Called, grad_through
from grader.i18n import N_, _

# exp() of a float32 above about 88 is inf, of one below about -87 is 0 (or subnormal).
_OVERFLOW, _UNDERFLOW = 88.0, -87.0
SHIFT = "X - X.max(dim=1, keepdim=True).values"


def stability_hint(X, got, expected):
    """The hint for an unstable softmax, told by the first row it gets wrong: a
    finite row that is off (the logits were changed), or a row of nan or inf
    where exp overflows, or underflows for the whole row (0 / 0), or neither,
    when the row was shifted by something other than its own max."""
    wrong = ~torch.isclose(got.double(), expected.double(), **_softmax_tolerance(X)).all(dim=1)
    row = wrong.nonzero()[0, 0] if wrong.any() else 0
    top = X[row].max().item()
    if torch.isfinite(got[row]).all():
        text = _("the probabilities are finite but wrong: changing the logits (clamping them,"
                 " say) changes the result, while subtracting each row's own max does not,"
                 " softmax(X) = softmax({shift})")
    elif top > _OVERFLOW:
        text = _("exp() of a logit above about 88 overflows float32 to inf (and inf / inf is"
                 " nan): subtract each row's max first, {shift}")
    elif top < _UNDERFLOW:
        text = _("exp() of a logit below about -87 underflows to 0, so a row whose logits are"
                 " all that negative sums to 0, and 0 / 0 is nan: subtract each row's max first,"
                 " {shift}, which makes the row's largest exp 1")
    else:
        text = _("this row's logits are small enough for exp(), so the row was shifted by"
                 " something other than its own max: subtract each row's own max, {shift}; one"
                 " global max is not enough when rows are on different scales")
    return text.format(shift=SHIFT)


D2L1_HINT = N_("return one loss per example, shape (n,): d2l 1.0 takes the mean here, the"
                " 2.x/0.17 chapter this kit follows does not reduce")


def _probabilities(softmax, X):
    c = Called("softmax", X=X)
    return c, c.tensor(softmax(X.clone()), X.shape, X.dtype,
                       hint=_("normalise each row: divide by X_exp.sum(dim=1, keepdim=True)"))


def check_softmax_returns_shape_of_X(softmax, X):
    """softmax(X) has X's shape and dtype."""
    _probabilities(softmax, X)


def check_softmax_rows_sum_to_one(softmax, X):
    """Every row of softmax(X) sums to 1."""
    c, got = _probabilities(softmax, X)
    sums = got.sum(dim=1)
    c.close(sums, torch.ones_like(sums), rtol=0, atol=1e-5 * X.shape[1],
            title=_("each row must sum to 1"),
            hint=_("normalise over the classes of each row: dim=1 with keepdim=True")
            if torch.isfinite(sums).all() else
            _("a row summed to 0 (or to inf), and dividing by it gives nan: take exp() of the"
              " logits first, so that every entry is positive, then divide each row by its sum"))


def _softmax_tolerance(X):
    """Float32 rounding of logits of magnitude M shifts outputs by ~M * eps, relatively."""
    return dict(rtol=1e-5 + 8 * EPS32 * max(1.0, X.abs().max().item()), atol=1e-6)


def check_softmax_matches_oracle(softmax, oracle, X):
    """softmax(X) equals exp(X) / exp(X).sum(dim=1) up to float32 rounding."""
    c, got = _probabilities(softmax, X)
    c.close(got, oracle(X.double()), **_softmax_tolerance(X),
            hint=_("exp of each logit divided by the sum of exps in its row"))


def check_softmax_is_stable_for_large_logits(softmax, oracle, X):
    """Finite and accurate for logits up to 1e4, with rows on different scales."""
    c, got = _probabilities(softmax, X)
    expected = oracle(X.double())
    hint = stability_hint(X, got, expected)
    c.finite(got, expected.float(), hint=hint)
    c.close(got, expected, **_softmax_tolerance(X), hint=hint)


def _matches(got, candidate):
    """got has candidate's values (float64), in its shape or flattened."""
    return got.numel() == candidate.numel() and torch.allclose(
        got.double().reshape(candidate.shape), candidate, rtol=1e-4, atol=1e-4, equal_nan=True)


def _losses_shape_hint(y_hat, y):
    """The hint for cross_entropy's wrong shape, told by what the result holds:
    y_hat[:, y] (n, n), y_hat[y] (n, q), or a reduced loss."""
    log_p = -y_hat.double().log()

    def hint(got):
        if got.dim() == 0:
            return _(D2L1_HINT)
        if _matches(got, log_p[:, y]):
            return _("pick the probability of each row's own true class,"
                     " y_hat[range(len(y_hat)), y]: y_hat[:, y] picks the columns y of every row,"
                     " an (n, n) table")
        if _matches(got, log_p[y]):
            return _("y_hat[y] picks whole rows by label: index rows and columns together,"
                     " y_hat[range(len(y_hat)), y]")
        return ""
    return hint


def _losses(cross_entropy, y_hat, y):
    c = Called("cross_entropy", y_hat=y_hat, y=y)
    return c, c.tensor(cross_entropy(y_hat.clone(), y.clone()), (len(y),), y_hat.dtype,
                       hint=_losses_shape_hint(y_hat, y))


def check_cross_entropy_returns_one_loss_per_example(cross_entropy, y_hat, y):
    """cross_entropy(y_hat, y) has shape (n,) and y_hat's dtype."""
    _losses(cross_entropy, y_hat, y)


def check_cross_entropy_matches_oracle(cross_entropy, oracle, y_hat, y):
    """cross_entropy equals -log(y_hat[i, y[i]])."""
    c, got = _losses(cross_entropy, y_hat, y)
    c.close(got, oracle(y_hat.double(), y), rtol=1e-5, atol=1e-5,
            hint=_("minus the natural log of the true class's probability: "
                   "-torch.log(y_hat[range(len(y_hat)), y])"))


def check_cross_entropy_is_finite_when_other_classes_have_zero_probability(
        cross_entropy, oracle, y_hat, y):
    """Finite wherever the true class has probability > 0, whatever the others are."""
    c, got = _losses(cross_entropy, y_hat, y)
    expected = oracle(y_hat.double(), y)
    c.finite(got, expected.float(),
             hint=_("take the log of the true class's probability only: log(0) of another class"
                    " is -inf, and 0 * -inf in a one-hot sum is nan"))
    c.close(got, expected, rtol=1e-5, atol=1e-5)


def check_cross_entropy_gradient_is_p_minus_onehot(cross_entropy, logits, y):
    """d/do cross_entropy(softmax(o), y).sum() = softmax(o) - onehot(y), with the
    oracle softmax: the gradient that training sees."""
    c = Called("cross_entropy", "cross_entropy(softmax(o), y)", o=logits, y=y)
    o = logits.clone().requires_grad_()
    # A copy of softmax's output, as a worker process receives it: a change in place
    # (the inputs-unchanged check's) does not reach the tensor softmax's backward saved.
    loss = cross_entropy(torch.softmax(o, dim=1).clone(), y.clone())
    c.tensor(loss, (len(y),), o.dtype, hint=_(D2L1_HINT))
    c.differentiable(loss, _("the probabilities"))
    got, = grad_through(c, loss.sum(), o)
    expected = torch.softmax(logits.double(), dim=1) - torch.nn.functional.one_hot(
        y, logits.shape[1]).double()
    c.close(got, expected, rtol=1e-4, atol=1e-5, title=_("wrong gradient"),
            hint=_("the loss is -log of the true class's probability; let autograd do the rest"))


def _count(accuracy, y_hat, y):
    c = Called("accuracy", y_hat=y_hat, y=y)
    got = accuracy(y_hat.clone(), y.clone())
    try:
        return c, float(got)
    except (TypeError, ValueError, RuntimeError):
        c.fail(_("must return a number"), expected=_("the number of correct predictions"),
               got=f"{type(got).__name__}: {got!r:.120}")


def _expect_count(c, got, expected, n, hint):
    if got != expected:
        fraction = n > 1 and abs(got - expected / n) < 1e-6
        c.fail(_("wrong number of correct predictions"), expected=f"{expected:g}",
               got=f"{got:g}",
               hint=_("return the NUMBER of correct predictions, not the fraction: d2l 1.0"
                      " returns the mean, the 2.x/0.17 chapter this kit follows returns the sum")
               if fraction else hint)


def check_accuracy_counts_correct_scores(accuracy, oracle, y_hat, y):
    """For (n, q) scores: the number of rows whose argmax is the true label."""
    c, got = _count(accuracy, y_hat, y)
    _expect_count(c, got, oracle(y_hat, y), len(y),
                  hint=_("take the argmax over the classes of each row (dim=1), compare with"
                         " y, and count the matches"))


def check_accuracy_counts_correct_labels(accuracy, oracle, y_hat, y):
    """For (n,) predicted labels: the number equal to y (no argmax to take)."""
    c, got = _count(accuracy, y_hat, y)
    _expect_count(c, got, oracle(y_hat, y), len(y),
                  hint=_("y_hat may already hold predicted labels, shape (n,): only take the"
                         " argmax when y_hat has more than one column"))


LSE_HINT = N_("work from the logits: log(sum(exp(o))) is m + log(sum(exp(o - m))) with m each"
               " row's max; subtract the true class's logit from it. A log of softmax(o) fails:"
               " small probabilities round to 0, and log(0) is -inf")


def _logit_shape_hint(o, y):
    """The hint for cross_entropy_from_logits's wrong shape, told by comparing the
    result with what each known mistake gives: lse[i] - o[i, y[j]] (o[:, y]),
    lse[i] - o[j, y[j]] (a keepdim=True log-sum-exp, (n, 1), against (n,) logits;
    also flattened by a reshape), or a reduced loss. With one example the first
    two are the same."""
    lse = torch.logsumexp(o.double(), dim=1, keepdim=True)
    true = o.double()[range(len(o)), y]
    columns, keepdim = lse - o.double()[:, y], lse - true

    def hint(got):
        if got.dim() == 0:
            return _("one loss per example, shape (n,): do not take the mean or the sum")
        if len(o) == 1 and _matches(got, columns):
            return _("the result must be flat, shape (n,): a log-sum-exp summed with"
                     " keepdim=True, or o[:, y], makes it a column; pick the true-class logits"
                     " with o[range(len(o)), y] and sum over dim=1 without keepdim")
        if _matches(got, keepdim):
            return _("the log-sum-exp was summed with keepdim=True, an (n, 1) column, so"
                     " subtracting the (n,) true-class logits broadcasts to (n, n): sum over"
                     " dim=1 without keepdim there (keepdim=True is right only for the max"
                     " that is subtracted from o)")
        if _matches(got, columns):
            return _("pick each row's own true-class logit with o[range(len(o)), y]: o[:, y]"
                     " picks the columns y of every row, an (n, n) table")
        return ""
    return hint


def _logit_losses(cross_entropy_from_logits, o, y):
    c = Called("cross_entropy_from_logits", o=o, y=y)
    return c, c.tensor(cross_entropy_from_logits(o.clone(), y.clone()), (len(y),), o.dtype,
                       hint=_logit_shape_hint(o, y))


def _logit_tolerance(o):
    """The loss is a difference of terms as large as the logits: float32 rounds it by
    ~max|o| * eps, absolutely."""
    return dict(rtol=1e-5, atol=1e-5 + 8 * EPS32 * o.abs().max().item())


def check_cross_entropy_from_logits_returns_one_loss_per_example(cross_entropy_from_logits, o, y):
    """cross_entropy_from_logits(o, y) has shape (n,) and o's dtype."""
    _logit_losses(cross_entropy_from_logits, o, y)


def check_cross_entropy_from_logits_matches_oracle(cross_entropy_from_logits, oracle, o, y):
    """The loss equals log(sum(exp(o[i]))) - o[i, y[i]]."""
    c, got = _logit_losses(cross_entropy_from_logits, o, y)
    c.close(got, oracle(o.double(), y), **_logit_tolerance(o),
            hint=_("the loss is -log(softmax(o)[i, y[i]]) = log(sum_j exp(o[i, j]))"
                   " - o[i, y[i]]"))


def check_cross_entropy_from_logits_is_stable_for_large_logits(cross_entropy_from_logits, oracle,
                                                               o, y):
    """Finite and accurate for logits up to 1e4, where the log of a softmax is not."""
    c, got = _logit_losses(cross_entropy_from_logits, o, y)
    expected = oracle(o.double(), y)
    c.finite(got, expected.float(), hint=_(LSE_HINT))
    c.close(got, expected, **_logit_tolerance(o), hint=_(LSE_HINT))
