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
import ast
import importlib.util
import itertools
import json
import os
import pwd
import select
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import torch

from grader.grading import data as fashion_mnist
from grader.portable import warned as learner_warnings
from grader.portable import oracle
from grader.classroom import sandbox as sandbox_
from grader.portable import seam
from grader.portable import recipes
from grader.portable import wire
from grader.exercises import BY_NAME, MODULES
from grader.classroom.outputs import capped
from grader.i18n import _
from grader.portable.loading import import_too_long, not_imported
from grader.portable.outcomes import (BookAnswer, BrokenModule, Crashed, Endless, LearnerError,
                                      Missing, NotAttempted, RecipeCrashed, TimedOut)
from grader.classroom.slicing import Slice

WORKER_SOURCE = Path(wire.__file__).with_name("worker.py").read_text()
# Modules a submission's process must never be sent whole: a context is sent
# only slices of them (grader.classroom.slicing).
WITHHELD = ("grader.portable.oracle", "grader.portable.recipes")


def _shipped(root):
    """{dotted name: source} of the module `root` and of the grader's modules it
    imports, directly or not: what the worker imports (its Shipped). ImportError
    if that would send a WITHHELD module."""
    found, todo = {}, [root]
    while todo:
        name = todo.pop()
        if name in found:
            continue
        if name.startswith(tuple(WITHHELD)):
            raise ImportError(f"{root} imports {name}, which the worker must not be sent")
        found[name] = Path(importlib.util.find_spec(name).origin).read_text()
        for node in ast.walk(ast.parse(found[name])):
            if isinstance(node, ast.Import):
                todo += [a.name for a in node.names if a.name.startswith("grader.")]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("grader."):
                # from grader.portable import wire: the module, or a module in it
                todo += [node.module] + [f"{node.module}.{a.name}" for a in node.names
                                         if _is_module(f"{node.module}.{a.name}")]
    return found


def _is_module(name):
    try:
        return importlib.util.find_spec(name) is not None
    except ImportError:  # a name in a module that is no package
        return False


# The portable modules a submission's process runs, sent to the worker's zygote.
RUNTIME = {**_shipped("grader.portable.serving"), **_shipped("grader.portable.process")}
ORACLE_SLICE, RECIPE_SLICE = Slice(oracle.__file__), Slice(Path(recipes.__file__).parent)
# The outcomes a submission's process may report, by their class's name (a
# subclass of one, a time limit's, as the class it is).
OUTCOMES = {cls.__name__: cls for cls in (NotAttempted, Missing, BrokenModule, TimedOut, Endless,
                                          BookAnswer)}
STATUS_OUTCOMES = {"not_attempted": NotAttempted, "missing": Missing, "error": BrokenModule,
                   "timeout": TimedOut}
# Beyond the worker's own alarm, how long to wait before killing it.
GRACE = 5.0
# How long a whole training run in the worker may take.
RECIPE_TIMEOUT = 300.0
STARTUP = 120.0
# The largest reply the judge reads (the largest real one, a training run's
# weights per epoch, is well under 1 MB).
MAX_REPLY = 16 << 20
# Processes (and threads) a sandbox may run at once: a context's, its
# DataLoader's four workers and their threads fit well under it.
MAX_TASKS = 256
SIZE = struct.Struct("<Q")


def _templates():
    """The texts of the _() and N_() calls of the modules the worker runs
    (RUNTIME): the only templates of a message a submission's process may send."""
    return {node.args[0].value for source in RUNTIME.values()
            for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in ("_", "N_") and node.args
            and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)}


TEMPLATES = _templates()


class WorkerGone(Exception):
    """The context's process exited, was killed, or broke the protocol; str() says
    how, as the learner reads it."""


class SandboxBroken(Exception):
    """The sandbox could not be started or stopped: the grader's fault, not the
    submission's; str() says why (bwrap's own words included)."""


def training_with(exercises):
    """What a training run is called in messages: "training with your softmax"."""
    return _("training with your {exercises}").format(exercises=exercises)


def reading(names):
    """What reading a module's tensors is called in messages."""
    return _("reading {names}").format(names=", ".join(names))


def _words(parts, depth=0):
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
                values[key] = _words(value["parts"], depth + 1)
            elif value is None or type(value) in (bool, int, float, str):
                values[key] = value[:4000] if isinstance(value, str) else value
            else:
                raise ValueError("not a value")
        try:
            lines.append(_(part[0]).format(**values))
        except (KeyError, IndexError, ValueError, AttributeError) as e:
            raise ValueError("values that do not fit") from e
    return "\n".join(lines)


