"""Checks of linreg_closed_form (3.1, exercise 2): least squares with a bias,
judged by its predictions X @ w + b against torch.linalg.lstsq's in float64
(the predictions are the same for every minimiser, w is not when the problem
has several), on well-conditioned, ill-conditioned, wide and collinear X."""
import torch

from grader.grading.checks.common import Called
from grader.i18n import N_, _

CONDITIONING_HINT = N_("forming X^T X squares how ill-conditioned X is, more than float32 can"
                        " hold: solve with torch.linalg.svd (or qr) of the centred X instead")
SINGULAR_HINT = N_("X^T X is singular here and many (w, b) fit equally well: take the SVD of the"
                   " centred X and skip the singular values near 0 (below s.max() * max(n, d) *"
                   " torch.finfo(X.dtype).eps) instead of dividing by them")


def predictions(X, theta):
    """[X, 1] @ theta in float64; theta (d + 1, 1)."""
    return X.double() @ theta[:-1].double() + theta[-1].double()


def least_squares_predictions(X, y, *, bias=True):
    """The least-squares predictions in float64 (torch.linalg.lstsq; singular
    values below 1e-5 of the largest count as 0, the data being float32);
    bias=False: without the bias column."""
    A = X.double()
    if bias:
        A = torch.cat([A, torch.ones(len(X), 1, dtype=torch.float64)], dim=1)
    theta = torch.linalg.lstsq(A, y.double().reshape(-1, 1), rcond=1e-5, driver="gelsd").solution
    return A @ theta


def _solve(linreg_closed_form, X, y, about=None):
    """(Called, w, b) of a call that returned a pair of the right shapes; `about`
    (an N_-marked text) describes X in words, for inputs too large to show."""
    shown = {"X": X, "y": y} if about is None else {
        "X": _("a {shape} float32 tensor, {about}").format(shape=tuple(X.shape), about=_(about)),
        "y": _("a tensor of shape {shape}").format(shape=tuple(y.shape))}
    c = Called("linreg_closed_form", call="linreg_closed_form(X, y)", **shown)
    result = linreg_closed_form(X.clone(), y.clone())
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        c.fail(_("the result must be a pair (w, b)"), expected=_("a tuple (w, b) of two tensors"),
               got=f"{type(result).__name__}: {result!r:.120}", hint="return w, b")
    w, b = result
    hint = _("w as linreg takes it, a (d, 1) column, and b of shape (1,)")
    return c, c.tensor(w, (X.shape[1], 1), X.dtype, what="w", hint=hint), \
        c.tensor(b, (1,), X.dtype, what="b", hint=hint)


def check_linreg_closed_form_returns_w_and_b(linreg_closed_form, X, y):
    """(w (d, 1), b (1,)), tensors of X's dtype."""
    _solve(linreg_closed_form, X, y)


def check_linreg_closed_form_fits_like_least_squares(linreg_closed_form, X, y, *, tol, hint,
                                                    about=None):
    """X @ w + b equals the least-squares predictions to within tol * (1 + max |y|);
    `hint` (an N_-marked text) for a failure where the bias is not what is missing;
    `about` as for _solve."""
    hint = _(hint)
    c, w, b = _solve(linreg_closed_form, X, y, about)
    got = X.double() @ w.double() + b.double()
    expected = least_squares_predictions(X, y)
    atol = tol * (1 + float(y.abs().max()))
    if not torch.isfinite(got).all():
        c.fail(_("every prediction X @ w + b must be finite (no nan, no inf)"),
               expected=expected.to(X.dtype).flatten(), got=got.to(X.dtype).flatten(), hint=hint)
    if not torch.allclose(got, expected, rtol=0, atol=atol):
        if torch.allclose(got, least_squares_predictions(X, y, bias=False), rtol=0, atol=atol):
            hint = _("that is the fit without a bias: add a column of ones to X, or centre X"
                     " and y and take b = mean(y) - mean(X) @ w")
        c.fail(_("the predictions X @ w + b are not those of the least-squares fit"),
               expected=expected.to(X.dtype).flatten(), got=got.to(X.dtype).flatten(), hint=hint)
