"""The seam across a process boundary: the learner's code runs in a worker
process (grader/worker.py), the checks run here and see the same interface as
grader.seam.Learner.

What comes back from the worker is data only: values (tensors, numbers), the
state of arguments the call changed, and gradients on request, through an
autograd bridge so that checks can backpropagate through a remote call. The
worker runs in a bubblewrap sandbox (grader/sandbox.py) unless told not to, and
as another user when told to (the Gradescope autograder runs as root). It
is killed (SIGKILL, whole process group) on a hard timeout and started
again for the next call; a worker that dies costs the call it died in.
"""
import itertools
import json
import os
import pwd
import select
import signal
import struct
import subprocess
import tempfile
import time
from pathlib import Path

import torch

from grader import fashion_mnist, i18n, oracle, sandbox as sandbox_, seam, training, wire
from grader.exercises import BY_NAME, MODULES
from grader.i18n import _
from grader.seam import (BrokenModule, Crashed, Endless, LearnerError, Missing, NotAttempted,
                         RecipeCrashed, TimedOut)

WORKER_SOURCE = Path(__file__).with_name("worker.py").read_text()
SOURCES = {f"{module.__name__.rsplit('.', 1)[1]}_source": Path(module.__file__).read_text()
           for module in (seam, training, oracle, wire)}
OUTCOMES = {"not_attempted": NotAttempted, "missing": Missing, "error": BrokenModule,
            "timeout": TimedOut, "failed": Endless}
# Beyond the worker's own alarm, how long to wait before killing it.
GRACE = 5.0
# How long a whole training run in the worker may take.
RECIPE_TIMEOUT = 300.0
STARTUP = 120.0
MAX_MESSAGE = 1 << 30


class WorkerGone(Exception):
    """The worker exited, was killed, or broke the protocol."""


def training_with(exercises):
    """What a training run is called in messages: "training with your softmax"."""
    return _("training with your {exercises}").format(exercises=exercises)


def reading(names):
    """What reading a module's tensors is called in messages."""
    return _("reading {names}").format(names=", ".join(names))


