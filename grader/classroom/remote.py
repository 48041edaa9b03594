"""The judge's side of the trust boundary: a submission's code runs in processes
of the judge's sandbox (grader/portable/worker.py), the checks run here and see the same
interface as grader.portable.seam.Learner.

Each judge has one Sandbox: bubblewrap (grader/classroom/sandbox.py) running a zygote
that has imported torch once and forks a fresh process for each context of a
grading. A context is the set of the learner's exercises its requests call; it
grows while its requests need no stand-in of its own exercises, and any request
that would is sent to a new context instead: so a process never holds the
oracle's function for an exercise it runs (grader.classroom.slicing picks what a context
is sent), and nothing of a context reaches the next (the zygote ends whatever a
context started and empties its scratch). The processes cannot read the
zygote, which never runs a submission's code.

What comes back is data only, checked here: values (tensors, numbers), the
state of arguments a call changed, gradients through an autograd bridge, and
what ended a call, as the kit's own message templates and the values they
quote (grader.portable.said.Said): a submission cannot choose a status but by what its code
does, nor a text but the values a template quotes. A reply over MAX_REPLY, or
one that is not a reply, ends the context as a crash of the call. A context
that hangs is killed on a hard timeout; a sandbox that dies or starts more
than MAX_TASKS processes is killed and started again for the next request.
"""
import itertools

import torch

from grader.portable import warned as learner_warnings
from grader.classroom import sandbox as sandbox_
from grader.portable import seam
from grader.exercises import BY_NAME, MODULES
from grader.i18n import _
from grader.portable.importing import import_too_long, not_imported
from grader.portable.outcomes import BrokenModule, Crashed, LearnerError, RecipeCrashed, TimedOut
from grader.classroom.replies import (ORACLE_SLICE, OUTCOMES, RECIPE_RESULTS, RECIPE_SLICE,
                                      RECIPE_USES, STATUS_OUTCOMES, decode, encode, encode_data,
                                      is_state, mirror, module_tensors, opaque_error,
                                      quoted_text, reading, training_with, words)
from grader.classroom.zygote import (GRACE, MAX_TASKS, SandboxBroken, WorkerGone,
                                     per_namespace_counts)

# How long a whole training run in the worker may take.
RECIPE_TIMEOUT = 300.0


class _Bridge(torch.autograd.Function):
    """Backpropagates through a call that ran in the worker."""

    @staticmethod
    def forward(ctx, learner, graph_id, value, *inputs):
        ctx.learner, ctx.graph_id = learner, graph_id
        ctx.shapes = [(t.shape, t.dtype) for t in inputs]
        return value.clone()

    @staticmethod
    def backward(ctx, grad):
        grads = ctx.learner.backward(ctx.graph_id, grad)
        checked = [g if isinstance(g, torch.Tensor) and (g.shape, g.dtype) == shape else None
                   for g, shape in itertools.zip_longest(grads, ctx.shapes)][:len(ctx.shapes)]
        return (None, None, None, *checked)


class RemoteRNG:
    """The global generators of the process where `exercise` runs."""

    def __init__(self, learner, exercise):
        self.learner, self.exercise = learner, exercise

    def seed(self, seed):
        self.learner.request({"kind": "seed", "seed": seed}, _("seeding"), self.exercise,
                             calls={self.exercise})

    def state(self):
        value = self.learner.request({"kind": "rng_state"}, _("reading the random state"),
                                     self.exercise, calls={self.exercise}).get("value")
        if not (isinstance(value, list) and len(value) == 3 and all(
                isinstance(v, torch.Tensor) for v in value[::2])):
            raise Crashed(self.exercise, _("{what}: the submission's process sent back something"
                                           " that is not a random state").format(
                                               what=_("reading the random state")))
        return tuple(value)


