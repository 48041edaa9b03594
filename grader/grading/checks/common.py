"""Assertions shared by the checks: each builds the learner-facing Failure."""
from contextlib import contextmanager

import torch

from grader.i18n import Text, _, msgid
from grader.grading.failures import CheckFailed, Failure
from grader.portable.outcomes import LearnerError
from grader.portable.seam import LocalRNG

EPS32 = torch.finfo(torch.float32).eps


class Called:
    """A call the check made, e.g. softmax(X), with its inputs, for messages."""

    def __init__(self, exercise, call=None, **inputs):
        self.exercise, self.inputs = exercise, inputs
        self.call = call or f"{exercise}({', '.join(inputs)})"

    def fail(self, title, *, expected=None, got=None, hint="", show_inputs=True):
        raise CheckFailed(Failure(  # the title keeps its template (Failure.cause)
            title=Text(f"{self.exercise}: {title}", msgid(title)),
            call=self.call,
            inputs=self.inputs if show_inputs else {}, expected=expected, got=got, hint=hint))

    def tensor(self, got, shape, dtype=None, *, what=None, hint=""):
        """`got` must be a tensor of `shape` (and `dtype`); returns it detached.
        `what` names it in the title (a name such as X; "the result" when None).
        `hint`, for a wrong shape: text, or a function of the wrong tensor that
        returns the hint for the mistake that tensor shows ("" when none does)."""
        if not isinstance(got, torch.Tensor):
            self.fail(_("the result must be a tensor") if what is None else
                      _("{what} must be a tensor").format(what=what),
                      expected=_("a tensor of shape {shape}").format(shape=tuple(shape)),
                      got=f"{type(got).__name__}: {got!r:.120}",
                      hint="" if callable(hint) else hint)
        if got.shape != torch.Size(shape):
            self.fail(wrong_shape_title(what),
                      expected=shape_text(shape), got=shape_text(got.shape),
                      hint=hint(got.detach()) if callable(hint) else hint)
        if dtype is not None and got.dtype != dtype:
            self.fail(wrong_dtype_title(what), expected=str(dtype),
                      got=str(got.dtype),
                      hint=_("keep the dtype of the inputs: no .double(), no dtype= override"))
        return got.detach()

    def differentiable(self, out, what):
        """`out` has a grad_fn; `what`, the inputs it must flow back to, is shown
        in the title as given (names, or a translated text)."""
        if out.grad_fn is None:
            self.fail(_("the result must be differentiable: no gradient flows back to {what}")
                      .format(what=what),
                      expected=_("a result with a grad_fn"),
                      got=_("a result cut off from autograd (grad_fn is None)"),
                      hint=_("compute with torch operations only: no .detach(), .item(), .numpy(),"
                             " torch.tensor(...) or .data on the way"), show_inputs=False)

    def finite(self, got, expected, *, hint):
        if not torch.isfinite(got).all():
            self.fail(_("every value must be finite (no nan, no inf)"), expected=expected,
                      got=got, hint=hint)

    def close(self, got, expected, *, rtol, atol, title=None, hint=""):
        """Compare in float64: |got - expected| <= atol + rtol * |expected|.
        `title` is a translated text, "wrong values" when None."""
        got64, expected64 = got.double(), expected.double()
        if not torch.allclose(got64, expected64, rtol=rtol, atol=atol, equal_nan=False):
            self.fail(_("wrong values") if title is None else title,
                      expected=expected.to(got.dtype), got=got, hint=hint)


def wrong_shape_title(what=None):
    """The title for a result (or the tensor named `what`) of the wrong shape."""
    return _("the result has the wrong shape") if what is None else \
        _("{what} has the wrong shape").format(what=what)


def wrong_dtype_title(what=None):
    """The title for a result (or the tensor named `what`) of the wrong dtype."""
    return _("the result has the wrong dtype") if what is None else \
        _("{what} has the wrong dtype").format(what=what)


