"""A context's process in the sandbox (grader/portable/worker.py forks it): the
learner's code behind seam.Learner, answering the judge's requests.

It returns values, gradients, the state of arguments a call changed, recipes'
results, and facts about what ended a call (the kit's own message templates and
the values they quote, see grader.portable.said.Said), which the judge checks
and words; it decides nothing. Messages both ways are grader.portable.wire's.
"""
import os
import types

import torch

from grader.portable import wire
from grader.portable.book import BOOK_HELPERS
from grader.portable.outcomes import LearnerError, Outcome
from grader.portable.seam import Learner, LocalRNG, tensors_in
from grader.portable.warned import taken_warnings


class Serving:
    """One context's process: the learner's code behind seam.Learner, answering
    the judge's requests over `channel` (a socket file)."""

    def __init__(self, channel, data):
        self.channel, self.data = channel, data
        self.graphs, self.recipes = {}, {}
        self.stand_ins = {}
        self.learner = None

    # --- values -------------------------------------------------------------
    def encode(self, value, depth=0):
        """Results as plain trees: tensors as ("T", value, has_grad_fn)."""
        if isinstance(value, torch.Tensor) and wire.sendable(value):
            plain = value.detach().as_subclass(torch.Tensor).clone()
            return ("T", plain, value.grad_fn is not None)
        if value is None or isinstance(value, (bool, int, float, str)):
            return ("V", value if type(value) in (bool, int, float, str, type(None))
                    else type(value).__mro__[1](value))
        if type(value).__module__ == "numpy":
            return self.encode(torch.as_tensor(value) if hasattr(value, "shape") and value.shape
                               else value.item(), depth)
        # Deep enough for a figure described as lists (grader.portable.recipes.figures.describe_axes).
        if isinstance(value, (list, tuple)) and depth < 8:
            return ("L" if isinstance(value, list) else "U",
                    [self.encode(v, depth + 1) for v in value])
        return ("O", type(value).__name__, _text(repr(value), 200))

    def state(self, original, now):
        """An argument after the call, for the judge to mirror mutations."""
        if isinstance(now, torch.Tensor):
            grad = None if now.grad is None else now.grad.detach().clone()
            return ("T", now.detach().clone(), now.requires_grad, grad, now.is_leaf,
                    now is original)
        if isinstance(now, list):
            return ("L", [self.state(o, n) for o, n in zip(original, now)]
                    + [self.state(None, n) for n in now[len(original):]], len(now))
        return ("V", None)

    def said(self, text):
        """A message as its parts (see said.Said): [[template, values]], values
        plain or themselves {"parts": ...}; a text that is no Said as [["", {"text": ...}]]."""
        parts = getattr(text, "parts", None)
        if parts is None:
            return [["", {"text": _text(str(text), 4000)}]]
        return [[template, {k: {"parts": self.said(v)} if hasattr(v, "parts") else _plain(v)
                            for k, v in values.items()}] for template, values in parts]

    # --- requests -------------------------------------------------------------
    def load(self, setup):
        """Write the submission's files to a folder of this context's own and load
        the modules asked for; the load report."""
        folder = os.path.join(setup["scratch"], "submission")
        os.makedirs(folder)
        for name, data in setup["files"].items():
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)
        self.learner = Learner(
            folder, setup["spec"], call_timeout=setup["call_timeout"],
            import_timeout=setup["import_timeout"], modules=setup["modules"],
            on_import=lambda module: self.send({"kind": "importing", "module": module}),
            stand_ins=self.stand_ins)
        report = {name: None if status is None else [status[0], self.said(status[1])]
                  for name, status in self.learner.load_report().items()}
        notes = {name: self.said(note) for name, note in self.learner.notes.items()}
        return {"kind": "loaded", "modules": report, "notes": notes}

    def ship(self, request):
        """Run the source of stand-ins (oracle) or recipes (training) in a namespace
        of this process; the stand-ins named join those the learner's code is given."""
        namespace = {"__name__": f"d2lkit_{request['what']}"}
        exec(compile(request["source"], f"{namespace['__name__']}.py", "exec"), namespace)
        if request["what"] == "recipes":
            self.recipes.update({n: namespace[n] for n in request["names"]})
        else:
            self.stand_ins.update({n: namespace[n] for n in request["names"]})
            BOOK_HELPERS.update(
                {n: self.stand_ins[n] for s in self.learner.spec.values()
                 for n in s.get("helpers", ()) if n in self.stand_ins})
        return {"kind": "ok"}

    def call(self, request):
        args = [decode(a) for a in request["args"]]
        originals = [list(a) if isinstance(a, list) else a for a in args]
        exercise = request["exercise"]
        fn = getattr(self.learner, exercise)
        inputs = [t for t in tensors_in(args) if t.requires_grad]
        result = fn(*args)
        if request["keep_graph"] and isinstance(result, torch.Tensor) \
                and result.grad_fn is not None:
            self.graphs[request["graph"]] = (result, inputs)
            while len(self.graphs) > 64:
                self.graphs.pop(next(iter(self.graphs)))
        return {"kind": "ok", "value": self.encode(result),
                "mutated": [self.state(o, a) for o, a in zip(originals, args)],
                "builtin": self.learner.take_builtin_used(exercise)}

    def backward(self, request):
        result, inputs = self.graphs.pop(request["graph"])
        # The same gradients as grad_outputs=grad, but passing a tensor there makes
        # torch import sympy on its first backward.
        grads = torch.autograd.grad((result * request["grad"]).sum(), inputs, allow_unused=True)
        return {"kind": "ok", "value": self.encode(list(grads))}

    def recipe(self, request):
        """A training recipe with the learner's exercises among the stand-ins; its
        result, or how the recipe's own code crashed."""
        fns = types.SimpleNamespace(**{**self.stand_ins, **{
            e: getattr(self.learner, e) for e in request["exercises"]}})
        args = [decode_data(a, self.recipes, self.data) for a in request["args"]]
        try:
            result = self.recipes[request["recipe"]](fns, *args, **request["kwargs"])
        except (Outcome, LearnerError):
            raise
        except Exception as e:  # the loop could not use what a learner function returned
            return {"kind": "crashed", "type": _text(type(e).__name__, 100),
                    "message": _text(str(e), 1 << 16)}
        return {"kind": "ok", "value": self.encode(result)}

    def answer(self, request):
        kind = request.get("kind")
        if kind == "call":
            return self.call(request)
        if kind == "recipe":
            return self.recipe(request)
        if kind == "backward":
            return self.backward(request)
        if kind == "tensors":
            return {"kind": "ok", "value": self.learner.exercise_tensors(request["exercise"],
                                                                        request["names"])}
        if kind == "seed":
            LocalRNG.seed(request["seed"])
            return {"kind": "ok"}
        if kind == "rng_state":
            return {"kind": "ok", "value": list(LocalRNG.state())}
        if kind == "ship":
            return self.ship(request)
        return {"kind": "refused", "request": _text(str(kind), 100)}

    def reply_to(self, request, kind):
        """The reply to `request`, with what the learner's code warned meanwhile."""
        reply = self._reply_to(request, kind)
        reply["warned"] = taken_warnings()
        return reply

    def _reply_to(self, request, kind):
        try:
            return self.answer(request)
        except Outcome as e:
            return {"kind": "outcome", "outcome": type(e).__name__,
                    "message": self.said(e.message)}
        except LearnerError as e:
            # The judge has a call's inputs; those of a call inside a recipe it has not.
            inputs = [self.encode(v) for v in e.inputs.values()] if kind == "recipe" else []
            return {"kind": "raised", "type": _text(type(e.error).__name__, 100),
                    "message": _text(str(e.error), 1 << 16),
                    "where": [_text(line, 300) for line in e.where[-10:]],
                    "names": [_text(n, 100) for n in e.inputs], "inputs": inputs,
                    "called": _text(e.called, 100)}
        except BaseException as e:  # noqa: B036 - e.g. backward through a broken Function
            return {"kind": "raised", "type": _text(type(e).__name__, 100),
                    "message": _text(str(e), 1 << 16), "where": [], "names": [], "inputs": [],
                    "called": ""}

    def send(self, message):
        wire.write(self.channel, message)

    def serve(self, scratch):
        """Load the submission the judge's first message sets up, its files written
        under the folder `scratch`, then answer requests until the judge hangs up."""
        self.send(self.load({**wire.read(self.channel), "scratch": scratch}))
        while True:
            try:
                request = wire.read(self.channel)
            except EOFError:
                return
            self.send(self.reply_to(request, request.get("kind")))


def _text(value, limit):
    """`value` as text, cut to `limit` characters (the judge keeps less, and says so)."""
    return str(value)[:limit]


def _plain(value):
    """A value a message quotes, as plain data."""
    if value is None or type(value) in (bool, int, float):
        return value
    return _text(value, 4000)


def decode(tree):
    """Arguments from the judge: ("T", value, requires_grad, grad) or ("L", [...]) or ("V", x)."""
    kind = tree[0]
    if kind == "T":
        tensor = tree[1].clone().requires_grad_(tree[2])
        tensor.grad = tree[3]
        return tensor
    if kind == "L":
        return [decode(t) for t in tree[1]]
    return tree[1]


def decode_data(tree, recipes, data):
    """Training data from the judge: ("F", field) for ScaledImages of that field
    of the mapped `data`, ("S", uint8 rows) for ScaledImages of those rows,
    ("L", [...]) for a tuple, else as decode()."""
    if tree[0] == "F":
        return recipes["ScaledImages"](data[tree[1]])
    if tree[0] == "S":
        return recipes["ScaledImages"](tree[1])
    if tree[0] == "L":
        return tuple(decode_data(t, recipes, data) for t in tree[1])
    return decode(tree)