class Link:
    """One worker process and the pipe to it."""

    def __init__(self, folder, modules, *, spec, call_timeout, import_timeout, memory_mb, threads,
                 cpu_seconds, sandbox, user):
        self.cwd = tempfile.TemporaryDirectory(prefix="d2lkit-worker-")
        command = [sandbox_.interpreter(), "-I", "-S", "-c", WORKER_SOURCE]
        data_file = fashion_mnist.cache_file()
        shared = fashion_mnist.raw_folders_to_share() + ([data_file] if data_file else [])
        self.proc = subprocess.Popen(
            sandbox_.wrap(command, folder, shared) if sandbox
            else command, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=self.cwd.name,
            start_new_session=True, **self._identity(user))
        config = json.dumps({"site": sandbox_.site_dirs(), "folder": str(folder),
                             "modules": list(modules), "spec": spec,
                             "call_timeout": call_timeout, "import_timeout": import_timeout,
                             "memory_mb": memory_mb, "threads": threads,
                             "cpu_seconds": cpu_seconds, "data_file": data_file,
                             "texts": i18n.texts(), **SOURCES}).encode()
        self._send_raw(struct.pack("<Q", len(config)) + config)
        # ("ready", whether it mapped data_file): if not, training data is sent.
        self.data_file = data_file if self.receive(STARTUP)[1] else None
        self.importing = None

    def _identity(self, user):
        """Popen arguments that run the worker as `user` (a name; None: as this
        process), with its own folder as home and no environment of ours."""
        if user is None:
            return {}
        entry = pwd.getpwnam(user)
        os.chown(self.cwd.name, entry.pw_uid, entry.pw_gid)
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": [],
                "env": {"HOME": self.cwd.name, "PATH": os.defpath}}

    def load(self, import_timeout):
        """The worker's load report; raises TimedOut(module) if an import hangs."""
        while True:
            try:
                message = self.receive(import_timeout + GRACE)
            except TimedOut:
                self.kill()
                raise TimedOut(self.importing, "import") from None
            if message[0] == "importing":
                self.importing = message[1]
            else:
                self.notes = message[2] if len(message) > 2 else {}
                return message[1]

    def _send_raw(self, data):
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as e:
            raise WorkerGone(self.ended()) from e

    def send(self, message):
        self._send_raw(wire.encode(message))

    def _read(self, size, deadline):
        data, fd = bytearray(size), self.proc.stdout.fileno()
        view, done = memoryview(data), 0
        while done < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise TimedOut(None, "hard timeout")
            got = os.readv(fd, [view[done:done + (1 << 20)]])
            if not got:
                raise WorkerGone(self.ended())
            done += got
        return data

    def receive(self, timeout):
        deadline = time.monotonic() + timeout
        size, = wire.SIZE.unpack(self._read(wire.SIZE.size, deadline))
        if size > MAX_MESSAGE:
            self.kill()
            raise WorkerGone(_("it sent a message too large to be a reply"))
        try:
            return wire.decode(self._read(size, deadline))
        except Exception as e:  # noqa: BLE001 - anything unreadable is a broken protocol
            self.kill()
            raise WorkerGone(_("it sent something that is not a reply ({error})").format(
                error=type(e).__name__)) from e

    def ended(self):
        self.kill()
        code = self.proc.returncode
        return _("the process running it ended with exit status {status}").format(status=code) \
            if code is not None else _("the process running it stopped answering")

    def kill(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()
        self.cwd.cleanup()


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
    def __init__(self, learner):
        self.learner = learner

    def seed(self, seed):
        self.learner.request(("seed", None, seed), "seeding")

    def state(self):
        return tuple(self.learner.request(("rng_state", None), _("reading the random state"))[1])


def _encode(value):
    if isinstance(value, torch.Tensor):
        grad = value.grad.detach().clone() if value.is_leaf and value.grad is not None else None
        return ("T", value.detach().clone(), value.requires_grad, grad)
    if isinstance(value, (list, tuple)):
        return ("L", [_encode(v) for v in value])
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


def _mirror(arg, state):
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
                _mirror(a, s)
            items.append(_fresh(s) if s[0] == "T" and not s[5] else a)
        arg[:] = items


def _opaque(type_name, text):
    """Stands for a result that cannot cross the boundary; shows as the original would."""
    return type(type_name, (), {"__repr__": lambda self: text})()


class RemoteLearner:
    """The learner's implementation, running in a worker process."""

    def __init__(self, folder, spec, *, call_timeout=10.0, import_timeout=60.0, memory_mb=2048,
                 threads=1, cpu_seconds=3600, sandbox=True, user=None):
        self.folder = Path(folder).resolve()
        self.spec = spec
        self.options = dict(spec=spec, call_timeout=call_timeout, import_timeout=import_timeout,
                            memory_mb=memory_mb, threads=threads, cpu_seconds=cpu_seconds,
                            sandbox=sandbox, user=user)
        self.status, self.notes = {}, {}
        self.builtins_used = {}
        self.link = None
        self.graph_ids = itertools.count()
        self._start()

    def _start(self):
        modules = [m for m in MODULES if self.status.get(m) is None]
        while modules:
            self.link = Link(self.folder, modules, **self.options)
            try:
                report = self.link.load(self.options["import_timeout"])
            except TimedOut as e:
                self.status[e.exercise] = BrokenModule(e.exercise, seam.import_too_long(
                    f"{e.exercise}.py", self.options["import_timeout"]))
                modules.remove(e.exercise)
                continue
            except WorkerGone as e:
                for module in modules:
                    self.status[module] = BrokenModule(module, seam.not_imported(f"{module}.py", e))
                break
            for module, outcome in report.items():
                self.status[module] = None if outcome is None else OUTCOMES[outcome[0]](module, outcome[1])
            self.notes = {**self.link.notes, **self.notes}
            return
        self.link = None

    def close(self):
        if self.link:
            self.link.kill()

    def running(self, exercise=None):
        """The link to a running worker: a new one if the last was replaced."""
        if self.link is None:
            self._start()
        if self.link is None:
            raise BrokenModule(exercise or "", _("the submission's process could not be"
                                                 " started"))
        return self.link

    def request(self, message, what, exercise=None, timeout=None):
        """Send a request; a worker that hangs or dies is replaced for the next one.
        It may take `timeout` seconds (default: the call timeout)."""
        link = self.running(exercise)
        try:
            link.send(message)
            timeout = timeout or self.options["call_timeout"]
            return link.receive(timeout + GRACE)
        except TimedOut:
            self.link.kill()
            self.link = None
            raise TimedOut(exercise, _("{exercise} did not finish within {seconds} s ({what}):"
                                       " is there a loop that never ends?").format(
                                           exercise=exercise, seconds=f"{timeout:g}",
                                           what=what)) from None
        except WorkerGone as e:
            self.link = None
            raise Crashed(exercise, _("{what} ended the submission's process: {why}. A function"
                                      " must return its result: no sys.exit or os._exit, and"
                                      " memory is limited to {memory} MB").format(
                                          what=what, why=e, memory=self.options["memory_mb"])
                          ) from None

    def load_notes(self):
        """As seam.Learner.load_notes, from what the first worker reported."""
        return dict(self.notes)

    def take_builtin_used(self, exercise):
        """As seam.Learner.take_builtin_used, from what the worker reported."""
        return self.builtins_used.pop(exercise, None)

    def backward(self, graph_id, grad):
        reply = self.request(("backward", None, graph_id, grad.detach()), "backward",
                             self._last_exercise)
        return self._reply(self._last_exercise, reply, ())

    def __getattr__(self, exercise):
        if exercise not in self.spec:
            raise AttributeError(exercise)
        outcome = self.status.get(self.spec[exercise]["module"])
        if outcome is not None:
            raise type(outcome)(exercise, outcome.message)

        def guarded(*args):
            return self.call(exercise, *args)
        guarded.__name__ = exercise
        guarded.rng = RemoteRNG(self)
        return guarded

    def call(self, exercise, *args):
        self._last_exercise = exercise
        inputs = [t for t in seam.tensors_in(args) if t.requires_grad]
        keep = bool(inputs) and torch.is_grad_enabled()
        graph_id = next(self.graph_ids)
        reply = self.request(("call", exercise, [_encode(a) for a in args], keep, graph_id),
                             _("calling {exercise}").format(exercise=exercise), exercise)
        value = self._reply(exercise, reply, args)
        result = self._decode(value)
        if keep and value[0] == "T" and value[2]:
            return _Bridge.apply(self, graph_id, result, *inputs)
        return result

    def run_recipe(self, name, exercises, *args, **kwargs):
        """grader.training's recipe `name` run in the worker with the learner's
        `exercises` among the oracle's functions (see checks.training.run_recipe).
        Its result is checked for shape here: a worker cannot make the judge fail."""
        exercise = exercises[0]
        mapped = self.running(exercise).data_file
        reply = self.request(("recipe", None, name, list(exercises),
                              [_encode_data(a, mapped) for a in args], kwargs),
                             training_with(", ".join(exercises)), exercise, RECIPE_TIMEOUT)
        if reply[0] == "crashed":
            raise RecipeCrashed(reply[1], reply[2])
        result = self._decode(self._reply(exercise, reply, ()))
        if not RECIPE_RESULTS[name](result):
            raise Crashed(exercise, _("{what}: the submission's process sent back something"
                                      " that is not a training run").format(
                                          what=training_with(exercise)))
        return result

    def exercise_tensors(self, exercise, names):
        """As seam.Learner.exercise_tensors, read in the worker; a reply that is not
        such data ends the worker's answer as a crash, never reaching a check."""
        outcome = self.status.get(self.spec[exercise]["module"])
        if outcome is not None:
            raise type(outcome)(exercise, outcome.message)
        found = self._reply(exercise, self.request(("tensors", exercise, list(names)),
                                                   reading(names), exercise), ())
        if not _module_tensors(found, names):
            raise Crashed(exercise, _("{what}: the submission's process sent back something"
                                      " that is not what its module holds").format(
                                          what=reading(names)))
        return found

    def _reply(self, exercise, reply, args):
        kind = reply[0]
        if kind == "outcome":
            raise OUTCOMES[reply[1]](exercise, reply[2])
        if kind == "raised":
            names = reply[4] or list(BY_NAME[exercise].params)
            values = [self._decode(v) for v in reply[5]] if len(reply) > 5 and not args else args
            called = reply[6] if len(reply) > 6 and isinstance(reply[6], str) else None
            raise LearnerError(exercise, dict(zip(names, values)),
                               _opaque_error(reply[1], reply[2]), reply[3], called)
        if kind == "ok" and len(reply) == 4:
            for arg, state in zip(args, reply[2]):
                _mirror(arg, state)
            if isinstance(reply[3], str):
                self.builtins_used.setdefault(exercise, reply[3])
        return reply[1]

    def _decode(self, tree):
        kind = tree[0]
        if kind == "T":
            return tree[1]
        if kind == "V":
            return tree[1]
        if kind in ("L", "U"):
            items = [self._decode(t) for t in tree[1]]
            return items if kind == "L" else tuple(items)
        return _opaque(tree[1], tree[2])


def _encode_data(value, mapped):
    """Training data for the worker: ScaledImages as the field they come from
    in the cache file the worker has `mapped` (None: none), else as their uint8 rows."""
    if isinstance(value, training.ScaledImages):
        if value.source is not None and value.source[0] == mapped:
            return ("F", value.source[1])
        return ("S", value.rows)
    if isinstance(value, tuple):
        return ("L", [_encode_data(v, mapped) for v in value])
    return _encode(value)


def _is_tensor(value, shape=None):
    return isinstance(value, torch.Tensor) and value.dtype == torch.float32 and (
        shape is None or value.shape == shape)


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _linear_run(result):
    return (isinstance(result, tuple) and len(result) == 3 and _is_tensor(result[0], (2, 1))
            and _is_tensor(result[1], (1,)) and isinstance(result[2], list)
            and all(_is_number(x) for x in result[2]))


def _softmax_run(result):
    return (isinstance(result, list) and len(result) > 0 and all(
        isinstance(e, tuple) and len(e) == 4 and _is_tensor(e[0]) and e[0].dim() == 2
        and _is_tensor(e[1], e[0].shape[1:]) and _is_number(e[2]) and _is_number(e[3])
        for e in result))


def _is_text(value):
    return isinstance(value, str)


def _is_number_or_text(value):
    return _is_number(value) or _is_text(value)


def _is_list_of(value, test):
    return isinstance(value, list) and all(test(v) for v in value)


def _numbers(value):
    """What training.numbers() gives."""
    return _is_number_or_text(value) or _is_list_of(value, _is_number_or_text)


def _texts(value):
    """What training.texts() gives."""
    return _is_text(value) or _is_list_of(value, _is_text)


def _accumulator_run(result):
    return _is_list_of(result, lambda row: _is_list_of(row, _is_number_or_text))


def _epoch_run(result):
    return (isinstance(result, tuple) and len(result) == 5 and _numbers(result[0])
            and _is_tensor(result[1]) and result[1].dim() == 2
            and _is_tensor(result[2], result[1].shape[1:])
            and _is_list_of(result[3], lambda mode: isinstance(mode, bool))
            and _is_list_of(result[4], lambda call: isinstance(call, tuple) and len(call) == 2
                            and _is_number_or_text(call[0])
                            and (call[1] is None or _is_tensor(call[1], result[1].shape))))


def _model(result):
    return (isinstance(result, tuple) and len(result) == 3
            and (result[0] is None or _is_list_of(result[0], _is_text))
            and _is_tensor(result[1]) and result[1].dim() == 1
            and _is_tensor(result[2]) and result[2].dim() == 1)


def _module_tensors(found, names):
    """What seam.module_tensors gives for `names`."""
    def described(value):
        return isinstance(value, str) or (
            isinstance(value, dict) and set(value) == {"value", "requires_grad", "grad"}
            and isinstance(value["value"], torch.Tensor)
            and isinstance(value["requires_grad"], bool)
            and (value["grad"] is None or isinstance(value["grad"], torch.Tensor)))
    return isinstance(found, dict) and set(found) == set(names) and all(
        described(v) for v in found.values())


def _normal_result(result):
    return (isinstance(result, tuple) and len(result) == 5 and _is_text(result[0])
            and _is_text(result[1]) and _is_list_of(result[2], _is_number)
            and (result[3] is None or (isinstance(result[3], torch.Tensor)
                                       and result[3].dtype == torch.float64))
            and isinstance(result[4], bool))


def _load_array_run(result):
    def batch(value):
        return _is_text(value) or (_is_list_of(value, _is_tensor) and len(value) == 2)
    return (isinstance(result, tuple) and len(result) == 3 and isinstance(result[0], bool)
            and _is_text(result[1])
            and _is_list_of(result[2], lambda one_pass: _is_list_of(one_pass, batch)))
def _plain(value, depth=0):
    """Numbers, text, booleans, None, float32 tensors, and lists of them: what
    the drawing and loading recipes return."""
    if value is None or isinstance(value, (bool, int, float, str)) or _is_tensor(value):
        return True
    return depth < 8 and isinstance(value, list) and all(_plain(v, depth + 1) for v in value)


# What each recipe of grader.training returns, as a test of a worker's reply.
RECIPE_RESULTS = {"drive_timer": lambda result: _is_list_of(result, _numbers),
                  "evaluate_normal": _normal_result,
                  "iterate_load_array": _load_array_run,
                  "train_linear_regression": _linear_run,
                  "train_softmax_regression": _softmax_run,
                  "drive_accumulator": _accumulator_run,
                  "evaluate_fixed_net": _is_number_or_text,
                  "train_one_epoch": _epoch_run,
                  "train_epochs": lambda result: _is_number_or_text(result)
                  or _is_list_of(result, _numbers),
                  "predict_fixed_net": lambda result: _is_text(result)
                  or (_is_list_of(result, _texts) and len(result) == 2),
                  "describe_model": _model,
                  "train_linreg_concise": _linear_run,
                  "train_softmax_concise": _softmax_run,
                  "draw_images": _plain, "drive_animator": _plain, "load_fashion": _plain}


def _opaque_error(type_name, message):
    return type(str(type_name), (Exception,), {})(str(message))