def shape_text(shape):
    """'shape (2, 3)', in the learner's language, for an expected or got line."""
    return _("shape {shape}").format(shape=tuple(shape))


def names_text(names):
    """Names joined as 'w and b', in the learner's language."""
    return _(" and ").join(names)


def rng_of(fn):
    """The generators `fn` draws from: its own process's (see seam.Learner)."""
    return getattr(fn, "rng", LocalRNG)


@contextmanager
def seeded(seed, fn):
    """Seed every global generator here and where `fn` runs (torch, random, numpy)."""
    LocalRNG.seed(seed)
    if rng_of(fn) is not LocalRNG:
        rng_of(fn).seed(seed)
    yield


def _same_states(a, b):
    return [torch.equal(a[0], b[0]), a[1] == b[1], torch.equal(a[2], b[2])]


def check_does_not_reseed_global_rngs(fn, args, exercise):
    """fn(*args) must neither set a fixed seed nor reseed from the clock or the OS.

    Run from two different seeds, the generators must end in different states
    (a fixed seed would make them equal); run twice from the same seed, in the
    same state (a seed from time or entropy would make them differ).
    """
    ends = []
    for seed in (1, 2, 1):
        with seeded(seed, fn):
            fn(*args)
            ends.append(rng_of(fn).state())
    fixed = any(_same_states(ends[0], ends[1]))
    fresh = not all(_same_states(ends[0], ends[2]))
    if fixed or fresh:
        Called(exercise).fail(
            _("must not reseed the global random number generators"),
            expected=_("the random state to carry on from wherever the caller left it"),
            got=_("a fixed seed") if fixed else _("a new seed taken from the clock or the system"),
            hint=_("remove torch.manual_seed / random.seed / np.random.seed from your function:"
                   " seeding is the caller's choice, and reseeding makes every call alike"),
            show_inputs=False)


def check_leaves_inputs_unchanged(fn, exercise, **inputs):
    """fn(**inputs) must not modify any of its tensor inputs in place."""
    before = {name: value.clone() for name, value in inputs.items()
              if isinstance(value, torch.Tensor)}
    fn(*inputs.values())
    for name, original in before.items():
        after = inputs[name]
        if after.shape != original.shape or not torch.equal(after, original):
            Called(exercise, **{name: original}).fail(
                _("must not modify its input {name}").format(name=name),
                expected=_("{name} unchanged: {shape}").format(name=name,
                                                              shape=tuple(original.shape)),
                got=_("{name} changed in place to {shape}").format(name=name,
                                                                  shape=tuple(after.shape))
                + f"\n           {name} = {after!r:.200}",
                hint=_("in-place operations (x -= ..., x.exp_(), x[...] = ..., clamp_) change"
                       " the caller's tensor; build a new tensor instead (x = x - ...)"))


def _float_tensor(value):
    return isinstance(value, torch.Tensor) and value.is_floating_point()


def upstream_weights(shape, seed):
    """The weights v whose (out * v).sum() the gradient checks backpropagate: all
    ones for seed 0 (the gradient of out.sum(), as training takes it, which
    Hypothesis shrinks to), else random, which also tests functions whose
    outputs always sum to the same (softmax's rows)."""
    if seed == 0:
        return torch.ones(shape, dtype=torch.float64)
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def _gradient_hint(exercise, out, ref_out, grad, expected):
    """What the learner can do about a wrong gradient, told by what went wrong:
    no gradient at all, a gradient wrong where the values are right (the graph
    was cut or fooled), or wrong values, which the gradient only follows."""
    if grad is None or (not grad.any() and expected.any()):
        return _("no gradient flows back: part of the computation is cut from autograd;"
                 " compute with torch operations only, with no .detach(), .data, .item(),"
                 " .numpy() or torch.tensor(...) on the way")
    values_right = torch.allclose(out.detach().double(), ref_out.detach(), rtol=1e-4,
                                  atol=1e-5 * (1 + ref_out.detach().abs().max().item()))
    if values_right:
        return _("your values are right but their gradient is not: autograd treats a part cut"
                 " off with .detach(), .data, .numpy() or torch.tensor(...) as a constant, and a"
                 " term that is always 0 still has a gradient; let autograd differentiate the"
                 " formula itself")
    return _("the values of your {exercise} are wrong for these inputs too (expected"
             " {expected}, got {got}), and the gradient follows from them: fix"
             " the values first").format(exercise=exercise, expected=_short(ref_out),
                                         got=_short(out))


