"""The sandbox's side of the trust boundary: a zygote and, one at a time, the
processes that run a submission's code.

The judge (grader.classroom.remote) starts this as `python -I -S -c <this source> FD` inside
the sandbox, FD the zygote's end of a control socket. The zygote imports torch,
torchvision and pyplot once (a process that runs the learner's code needs them
all), then waits. For each context of a grading (the learner's exercises one set
of requests calls) the judge sends, over the control socket, the end of a new
socket for that context; the zygote forks a child for it, which closes the
control socket before anything else runs, imports the learner's modules from the
files the judge sends it, and answers requests until the judge hangs up. When
the judge says `stop`, the zygote kills the child and everything it started, and
empties the scratch folders, so that nothing a context ran, wrote or started is
there when the next begins. The zygote never runs a submission's code and cannot
be read by it (it is not dumpable).

A context never holds the grader's truth for its own exercises: the judge sends
it the source of the oracle's functions that its requests use as stand-ins (the
exercises its exercises call, the partners of a training recipe) and of the
recipes themselves, never those of an exercise in the context, and a later
context starts from the zygote, not from an earlier one.

This process decides nothing: it returns values, gradients, the state of
arguments a call changed, recipes' results, and facts about what ended a call
(the kit's own message templates and the values they quote, see seam.Said),
which the judge checks and words. Messages both ways are grader/portable/wire.py's
(data only). Only the standard library and torch here.
"""
import os
import resource
import shutil
import signal
import socket
import struct
import sys
import types

SIZE = struct.Struct("<Q")


def recv_exactly(sock, size):
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(min(size - len(data), 1 << 20))
        if not chunk:
            raise EOFError
        data += chunk
    return bytes(data)


def receive_control(sock):
    """A control message (JSON) and the descriptors that came with it."""
    import json
    head, fds, _flags, _addr = socket.recv_fds(sock, SIZE.size, 4)
    if len(head) < SIZE.size:
        head += recv_exactly(sock, SIZE.size - len(head))
    return json.loads(recv_exactly(sock, SIZE.unpack(head)[0])), fds


def send_control(sock, message):
    import json
    data = json.dumps(message).encode()
    sock.sendall(SIZE.pack(len(data)) + data)