def _text(value, limit=1000):
    """A text a reply quotes, at most `limit` characters of it kept (as
    outputs.capped says it); ValueError if it is none."""
    if not isinstance(value, str):
        raise ValueError("not a text")
    return capped(value, limit)


class Channel:
    """The judge's end of one context's socket: wire messages, read within a
    deadline and at most MAX_REPLY long."""

    def __init__(self, sock):
        self.sock = sock

    def send(self, message):
        try:
            self.sock.sendall(wire.encode(message))
        except OSError as e:
            raise WorkerGone(_("the process running it stopped answering")) from e

    def _read(self, size, deadline):
        data = bytearray(size)
        view, done = memoryview(data), 0
        while done < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.sock], [], [], remaining)[0]:
                raise TimedOut(None, "hard timeout")
            try:
                got = self.sock.recv_into(view[done:done + (1 << 20)])
            except OSError:
                got = 0
            if not got:
                raise WorkerGone(_("the process running it ended"))
            done += got
        return data

    def receive(self, timeout):
        deadline = time.monotonic() + timeout
        size, = SIZE.unpack(self._read(SIZE.size, deadline))
        if size > MAX_REPLY:
            raise WorkerGone(_("it sent a message too large to be a reply"))
        body = self._read(size, deadline)
        try:
            message = wire.decode(body)
        except Exception as e:  # noqa: BLE001 - anything unreadable is a broken protocol
            raise WorkerGone(_("it sent something that is not a reply ({error})").format(
                error=type(e).__name__)) from e
        if not isinstance(message, dict) or not isinstance(message.get("kind"), str):
            raise WorkerGone(_("it sent something that is not a reply ({error})").format(
                error=type(message).__name__))
        return message

    def close(self):
        self.sock.close()