def _short(tensor):
    return f"{[round(x, 4) for x in tensor.detach().double().flatten()[:6].tolist()]}"


INPLACE_ERROR = "one of the variables needed for gradient computation has been modified by an inplace operation"


def grad_through(c, loss, inputs, **kwargs):
    """torch.autograd.grad(loss, inputs) of a `loss` the learner's code computed
    (c: its Called): a tensor autograd saved and the code then changed in place
    fails the check, since the code, not the grader, broke backpropagation. (In a
    worker process torch's error comes back as the LearnerError of the backward.)"""
    try:
        return torch.autograd.grad(loss, inputs, **kwargs)
    except (RuntimeError, LearnerError) as e:
        if INPLACE_ERROR not in str(e):
            raise
        c.fail(_("autograd cannot backpropagate: a tensor it needs was changed in place"),
               expected=_("a result autograd can differentiate"), got=f"RuntimeError: {INPLACE_ERROR}",
               hint=_("an in-place operation (x.clamp_(...), x[...] = ..., x -= ...) changed a"
                      " tensor after it was used; build a new tensor instead (x = x.clamp(...))"),
               show_inputs=False)


def check_gradient_matches_oracle(fn, oracle, exercise, wrt, upstream_seed, **inputs):
    """The gradient flowing back through fn equals the oracle's.

    Both are called on the same inputs (tensors, or plain numbers passed as they
    are) with requires_grad on the names in `wrt`, and (out * v).sum() is
    backpropagated, v = upstream_weights(out's shape, upstream_seed), shown in
    the message unless it is all ones; the oracle runs in float64. Catches
    .detach(), .numpy(), torch.tensor(...) re-wrapping and hand-written backward
    passes that are wrong.
    """
    ref_args = [v.double().requires_grad_(k in wrt) if _float_tensor(v) else v
                for k, v in inputs.items()]
    ref_out = oracle(*ref_args)
    upstream = upstream_weights(ref_out.shape, upstream_seed)
    ones = upstream_seed == 0
    call = f"{exercise}({', '.join(inputs)})"
    names = names_text(wrt)
    c = Called(exercise, (_("{call}.sum(), backpropagated to {names}") if ones else
                          _("({call} * v).sum(), v random weights, backpropagated to {names}"))
               .format(call=call, names=names),
               **inputs, **({} if ones else {"v": upstream.float()}))
    # Backpropagating `upstream` as the weights of a sum gives the same gradients as
    # passing it as grad_outputs, which makes torch import sympy.
    expected = torch.autograd.grad((ref_out * upstream).sum(),
                                   [a for k, a in zip(inputs, ref_args) if k in wrt])
    args = [v.clone().requires_grad_(k in wrt) if isinstance(v, torch.Tensor) else v
            for k, v in inputs.items()]
    out = fn(*args)
    c.tensor(out, ref_out.shape)
    c.differentiable(out, names)
    got = grad_through(c, (out * upstream.to(out.dtype)).sum(),
                       [a for k, a in zip(inputs, args) if k in wrt], allow_unused=True)
    for name, g, e in zip(wrt, got, expected):
        g0 = torch.zeros_like(e) if g is None else g
        if not torch.allclose(g0.double(), e, rtol=1e-4, atol=1e-5 * (1 + e.abs().max().item())):
            c.close(g0, e, rtol=1e-4, atol=1e-5 * (1 + e.abs().max().item()),
                    title=_("wrong gradient with respect to {name}").format(name=name),
                    hint=_gradient_hint(exercise, out, ref_out, g, e))