class Serving:
    """One context's process: the learner's code behind seam.Learner, answering
    the judge's requests over `channel` (a socket file)."""

    def __init__(self, seam, wire, warnings, channel, data):
        self.seam, self.wire, self.channel, self.data = seam, wire, channel, data
        self.warnings = warnings
        self.graphs, self.recipes = {}, {}
        self.stand_ins = {}
        self.learner = None

    # --- values -------------------------------------------------------------
    def encode(self, value, depth=0):
        """Results as plain trees: tensors as ("T", value, has_grad_fn)."""
        import torch
        if isinstance(value, torch.Tensor) and self.wire.sendable(value):
            plain = value.detach().as_subclass(torch.Tensor).clone()
            return ("T", plain, value.grad_fn is not None)
        if value is None or isinstance(value, (bool, int, float, str)):
            return ("V", value if type(value) in (bool, int, float, str, type(None))
                    else type(value).__mro__[1](value))
        if type(value).__module__ == "numpy":
            return self.encode(torch.as_tensor(value) if hasattr(value, "shape") and value.shape
                               else value.item(), depth)
        # Deep enough for a figure described as lists (grader.portable.recipes.describe_axes).
        if isinstance(value, (list, tuple)) and depth < 8:
            return ("L" if isinstance(value, list) else "U",
                    [self.encode(v, depth + 1) for v in value])
        return ("O", type(value).__name__, _text(repr(value), 200))

    def state(self, original, now):
        """An argument after the call, for the judge to mirror mutations."""
        import torch
        if isinstance(now, torch.Tensor):
            grad = None if now.grad is None else now.grad.detach().clone()
            return ("T", now.detach().clone(), now.requires_grad, grad, now.is_leaf,
                    now is original)
        if isinstance(now, list):
            return ("L", [self.state(o, n) for o, n in zip(original, now)]
                    + [self.state(None, n) for n in now[len(original):]], len(now))
        return ("V", None)

    def said(self, text):
        """A message as its parts (see seam.Said): [[template, values]], values
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
        self.learner = self.seam.Learner(
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
            self.seam.BOOK_HELPERS.update(
                {n: self.stand_ins[n] for s in self.learner.spec.values()
                 for n in s.get("helpers", ()) if n in self.stand_ins})
        return {"kind": "ok"}

    def call(self, request):
        import torch
        args = [decode(a) for a in request["args"]]
        originals = [list(a) if isinstance(a, list) else a for a in args]
        exercise = request["exercise"]
        fn = getattr(self.learner, exercise)
        inputs = [t for t in self.seam.tensors_in(args) if t.requires_grad]
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
        import torch
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
        except (self.seam.Outcome, self.seam.LearnerError):
            raise
        except Exception as e:  # the loop could not use what a learner function returned
            return {"kind": "crashed", "type": _text(type(e).__name__, 100),
                    "message": _text(str(e), 1 << 16)}
        return {"kind": "ok", "value": self.encode(result)}

    def answer(self, request):
        kind, seam = request.get("kind"), self.seam
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
            seam.LocalRNG.seed(request["seed"])
            return {"kind": "ok"}
        if kind == "rng_state":
            return {"kind": "ok", "value": list(seam.LocalRNG.state())}
        if kind == "ship":
            return self.ship(request)
        return {"kind": "refused", "request": _text(str(kind), 100)}

    def reply_to(self, request, kind):
        """The reply to `request`, with what the learner's code warned meanwhile."""
        reply = self._reply_to(request, kind)
        reply["warned"] = self.warnings.taken_warnings()
        return reply

    def _reply_to(self, request, kind):
        seam = self.seam
        try:
            return self.answer(request)
        except seam.Outcome as e:
            return {"kind": "outcome", "outcome": type(e).__name__,
                    "message": self.said(e.message)}
        except seam.LearnerError as e:
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
        self.wire.write(self.channel, message)

    def serve(self, setup):
        self.send(self.load(setup))
        while True:
            try:
                request = self.wire.read(self.channel)
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


def map_data(path):
    """The judge's Fashion-MNIST cache file (grader.grading.data) mapped
    copy-on-write, its pages shared with the judge's; None without one, or if
    it cannot be read here."""
    import torch
    try:
        return torch.load(path, weights_only=True, mmap=True) if path else None
    except Exception:
        return None


def source_module(name, source):
    """A module made from grader source sent by the judge."""
    module = types.ModuleType(name)
    sys.modules[name] = module  # dataclasses look their module up
    exec(compile(source, f"{name}.py", "exec"), module.__dict__)
    return module


PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 1, 4, 36


def prctl(option, value):
    import ctypes
    ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)


def limit_child(limits):
    """Caps of a context's process: CPU seconds, memory it may add to what it holds
    now, the size of a file it writes, its open files, and (where the judge asks)
    the processes and threads of its user. Freed buffers of 1 MB and more go back
    to the system."""
    import ctypes
    ctypes.CDLL(None).mallopt(-3, 1 << 20)  # M_MMAP_THRESHOLD
    caps = {resource.RLIMIT_CPU: limits["cpu_seconds"],
            resource.RLIMIT_FSIZE: limits["file_mb"] << 20,
            resource.RLIMIT_NOFILE: limits["open_files"]}
    if limits["tasks"]:
        caps[resource.RLIMIT_NPROC] = limits["tasks"]
    if limits["memory_mb"]:
        with open("/proc/self/statm") as f:
            in_use = int(f.read().split()[0]) * resource.getpagesize()
        caps[resource.RLIMIT_AS] = in_use + (limits["memory_mb"] << 20)
    for which, cap in caps.items():
        soft, hard = resource.getrlimit(which)
        cap = cap if hard == resource.RLIM_INFINITY else min(cap, hard)
        resource.setrlimit(which, (cap, cap))