class Sandbox:
    """A judge's sandbox: bwrap running the zygote of grader/portable/worker.py (or the
    zygote alone, sandbox=False), started on first use and again after it dies.
    `user`: run it as that user (a name; None: as this process)."""

    def __init__(self, *, threads=1, sandbox=True, user=None):
        self.threads, self.sandboxed, self.user = threads, sandbox, user
        self.proc = self.control = None
        self.scratch = None
        self.mapped = None
        self.why_killed = None

    @property
    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def launch(self):
        self.kill()
        control, theirs = socket.socketpair()
        self.scratch = None if self.sandboxed else tempfile.mkdtemp(prefix="d2lkit-worker-")
        command = [sandbox_.interpreter(), "-I", "-S", "-c", WORKER_SOURCE, str(theirs.fileno())]
        data_file = fashion_mnist.cache_file()
        seccomp = sandbox_.seccomp_file() if self.sandboxed else None
        shared = fashion_mnist.raw_folders_to_share() + ([data_file] if data_file else [])
        keep = [theirs.fileno()] + ([] if seccomp is None else [seccomp])
        try:
            self.proc = subprocess.Popen(
                sandbox_.wrap(command, shared, seccomp) if self.sandboxed else command,
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                pass_fds=keep, start_new_session=True, **self._identity())
        finally:
            theirs.close()
            if seccomp is not None:
                os.close(seccomp)
        self.control, self.why_killed, self.stderr = control, None, bytearray()
        threading.Thread(target=self._drain, args=(self.proc,), daemon=True).start()
        threading.Thread(target=self._watch, args=(self.proc,), daemon=True).start()
        scratch = ["/tmp", "/dev/shm"] if self.sandboxed else [self.scratch]
        self._send({"site": sandbox_.site_dirs(), "threads": self.threads,
                    "data_file": data_file, "scratch": scratch, "modules": RUNTIME})
        ready = self._receive(STARTUP)
        self.mapped = data_file if ready.get("mapped") else None

    def _identity(self):
        """Popen arguments that run the zygote as `user`, with a home of its own and
        no environment of ours."""
        if self.user is None:
            return {}
        entry = pwd.getpwnam(self.user)
        if self.scratch:
            os.chown(self.scratch, entry.pw_uid, entry.pw_gid)
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": [],
                "env": {"HOME": self.scratch or "/tmp", "PATH": os.defpath}}

    def _drain(self, proc):
        """Keep the last 4 KB of what the sandbox writes to stderr (bwrap's own errors)."""
        for line in proc.stderr:
            self.stderr = (self.stderr + line)[-4096:]

    def _watch(self, proc):
        """Kill the sandbox if it runs more than MAX_TASKS processes and threads at
        once (RLIMIT_NPROC holds that for a grading user other than root, whom it
        does not bind)."""
        while proc.poll() is None:
            if _tasks_under(proc.pid) > MAX_TASKS:
                self.why_killed = _("it started more than {count} processes and threads at"
                                    " once").format(count=MAX_TASKS)
                _kill_group(proc)
                return
            time.sleep(0.1)

    def _send(self, message, fds=()):
        data = json.dumps(message).encode()
        data = SIZE.pack(len(data)) + data
        try:
            sent = socket.send_fds(self.control, [data], list(fds)) if fds else 0
            self.control.sendall(data[sent:])
        except OSError as e:
            raise SandboxBroken(self.ended()) from e

    def _receive(self, timeout):
        deadline = time.monotonic() + timeout
        data = b""
        while len(data) < SIZE.size or len(data) < SIZE.size + SIZE.unpack(data[:SIZE.size])[0]:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.control], [], [], remaining)[0]:
                raise SandboxBroken(_("the sandbox did not answer within {seconds} s").format(
                    seconds=f"{timeout:g}"))
            try:
                chunk = self.control.recv(1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                raise SandboxBroken(self.ended())
            data += chunk
        return json.loads(data[SIZE.size:])

    def ended(self):
        """Why the sandbox is gone, bwrap's last words included."""
        self.kill()
        said = bytes(self.stderr).decode(errors="replace").strip().splitlines()[-3:]
        return _("the sandbox ended with exit status {status}{said}").format(
            status=self.proc.returncode if self.proc else None,
            said=(": " + " ".join(said)) if said else "")

    def open(self, limits):
        """A Channel to a new context's process; the sandbox is launched again if
        it is gone (a context's code may have ended it)."""
        for attempt in range(2):
            if not self.alive or attempt:
                self.launch()
            ours, theirs = socket.socketpair()
            try:
                self._send({"kind": "start", "limits": limits}, [theirs.fileno()])
                if self._receive(GRACE).get("kind") == "started":
                    return Channel(ours)
            except SandboxBroken:
                pass
            finally:
                theirs.close()
            ours.close()
        raise SandboxBroken(_("the sandbox did not start a process: {why}").format(
            why=self.ended()))

    def close(self, channel):
        """End `channel`'s context: its process, what it started and what it wrote."""
        channel.close()
        if not self.alive:
            return
        try:
            self._send({"kind": "stop"})
            if self._receive(GRACE * 2).get("kind") != "stopped":
                raise SandboxBroken("stop")
        except (SandboxBroken, ValueError):
            self.kill()

    def kill(self):
        if self.proc is not None:
            _kill_group(self.proc)
            self.proc.wait()
        if self.control is not None:
            self.control.close()
            self.control = None
        if self.scratch:
            import shutil
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None


def _per_namespace_counts():
    """Whether this kernel counts a user's processes per user namespace (Linux
    5.14 and later), so that RLIMIT_NPROC in the sandbox counts only its own."""
    import platform
    try:
        major, minor = (int(part) for part in platform.release().split(".")[:2])
    except ValueError:
        return False
    return (major, minor) >= (5, 14)


def _kill_group(proc):
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            proc.kill()


def _tasks_under(root):
    """The tasks (threads of every process) of `root`'s process tree."""
    parents, tasks = {}, {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    stat = f.read()
            except OSError:
                continue
            fields = stat[stat.rindex(b")") + 2:].split()
            parents[int(entry)], tasks[int(entry)] = int(fields[1]), int(fields[17])
    count, todo = 0, [root]
    children = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    while todo:
        pid = todo.pop()
        count += tasks.get(pid, 0)
        todo += children.get(pid, [])
    return count


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


def _is_state(state):
    """What the worker's state() gives for an argument after a call."""
    if not isinstance(state, tuple) or not state:
        return False
    if state[0] == "T":
        return (len(state) == 6 and isinstance(state[1], torch.Tensor)
                and isinstance(state[2], bool) and (state[3] is None or (
                    isinstance(state[3], torch.Tensor) and state[3].shape == state[1].shape))
                and isinstance(state[4], bool) and isinstance(state[5], bool))
    if state[0] == "L":
        return (len(state) == 3 and isinstance(state[1], list) and all(map(_is_state, state[1]))
                and isinstance(state[2], int))
    return state == ("V", None)


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
    return type(str(type_name)[:100], (), {"__repr__": lambda self: text})()


def _decode(tree, depth=0):
    """A value of the worker's encode(); ValueError if it is none."""
    if not isinstance(tree, tuple) or not tree or depth > 12:
        raise ValueError("not a value")
    kind = tree[0]
    if kind == "T" and len(tree) == 3 and isinstance(tree[1], torch.Tensor):
        return tree[1]
    if kind == "V" and len(tree) == 2:
        return tree[1]
    if kind in ("L", "U") and len(tree) == 2 and isinstance(tree[1], list):
        items = [_decode(t, depth + 1) for t in tree[1]]
        return items if kind == "L" else tuple(items)
    if kind == "O" and len(tree) == 3:
        return _opaque(_text(tree[1], 100), _text(tree[2], 300))
    raise ValueError("not a value")


def _opaque_error(type_name, message):
    return type(str(type_name), (Exception,), {})(str(message))


class RemoteLearner:
    """The learner's implementation, run in the processes of `sandbox` (a Sandbox)
    from `files` ({file name: bytes}: its modules and notebooks)."""

    def __init__(self, files, spec, sandbox, *, call_timeout=10.0, import_timeout=60.0,
                 memory_mb=2048, cpu_seconds=3600):
        self.files, self.spec, self.sandbox = files, spec, sandbox
        self.options = dict(call_timeout=call_timeout, import_timeout=import_timeout)
        self.limits = {"memory_mb": memory_mb, "cpu_seconds": int(cpu_seconds),
                       "file_mb": sandbox_.SCRATCH_MB, "open_files": 1024,
                       "tasks": MAX_TASKS if sandbox.sandboxed and _per_namespace_counts() else
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
                            STATUS_OUTCOMES[outcome[0]](module, _words(outcome[1]))
                self.notes = {_text(name, 200): _words(note)
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
                              "args": [_encode(a) for a in args], "keep_graph": keep,
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
                              "args": [_encode_data(a, self.sandbox.mapped) for a in args],
                              "kwargs": kwargs},
                             training_with(", ".join(exercises)), exercise, RECIPE_TIMEOUT,
                             calls=set(exercises), stand_ins=stand_ins,
                             recipes={name, "ScaledImages"})
        if reply.get("kind") == "crashed":
            try:
                raise RecipeCrashed(_text(reply["type"], 100), _text(reply["message"]))
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
        if not _module_tensors(found, names):
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
                    learner_warnings.NOTED[_text(function, 100), _text(text, 300)] += times
            kind = reply["kind"]
            if kind == "outcome":
                cls = OUTCOMES.get(reply["outcome"]) or (
                    TimedOut if reply["outcome"] == "Expired" else None)
                error = cls(exercise, _words(reply["message"]))
            elif kind == "raised":
                names = [_text(n, 100) for n in reply["names"]] or list(BY_NAME[exercise].params)
                values = [_decode(v) for v in reply["inputs"]] if reply["inputs"] and not args \
                    else list(args)
                where = [_text(line, 300) for line in reply["where"][:10]]
                error = LearnerError(exercise, dict(zip(names, values)),
                                     _opaque_error(_text(reply["type"], 100),
                                                   _text(reply["message"])),
                                     where, _text(reply["called"], 100) or None)
            elif kind == "ok":
                mutated, builtin = reply.get("mutated", []), reply.get("builtin")
                if not (isinstance(mutated, list) and all(map(_is_state, mutated))
                        and (builtin is None or isinstance(builtin, str))):
                    raise ValueError("not a reply")
                for arg, state in zip(args, mutated):
                    _mirror(arg, state)
                if builtin is not None:
                    self.builtins_used.setdefault(exercise, _text(builtin, 100))
                value = reply.get("value")
                return value if raw else None if value is None else _decode(value)
            else:
                raise ValueError("not a reply")
        except (KeyError, TypeError, ValueError, IndexError, AttributeError):
            raise self._broken(exercise, _("calling {exercise}").format(exercise=exercise)) \
                from None
        raise error


# The most a learner file may hold for the grader to send it to the sandbox.
MAX_FILE = 16 << 20


def read_submission(folder):
    """{file name: bytes} of the learner's modules and notebooks at the top of
    `folder`: regular files only, never through a symbolic link, each at most MAX_FILE."""
    files = {}
    for entry in sorted(os.scandir(folder), key=lambda e: e.name) if folder.is_dir() else ():
        wanted = entry.name.endswith(".ipynb") or entry.name in {f"{m}.py" for m in MODULES}
        if wanted and entry.is_file(follow_symlinks=False):
            with open(entry.path, "rb", opener=_no_follow) as f:
                data = f.read(MAX_FILE + 1)
            if len(data) <= MAX_FILE:
                files[entry.name] = data
    return files


def _no_follow(path, flags):
    return os.open(path, flags | os.O_NOFOLLOW)


def _encode_data(value, mapped):
    """Training data for the worker: ScaledImages as the field they come from
    in the cache file the worker has `mapped` (None: none), else as their uint8 rows."""
    if isinstance(value, recipes.features.ScaledImages):
        if value.source is not None and value.source[0] == mapped:
            return ("F", value.source[1])
        return ("S", value.rows)
    if isinstance(value, tuple):
        return ("L", [_encode_data(v, mapped) for v in value])
    return _encode(value)


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
