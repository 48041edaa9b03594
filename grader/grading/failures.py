"""What the learner reads: failures, their formatting, and the status of a check."""
import math
from dataclasses import dataclass, field

import torch

from grader.grading import source_rule as fromscratch
from grader.exercises import from_scratch_message
from grader.grading.data import DataUnavailable
from grader.grading.grades import Status
from grader.grading.wording import INDENT, label
from grader.i18n import N_, _, msgid
from grader.grading.mistakes import ERROR, HINT, TITLE, Diagnosed, cause_of, status_cause
from grader.portable.outcomes import BookAnswer, Crashed, LearnerError, Outcome

_PRINT = dict(precision=4, threshold=48, edgeitems=3, linewidth=88, sci_mode=None)


def show(value):
    """A short, readable rendering of a tensor (or anything else; text as it is;
    an object whose repr is an address or several lines, such as a function, a
    DataLoader or an optimizer, by its type: <DataLoader>; a net the grader
    made, whose class name means nothing to the learner, as <nn.Module>)."""
    if isinstance(value, torch.nn.Module) and type(value).__module__.startswith("grader"):
        return "<nn.Module>"
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, dict, int, float, type(None))):
        return repr(value)
    if not isinstance(value, torch.Tensor):
        text = repr(value)
        return f"<{type(value).__name__}>" if text.startswith("<") or "\n" in text else text
    torch.set_printoptions(**_PRINT)
    try:
        text = repr(value.detach())
    finally:
        torch.set_printoptions(profile="default")
    return text.replace("\n", "\n" + INDENT)


# Values a tensor may hold and still be shown whole as an input (torch's own
# threshold): a larger one is described (show_input).
INPUT_VALUES = _PRINT["threshold"]


def show_input(value):
    """An input of a call as a message shows it: as show() does, but a tensor or
    numpy array of more than INPUT_VALUES values (a batch of images) by its
    dtype, shape and first and last values, and a list or tuple of other things
    than numbers and text (PIL images, tensors) by their number and type."""
    if isinstance(value, (list, tuple)) and not all(
            isinstance(v, (int, float, str, bool, type(None))) for v in value):
        return _("a {container} of {count} {types}").format(
            container=type(value).__name__, count=len(value),
            types="/".join(dict.fromkeys(type(v).__name__ for v in value)))
    shape = getattr(value, "shape", None)
    if shape is None or not hasattr(value, "dtype") or math.prod(shape) <= INPUT_VALUES:
        return show(value)
    try:
        flat = torch.as_tensor(value).detach().flatten()
    except (TypeError, RuntimeError):  # an array of other things than numbers
        return f"<{type(value).__name__}>"
    ends = [_number(v) for v in [*flat[:3].tolist(), *flat[-3:].tolist()]]
    text = _("a tensor of shape {shape}, {dtype}, flattened: {values}") \
        if isinstance(value, torch.Tensor) else \
        _("a numpy array of shape {shape}, {dtype}, flattened: {values}")
    return text.format(dtype=str(value.dtype).removeprefix("torch."), shape=tuple(shape),
                       values=f"[{', '.join(ends[:3])}, ..., {', '.join(ends[3:])}]")


def _number(value):
    """A value of a tensor as torch prints it, to 4 significant digits: 0.4963, 1., 7, True."""
    if not isinstance(value, float):
        return str(value)
    text = f"{value:.4g}"
    return text if any(c in text for c in ".en") else text + "."


@dataclass
class Failure:
    """One failed property: a title, the call that shows it, what was expected
    and what came back, and a hint aimed at the usual mistake."""
    title: str
    call: str = ""
    inputs: dict = field(default_factory=dict)
    expected: object = None
    got: object = None
    hint: str = ""

    def __str__(self):
        lines = [self.title]
        if self.call:
            lines.append(label(_("called")) + self.call)
            lines += [f"{INDENT}{name} = {show_input(value)}"
                      for name, value in self.inputs.items()]
        if self.expected is not None:
            lines.append(label(_("expected")) + show(self.expected))
        if self.got is not None:
            lines.append(label(_("got")) + show(self.got))
        if self.hint:
            lines.append(label(_("hint")) + self.hint)
        return "\n".join(lines)

    def cause(self):
        """(cause, words) of the mistake this failure names (grader.grading.mistakes): its
        hint, if that is a text of the catalogue, else its title, which
        Called.fail gives as "exercise: title" with the template of the part
        after the exercise's name."""
        if msgid(self.hint):
            return HINT + msgid(self.hint), self.hint
        return TITLE + msgid(self.title), self.title.partition(": ")[2]