def child(control, fds, message, runtime, data):
    """A context's process: what runs before the learner's code, then serving."""
    control.close()
    for number in range(1, signal.NSIG):
        try:
            signal.signal(number, signal.SIG_DFL)
        except (OSError, ValueError):
            pass
    sock = socket.socket(fileno=fds[0])
    channel = sock.makefile("rwb")
    # Whatever the submission prints goes nowhere, and cannot mix with the replies.
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.chdir(message["scratch"])
    limit_child(message["limits"])
    try:
        setup = runtime[1].read(channel)
        Serving(*runtime, channel, data).serve({**setup, "scratch": message["scratch"]})
    finally:
        os._exit(0)


def reap_all_but(keep):
    """Kill every descendant of this process (a subreaper: orphans come to it)
    and reap them, until none is left; `keep`: pids spared."""
    me = os.getpid()
    while True:
        children = [pid for pid in _children(me) if pid not in keep]
        if not children:
            break
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        _reap()


def _children(parent):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    stat = f.read()
            except OSError:
                continue
            fields = stat[stat.rindex(b")") + 2:].split()
            if int(fields[1]) == parent:
                found.append(int(entry))
    return found


def _reap():
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            import time
            time.sleep(0.005)
            return


def wipe(folders):
    """Empty `folders` (the scratch a context may write), whatever it made unreadable."""
    def writable_again(function, path, _info):
        try:
            os.chmod(os.path.dirname(path), 0o700)
            os.chmod(path, 0o700)
            function(path)
        except OSError:
            pass
    for folder in folders:
        for entry in os.listdir(folder) if os.path.isdir(folder) else ():
            path = os.path.join(folder, entry)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, onerror=writable_again)
            else:
                try:
                    os.unlink(path)
                except OSError:
                    pass


def main():
    control = socket.socket(fileno=int(sys.argv[1]))
    config, _ = receive_control(control)
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    sys.path[:0] = config["site"]
    # Figures are drawn, never shown, here: pyplot picks no window system.
    os.environ["MPLBACKEND"] = "Agg"
    os.environ["HOME"] = config["scratch"][0]
    source_module("d2lkit_process", config["process_source"]).use_threads(config["threads"])
    # The book's training.py reads with torchvision and draws with pyplot: imported
    # once here, so that no context pays for them and the learner's import time
    # limit counts only the learner's own code. The code runs on the CPU: triton,
    # the GPU compiler torch._dynamo loads if it is installed, is not importable,
    # as with the CPU build of torch.
    sys.modules["triton"] = None
    import importlib
    for name in ("torchvision", "matplotlib.pyplot"):
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    data = map_data(config["data_file"])
    warnings = source_module("d2lkit_warned", config["warned_source"])
    runtime = (source_module("d2lkit_seam", config["seam_source"]),
               source_module("d2lkit_wire", config["wire_source"]), warnings)
    # A context's process cannot read this one's memory or descriptors, and
    # the processes a context leaves behind come to this one to be ended.
    prctl(PR_SET_DUMPABLE, 0)
    prctl(PR_SET_CHILD_SUBREAPER, 1)
    send_control(control, {"kind": "ready", "mapped": data is not None})
    current = None
    while True:
        try:
            message, fds = receive_control(control)
        except EOFError:
            return
        if message["kind"] == "start" and current is None and len(fds) == 1:
            current = os.fork()
            if current == 0:
                child(control, fds, {**message, "scratch": config["scratch"][0]}, runtime, data)
            os.close(fds[0])
            send_control(control, {"kind": "started"})
        else:
            for fd in fds:
                os.close(fd)
            reap_all_but(())
            wipe(config["scratch"])
            current = None
            send_control(control, {"kind": "stopped"})


main()