class RemoteLearner:
    """The learner's implementation, run in the processes of `sandbox` (a Sandbox)
    from `files` ({file name: bytes}: its modules and notebooks)."""

    def __init__(self, files, spec, sandbox, *, call_timeout=10.0, import_timeout=60.0,
                 memory_mb=2048, cpu_seconds=3600):
        self.files, self.spec, self.sandbox = files, spec, sandbox
        self.options = dict(call_timeout=call_timeout, import_timeout=import_timeout)
        self.limits = {"memory_mb": memory_mb, "cpu_seconds": int(cpu_seconds),
                       "file_mb": sandbox_.SCRATCH_MB, "open_files": 1024,
                       "tasks": MAX_TASKS if sandbox.sandboxed and per_namespace_counts() else
                       None}
        self.status, self.notes, self.builtins_used = {}, {}, {}
        self.channel = None
        self.context, self.shipped, self.recipes = set(), set(), set()
        self.graph_ids = itertools.count()
        self._last_exercise = None
        self._load()

    # --- contexts ---------------------------------------------------------------
    def _modules(self):
        return [m for m in MODULES if self.status.get(m) is None]

    def _open(self):
        """A new context's process with the loadable modules loaded; its load report."""
        self.close()
        self.channel = self.sandbox.open(self.limits)
        self.context, self.shipped, self.recipes = set(), set(), set()
        self.channel.send({"kind": "setup", "files": self.files, "spec": self.spec,
                           "modules": self._modules(), **self.options})
        importing = None
        while True:
            try:
                message = self.channel.receive(self.options["import_timeout"] + GRACE)
            except TimedOut:
                self.close()
                raise TimedOut(importing, "import") from None
            if message.get("kind") == "importing" and message.get("module") in MODULES:
                importing = message["module"]
            elif message.get("kind") == "loaded":
                return message
            else:
                raise WorkerGone(_("it sent something that is not a reply ({error})").format(
                    error="load"))

    def _load(self):
        """Load the modules once, for their statuses and notes: a module whose import
        hangs is left out of every context."""
        while self._modules():
            try:
                report = self._open()
            except TimedOut as e:
                for module in [e.exercise] if e.exercise in MODULES else self._modules():
                    self.status[module] = BrokenModule(module, import_too_long(
                        f"{module}.py", self.options["import_timeout"]))
                continue
            except (WorkerGone, SandboxBroken) as e:
                self.close()
                for module in self._modules():
                    self.status[module] = BrokenModule(module, not_imported(
                        f"{module}.py", e))
                return
            try:
                for module, outcome in report["modules"].items():
                    if module in MODULES:
                        self.status[module] = None if outcome is None else \
                            STATUS_OUTCOMES[outcome[0]](module, words(outcome[1]))
                self.notes = {quoted_text(name, 200): words(note)
                              for name, note in report["notes"].items()}
            except (KeyError, TypeError, ValueError, IndexError):
                self.close()
                for module in self._modules():
                    self.status[module] = BrokenModule(module, not_imported(
                        f"{module}.py", _("it sent something that is not a reply ({error})")
                        .format(error="load")))
            return

    def _ready(self, exercise, calls, stand_ins, recipes):
        """The channel of a context that may call `calls` (learner exercises) with
        the oracle's `stand_ins` and the `recipes` it runs: the current one if that
        holds none of these exercises' stand-ins and its stand-ins are none of these
        exercises, else a new one; what it lacks is sent to it."""
        needed = ORACLE_SLICE.closure(stand_ins - calls)
        if self.channel is None or calls & self.shipped or needed & (self.context | calls):
            try:
                self._open()
            except TimedOut:
                raise TimedOut(exercise, import_too_long(
                    f"{self.spec[exercise]['module']}.py", self.options["import_timeout"])
                    ) from None
        self.context |= calls
        if needed - self.shipped:
            self._ship("stand_ins", needed - self.shipped, ORACLE_SLICE, exercise)
            self.shipped |= needed
        if recipes - self.recipes:
            self._ship("recipes", recipes - self.recipes, RECIPE_SLICE, exercise)
            self.recipes |= recipes
        return self.channel

    def _ship(self, what, names, source, exercise):
        names = sorted(source.closure(names))
        self.channel.send({"kind": "ship", "what": what, "names": names,
                           "source": source.source(names)})
        if self.channel.receive(GRACE + self.options["call_timeout"]).get("kind") != "ok":
            raise WorkerGone(_("it sent something that is not a reply ({error})").format(
                error="ship"))

    def close(self):
        """End the current context."""
        if self.channel is not None:
            self.sandbox.close(self.channel)
            self.channel = None

    def restart(self):
        """Start afresh: the next request gets a new context (a retry after a crash)."""
        self.close()

    # --- requests ---------------------------------------------------------------
    def request(self, message, what, exercise=None, timeout=None, *, calls=frozenset(),
                stand_ins=frozenset(), recipes=frozenset()):
        """Send a request in a context that admits it (see _ready); a context that
        hangs or dies is ended, and the next request gets a new one. It may take
        `timeout` seconds (default: the call timeout)."""
        timeout = timeout or self.options["call_timeout"]
        try:
            channel = self._ready(exercise, set(calls), set(stand_ins), set(recipes))
            channel.send(message)
            reply = channel.receive(timeout + GRACE)
            if reply.get("kind") == "refused":
                raise WorkerGone(_("it sent something that is not a reply ({error})").format(
                    error="refused"))
            return reply
        except TimedOut as e:
            self.close()
            if e.exercise == exercise and e.exercise is not None:
                raise
            raise TimedOut(exercise, _("{exercise} did not finish within {seconds} s ({what}):"
                                       " is there a loop that never ends?").format(
                                           exercise=exercise, seconds=f"{timeout:g}",
                                           what=what)) from None
        except (WorkerGone, SandboxBroken) as e:
            why = self.sandbox.why_killed or str(e)
            self.close()
            raise Crashed(exercise, _("{what} ended the submission's process: {why}. A function"
                                      " must return its result: no sys.exit or os._exit, and"
                                      " memory is limited to {memory} MB").format(
                                          what=what, why=why, memory=self.limits["memory_mb"])
                          ) from None

    def sources(self):
        """As seam.Learner.sources: the files sent to the sandbox."""
        return dict(self.files)

    def load_notes(self):
        """As seam.Learner.load_notes, from what the first context reported."""
        return dict(self.notes)

    def take_builtin_used(self, exercise):
        """As seam.Learner.take_builtin_used, from what the worker reported."""
        return self.builtins_used.pop(exercise, None)

    def _outcome(self, exercise):
        outcome = self.status.get(self.spec[exercise]["module"])
        if outcome is not None:
            raise type(outcome)(exercise, outcome.message)

    def _stand_ins_of(self, exercise):
        spec = self.spec[exercise]
        return set(spec["uses"]) | set(spec.get("helpers", ()))

    def backward(self, graph_id, grad):
        exercise = self._last_exercise
        reply = self.request({"kind": "backward", "graph": graph_id, "grad": grad.detach()},
                             "backward", exercise, calls={exercise})
        value = self._reply(exercise, reply, ())
        if not (isinstance(value, list) and all(v is None or isinstance(v, torch.Tensor)
                                                for v in value)):
            raise self._broken(exercise, "backward")
        return value

    def __getattr__(self, exercise):
        if exercise not in self.spec:
            raise AttributeError(exercise)
        self._outcome(exercise)

        def guarded(*args):
            return self.call(exercise, *args)
        guarded.__name__ = exercise
        guarded.rng = RemoteRNG(self, exercise)
        return guarded

    def call(self, exercise, *args):
        self._last_exercise = exercise
        inputs = [t for t in seam.tensors_in(args) if t.requires_grad]
        keep = bool(inputs) and torch.is_grad_enabled()
        graph_id = next(self.graph_ids)
        reply = self.request({"kind": "call", "exercise": exercise,
                              "args": [encode(a) for a in args], "keep_graph": keep,
                              "graph": graph_id},
                             _("calling {exercise}").format(exercise=exercise), exercise,
                             calls={exercise}, stand_ins=self._stand_ins_of(exercise))
        result = self._reply(exercise, reply, args)
        if keep and isinstance(reply.get("value"), tuple) and reply["value"][0] == "T" \
                and reply["value"][2] is True:
            return _Bridge.apply(self, graph_id, result, *inputs)
        return result

    def run_recipe(self, name, exercises, *args, **kwargs):
        """grader.portable.recipes's recipe `name` run in a context with the learner's
        `exercises` among the oracle's stand-ins (see checks.training.run_recipe).
        Its result is checked for shape here: a worker cannot make the judge fail."""
        exercise = exercises[0]
        for e in exercises:
            self._outcome(e)
        stand_ins = set(RECIPE_USES[name]) - set(exercises)
        for e in exercises:
            stand_ins |= self._stand_ins_of(e)
        reply = self.request({"kind": "recipe", "recipe": name, "exercises": list(exercises),
                              "args": [encode_data(a, self.sandbox.mapped) for a in args],
                              "kwargs": kwargs},
                             training_with(", ".join(exercises)), exercise, RECIPE_TIMEOUT,
                             calls=set(exercises), stand_ins=stand_ins,
                             recipes={name, "ScaledImages"})
        if reply.get("kind") == "crashed":
            try:
                raise RecipeCrashed(quoted_text(reply["type"], 100), quoted_text(reply["message"]))
            except (KeyError, ValueError):
                raise self._broken(exercise, training_with(exercise)) from None
        result = self._reply(exercise, reply, ())
        if not RECIPE_RESULTS[name](result):
            raise Crashed(exercise, _("{what}: the submission's process sent back something"
                                      " that is not a training run").format(
                                          what=training_with(exercise)))
        return result

    def exercise_tensors(self, exercise, names):
        """As seam.Learner.exercise_tensors, read in the worker; a reply that is not
        such data ends the worker's answer as a crash, never reaching a check."""
        self._outcome(exercise)
        found = self._reply(exercise, self.request(
            {"kind": "tensors", "exercise": exercise, "names": list(names)}, reading(names),
            exercise, calls={exercise}), (), raw=True)
        if not module_tensors(found, names):
            raise Crashed(exercise, _("{what}: the submission's process sent back something"
                                      " that is not what its module holds").format(
                                          what=reading(names)))
        return found

    def _broken(self, exercise, what):
        self.close()
        return Crashed(exercise, _("{what} ended the submission's process: {why}. A function"
                                   " must return its result: no sys.exit or os._exit, and"
                                   " memory is limited to {memory} MB").format(
                                       what=what, memory=self.limits["memory_mb"],
                                       why=_("it sent something that is not a reply ({error})")
                                       .format(error="reply")))

    def _reply(self, exercise, reply, args, raw=False):
        """The value of a reply (as the worker encoded it; raw: as it is, for the
        caller to check), the arguments mirrored; the outcome or the learner's
        error it reports raised; a reply that is none of these ends the context.
        What the learner's code warned joins what this process noted."""
        try:
            for function, text, times in reply.get("warned", [])[:20]:
                if type(times) is int and times > 0:
                    learner_warnings.NOTED[quoted_text(function, 100), quoted_text(text, 300)] += times
            kind = reply["kind"]
            if kind == "outcome":
                cls = OUTCOMES.get(reply["outcome"]) or (
                    TimedOut if reply["outcome"] == "Expired" else None)
                error = cls(exercise, words(reply["message"]))
            elif kind == "raised":
                names = [quoted_text(n, 100) for n in reply["names"]] or list(BY_NAME[exercise].params)
                values = [decode(v) for v in reply["inputs"]] if reply["inputs"] and not args \
                    else list(args)
                where = [quoted_text(line, 300) for line in reply["where"][:10]]
                error = LearnerError(exercise, dict(zip(names, values)),
                                     opaque_error(quoted_text(reply["type"], 100),
                                                   quoted_text(reply["message"])),
                                     where, quoted_text(reply["called"], 100) or None)
            elif kind == "ok":
                mutated, builtin = reply.get("mutated", []), reply.get("builtin")
                if not (isinstance(mutated, list) and all(map(is_state, mutated))
                        and (builtin is None or isinstance(builtin, str))):
                    raise ValueError("not a reply")
                for arg, state in zip(args, mutated):
                    mirror(arg, state)
                if builtin is not None:
                    self.builtins_used.setdefault(exercise, quoted_text(builtin, 100))
                value = reply.get("value")
                return value if raw else None if value is None else decode(value)
            else:
                raise ValueError("not a reply")
        except (KeyError, TypeError, ValueError, IndexError, AttributeError):
            raise self._broken(exercise, _("calling {exercise}").format(exercise=exercise)) \
                from None
        raise error