class Skipped(Exception):
    """A check not run, by a rule the README states (see SharedRuns); it counts
    for nothing in the grade."""


class CheckFailed(AssertionError):
    """A check found a wrong result; carries the Failure to show."""

    def __init__(self, failure):
        super().__init__(str(failure))
        self.failure = failure


# The exercises whose gradient the checks follow back to their tensor inputs
# (which then require grad), by their inputs' names.
_DIFFERENTIATED = {"linreg": "w or b", "squared_loss": "y_hat", "huber_loss": "y_hat",
                   "softmax": "X", "cross_entropy": "y_hat", "cross_entropy_from_logits": "o"}
_SHAPES = "must match the size of tensor"
_IN_PLACE = "leaf Variable that requires grad is being used in an in-place operation"

# (words in the error's message, the exercises where those words tell the usual
# mistake, that mistake, its placeholders' values). An error gets a hint only
# where its kind and the function it came from tell which mistake it is: the
# same words mean another mistake in another function, and none that this
# table can tell elsewhere. The hints are translated where shown (_known_hint).
KNOWN_ERRORS = [
    (_SHAPES, ("linreg",),
     N_("X is (n, d) and w is (d, 1): the model is a matrix product, torch.matmul(X, w) + b,"
        " not the elementwise X * w or w * X"), {}),
    ("mat1 and mat2 shapes cannot be multiplied", ("linreg",),
     N_("X is (n, d) and w is (d, 1): multiply them in this order, torch.matmul(X, w)"), {}),
    (_SHAPES, ("squared_loss", "huber_loss"),
     N_("y_hat and y have different shapes: reshape y to y_hat.shape before subtracting"), {}),
    (_SHAPES, ("softmax",),
     N_("a sum or max over the classes of each row (dim=1) needs keepdim=True to line up with"
        " X's rows: X_exp.sum(dim=1, keepdim=True)"), {}),
    (_SHAPES, ("cross_entropy_from_logits",),
     N_("a max or sum over the classes of each row (dim=1) gives one value per row: use"
        " keepdim=True where it meets o's (n, q) values, and no keepdim where it meets the"
        " (n,) true-class logits"), {}),
    (_IN_PLACE, ("sgd",),
     N_("update the parameters inside `with torch.no_grad():`, so that autograd does not"
        " record the update"), {}),
    *((_IN_PLACE, (name,),
       N_("your {name} changes its input {inputs} in place (x -= ..., x.exp_(), x[...] = ...):"
          " build a new tensor instead, x = x - ..., and leave the caller's tensors as they"
          " were"), {"name": name, "inputs": inputs})
      for name, inputs in _DIFFERENTIATED.items()),
    *(("out of bounds for dimension 0", (name,),
       N_("a label was used as a row number ({x}[y] picks rows): index rows and columns"
          " together, {x}[range(len({x})), y]"), {"x": x})
      for name, x in (("cross_entropy", "y_hat"), ("cross_entropy_from_logits", "o"))),
    # (q,) against y's (n,): an argmax over the examples; (n, q) against (n,): no argmax.
    ("at non-singleton dimension 0", ("accuracy",),
     N_("take the argmax over each row's classes, y_hat.argmax(dim=1): one predicted label per"
        " example, as y has. An argmax over dim=0 gives one per class"), {}),
    ("at non-singleton dimension 1", ("accuracy",),
     N_("compare each example's predicted label with y, not its scores: y_hat.argmax(dim=1)"
        " == y"), {}),
    ("Dimension out of range", ("accuracy",),
     N_("y_hat can also be a 1-D tensor of predicted labels: take the argmax only when y_hat"
        " has more than one column"), {}),
    ("'SGD' object is not callable", ("train_epoch_ch3",),
     N_("updater may be a torch.optim.Optimizer: then call updater.zero_grad(),"
        " l.mean().backward() and updater.step() instead of updater(batch_size)"), {}),
    ("'function' object has no attribute 'eval'", None,
     N_("net may be a plain function: call net.eval() only if isinstance(net,"
        " torch.nn.Module)"), {}),
    ("'function' object has no attribute 'train'", None,
     N_("net may be a plain function: call net.train() only if isinstance(net,"
        " torch.nn.Module)"), {}),
]


