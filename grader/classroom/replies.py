"""What the judge sends a context and takes back from it: data for the wire
(tensors, the state of arguments, training data as the field of the mapped
cache), and each reply checked before anything reads it: outcomes only of the
classes a submission's process may report, messages only of the worker's own
templates with the values they quote, each recipe's result as its test says
(grader.portable.recipes). Anything else is ValueError: a crash of the call.
"""
import ast
import itertools
from pathlib import Path

import torch

from grader.portable import oracle
from grader.portable import recipes
from grader.classroom.outputs import capped
from grader.i18n import _
from grader.portable.outcomes import (BookAnswer, BrokenModule, Endless, Missing, NotAttempted,
                                      TimedOut)
from grader.classroom.slicing import Slice
from grader.classroom.zygote import RUNTIME


ORACLE_SLICE, RECIPE_SLICE = Slice(oracle.__file__), Slice(Path(recipes.__file__).parent)
# The outcomes a submission's process may report, by their class's name (a
# subclass of one, a time limit's, as the class it is).
OUTCOMES = {cls.__name__: cls for cls in (NotAttempted, Missing, BrokenModule, TimedOut, Endless,
                                          BookAnswer)}
STATUS_OUTCOMES = {"not_attempted": NotAttempted, "missing": Missing, "error": BrokenModule,
                   "timeout": TimedOut}


def _templates():
    """The texts of the _() and N_() calls of the modules the worker runs
    (RUNTIME): the only templates of a message a submission's process may send."""
    return {node.args[0].value for source in RUNTIME.values()
            for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in ("_", "N_") and node.args
            and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)}


TEMPLATES = _templates()


def training_with(exercises):
    """What a training run is called in messages: "training with your softmax"."""
    return _("training with your {exercises}").format(exercises=exercises)


def reading(names):
    """What reading a module's tensors is called in messages."""
    return _("reading {names}").format(names=", ".join(names))


def words(parts, depth=0):
    """A message from a submission's process, said.Said's parts, in the learner's
    language; ValueError if it is not one of the worker's templates with its values."""
    if not isinstance(parts, list) or not parts or depth > 4:
        raise ValueError("not a message")
    lines = []
    for part in parts:
        if not (isinstance(part, list) and len(part) == 2 and part[0] in TEMPLATES
                and isinstance(part[1], dict)):
            raise ValueError("not a message of the kit")
        values = {}
        for key, value in part[1].items():
            if isinstance(value, dict) and set(value) == {"parts"}:
                values[key] = words(value["parts"], depth + 1)
            elif value is None or type(value) in (bool, int, float, str):
                values[key] = value[:4000] if isinstance(value, str) else value
            else:
                raise ValueError("not a value")
        try:
            lines.append(_(part[0]).format(**values))
        except (KeyError, IndexError, ValueError, AttributeError) as e:
            raise ValueError("values that do not fit") from e
    return "\n".join(lines)


def quoted_text(value, limit=1000):
    """A text a reply quotes, at most `limit` characters of it kept (as
    outputs.capped says it); ValueError if it is none."""
    if not isinstance(value, str):
        raise ValueError("not a text")
    return capped(value, limit)


def encode(value):
    if isinstance(value, torch.Tensor):
        grad = value.grad.detach().clone() if value.is_leaf and value.grad is not None else None
        return ("T", value.detach().clone(), value.requires_grad, grad)
    if isinstance(value, (list, tuple)):
        return ("L", [encode(v) for v in value])
    return ("V", value)


def _fresh(state):
    """A new tensor standing for one the worker made (e.g. a replaced list entry)."""
    _, value, requires_grad, grad, is_leaf, _ = state
    tensor = value.clone().requires_grad_(requires_grad or not is_leaf)
    if not is_leaf:
        tensor = tensor * 1
    elif grad is not None:
        tensor.grad = grad
    return tensor