def _known_hint(error):
    """The usual mistake behind `error` (see KNOWN_ERRORS), if its words and its
    function tell it; else None."""
    text = str(error.error)
    for words, exercises, hint, values in KNOWN_ERRORS:
        if words in text and (exercises is None or error.exercise in exercises):
            return _(hint).format(**values)
    return None


def learner_error_message(error):
    """The message for a LearnerError: which call raised what, where, and a hint.
    It names the hint's mistake, or, with no known hint, the error's type."""
    known = _known_hint(error)
    hint = known or (_("the line of your code that raised it is shown above") if error.where
                     else "")
    kind = type(error.error).__name__
    failure = Failure(
        title=_("{exercise} raised an error").format(exercise=error.exercise),
        call=f"{error.called}({', '.join(error.inputs)})", inputs=error.inputs,
        got=f"{kind}: {error.error}", hint=hint)
    text = str(failure)
    if error.where:
        at = "\n".join(label(_("at")) + line for line in error.where)
        hint = "\n" + label(_("hint"))
        text = text.replace(hint, f"\n{at}{hint}", 1)
    if known:
        return Diagnosed(text, HINT + known.msgid, known)
    return Diagnosed(text, ERROR + kind, _("raises {error}").format(error=kind))


def _outcome_cause(outcome):
    """(cause, words) of an Outcome: its status, or for an error or a failure
    the kind of outcome (a failed one is a BookAnswer or an Endless)."""
    if outcome.status == Status.FAILED:
        return status_cause("calls-d2l" if isinstance(outcome, BookAnswer) else "never-ends")
    if outcome.status == Status.ERROR:
        return status_cause("crashed" if isinstance(outcome, Crashed) else "import-error")
    return status_cause(outcome.status.replace("_", "-"))


def classify(error):
    """(status, message) for whatever ended a check; None status = a grader bug."""
    if isinstance(error, Outcome):
        return Status(error.status), Diagnosed(error.message, *_outcome_cause(error))
    if isinstance(error, CheckFailed):
        return Status.FAILED, Diagnosed(str(error.failure), *error.failure.cause())
    if isinstance(error, Skipped):
        return Status.SKIPPED, str(error)
    if isinstance(error, LearnerError):
        return Status.ERROR, learner_error_message(error)
    if isinstance(error, DataUnavailable):
        return Status.ERROR, Diagnosed(str(error), *status_cause("data-unavailable"))
    for inner in getattr(error, "exceptions", ()):  # Hypothesis may group failures
        status, message = classify(inner)
        if status is not None:
            return status, message
    return None, f"{type(error).__name__}: {error}"


def apply_from_scratch_rule(learner, exercise, status, message):
    """(status, message) of a check once the from-scratch rule is applied: if the
    learner's `exercise` called a built-in that does its whole job during the
    check, or its code names one (or looks functions up by names built at run
    time, which could hide one: grader.grading.source_rule), a passed check fails with
    the rule's message, and a failed one says so too."""
    builtin = learner.take_builtin_used(exercise)
    if status in (Status.NOT_ATTEMPTED, Status.MISSING):
        return status, message
    if builtin is None:
        use = fromscratch.first_use_in(learner, exercise)
        if use is None:
            return status, message
        what, line, dynamic = use
        if dynamic:
            said = fromscratch.dynamic_message(exercise, what, line)
            return (Status.FAILED, Diagnosed(said, *status_cause("from-scratch"))) \
                if status == Status.PASSED else (status, _also(message, said))
        builtin = what
    if status == Status.PASSED:
        return Status.FAILED, Diagnosed(from_scratch_message(exercise, builtin, values_right=True),
                                   *status_cause("from-scratch"))
    return status, _also(message, from_scratch_message(exercise, builtin, False))


def _also(message, said):
    """`message`, naming the same cause, with `said` added as an "also" line."""
    return Diagnosed(message + "\n" + label(_("also")) + said, *cause_of(message))