def is_state(state):
    """What the worker's state() gives for an argument after a call."""
    if not isinstance(state, tuple) or not state:
        return False
    if state[0] == "T":
        return (len(state) == 6 and isinstance(state[1], torch.Tensor)
                and isinstance(state[2], bool) and (state[3] is None or (
                    isinstance(state[3], torch.Tensor) and state[3].shape == state[1].shape))
                and isinstance(state[4], bool) and isinstance(state[5], bool))
    if state[0] == "L":
        return (len(state) == 3 and isinstance(state[1], list) and all(map(is_state, state[1]))
                and isinstance(state[2], int))
    return state == ("V", None)


def mirror(arg, state):
    """Make the judge's argument look as the worker's did after the call."""
    if state[0] == "T" and isinstance(arg, torch.Tensor):
        _, value, requires_grad, grad, _, _ = state
        if arg.shape != value.shape or not torch.equal(arg.detach(), value):
            with torch.no_grad():
                arg.data = value
        if arg.is_leaf:
            arg.grad = grad
            if arg.requires_grad != requires_grad and arg.is_floating_point():
                arg.requires_grad_(requires_grad)
    elif state[0] == "L" and isinstance(arg, list):
        items = []
        for a, s in itertools.zip_longest(list(arg), state[1][:state[2]]):
            if s is None:
                continue  # the worker's list got shorter
            if s[0] == "T" and s[5]:
                mirror(a, s)
            items.append(_fresh(s) if s[0] == "T" and not s[5] else a)
        arg[:] = items


def _opaque(type_name, text):
    """Stands for a result that cannot cross the boundary; shows as the original would."""
    return type(str(type_name)[:100], (), {"__repr__": lambda self: text})()


def decode(tree, depth=0):
    """A value of the worker's encode(); ValueError if it is none."""
    if not isinstance(tree, tuple) or not tree or depth > 12:
        raise ValueError("not a value")
    kind = tree[0]
    if kind == "T" and len(tree) == 3 and isinstance(tree[1], torch.Tensor):
        return tree[1]
    if kind == "V" and len(tree) == 2:
        return tree[1]
    if kind in ("L", "U") and len(tree) == 2 and isinstance(tree[1], list):
        items = [decode(t, depth + 1) for t in tree[1]]
        return items if kind == "L" else tuple(items)
    if kind == "O" and len(tree) == 3:
        return _opaque(quoted_text(tree[1], 100), quoted_text(tree[2], 300))
    raise ValueError("not a value")


def opaque_error(type_name, message):
    return type(str(type_name), (Exception,), {})(str(message))


def encode_data(value, mapped):
    """Training data for the worker: ScaledImages as the field they come from
    in the cache file the worker has `mapped` (None: none), else as their uint8 rows."""
    if isinstance(value, recipes.features.ScaledImages):
        if value.source is not None and value.source[0] == mapped:
            return ("F", value.source[1])
        return ("S", value.rows)
    if isinstance(value, tuple):
        return ("L", [encode_data(v, mapped) for v in value])
    return encode(value)


def _recipe_uses():
    """{recipe: the oracle's functions it calls through `fns`}, read from its source."""
    return {name: {n.attr for node in RECIPE_SLICE.definitions([name]) for n in ast.walk(node)
                   if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
                   and n.value.id == "fns"}
            for name in RECIPE_RESULTS}


# What each recipe returns, as a test of a worker's reply (beside each recipe,
# in its module of grader.portable.recipes).
RECIPE_RESULTS = recipes.RESULTS
RECIPE_USES = _recipe_uses()


def module_tensors(found, names):
    """What seam.module_tensors gives for `names`."""
    def described(value):
        return isinstance(value, str) or (
            isinstance(value, dict) and set(value) == {"value", "requires_grad", "grad"}
            and isinstance(value["value"], torch.Tensor)
            and isinstance(value["requires_grad"], bool)
            and (value["grad"] is None or isinstance(value["grad"], torch.Tensor)))
    return isinstance(found, dict) and set(found) == set(names) and all(
        described(v) for v in found.values())
