"""The submission's process: loads the learner's modules and answers calls.

The judge (grader.remote) starts it as `python -I -S -c <this source>` and sends
its configuration first, including the source of grader/seam.py: with no
site processing and only site-packages on sys.path, neither the grader nor the
reference solutions can be imported here. This process decides nothing; it
returns values, gradients, the state of mutated arguments and the weights of
training runs (grader/training.py, also sent as source, run here with the
learner's functions so that their calls need not cross the pipe), which the
judge checks against the oracle (grader.oracle) in its own process.

Messages both ways are trees of tensors and plain values in grader/wire.py's
format (also sent as source), which holds data only: neither side can make the
other run code by what it sends. Only the standard library and torch here.
"""
import os
import resource
import struct
import sys
import types


class Worker:
    def __init__(self, seam, training, oracle, wire, learner, out, data):
        self.seam, self.training, self.oracle, self.wire = seam, training, oracle, wire
        self.learner, self.out, self.data = learner, out, data
        self.graphs = {}

    def encode(self, value, depth=0):
        """Results as plain trees: tensors as ("T", value, has_grad_fn)."""
        import torch
        if isinstance(value, torch.Tensor) and self.wire.sendable(value):
            plain = value.detach().as_subclass(torch.Tensor).clone()
            return ("T", plain, value.grad_fn is not None)
        if value is None or isinstance(value, (bool, int, float, str)):
            return ("V", value)
        if type(value).__module__ == "numpy":
            return self.encode(torch.as_tensor(value) if hasattr(value, "shape") and value.shape
                               else value.item(), depth)
        # Deep enough for a figure described as lists (grader.training.describe_axes).
        if isinstance(value, (list, tuple)) and depth < 8:
            return ("L" if isinstance(value, list) else "U",
                    [self.encode(v, depth + 1) for v in value])
        return ("O", type(value).__name__, repr(value)[:200])

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

    def call(self, exercise, args, keep_graph, graph_id):
        import torch
        originals = [list(a) if isinstance(a, list) else a for a in args]
        fn = getattr(self.learner, exercise)
        inputs = [t for t in self.seam.tensors_in(args) if t.requires_grad]
        result = fn(*args)
        if keep_graph and isinstance(result, torch.Tensor) and result.grad_fn is not None:
            self.graphs[graph_id] = (result, inputs)
            while len(self.graphs) > 64:
                self.graphs.pop(next(iter(self.graphs)))
        return ("ok", self.encode(result), [self.state(o, a) for o, a in zip(originals, args)],
                self.learner.take_builtin_used(exercise))

    def backward(self, graph_id, grad):
        import torch
        result, inputs = self.graphs.pop(graph_id)
        # The same gradients as grad_outputs=grad, but passing a tensor there makes
        # torch import sympy (40 MB, a second) on its first backward.
        grads = torch.autograd.grad((result * grad).sum(), inputs, allow_unused=True)
        return ("ok", [None if g is None else g.detach().clone() for g in grads])

    def recipe(self, name, exercises, args, kwargs):
        """A training recipe of grader/training.py with the learner's `exercises`
        among the oracle's functions; its result, or how the loop crashed."""
        fns = types.SimpleNamespace(**{**vars(self.oracle.ORACLE),
                                       **{e: getattr(self.learner, e) for e in exercises}})
        try:
            result = getattr(self.training, name)(fns, *args, **kwargs)
        except (self.seam.Outcome, self.seam.LearnerError):
            raise
        except Exception as e:  # the loop could not use what a learner function returned
            return ("crashed", type(e).__name__, str(e))
        return ("ok", self.encode(result))

    def serve(self, stream):
        seam = self.seam
        while True:
            try:
                request = self.wire.read(stream)
            except EOFError:
                return
            kind, exercise = request[0], request[1]
            try:
                if kind == "call":
                    reply = self.call(exercise, [decode(a) for a in request[2]], request[3], request[4])
                elif kind == "recipe":
                    reply = self.recipe(request[2], request[3],
                                        [decode_data(a, self.training, self.data)
                                         for a in request[4]],
                                        request[5])
                elif kind == "backward":
                    reply = self.backward(request[2], request[3])
                elif kind == "tensors":
                    reply = ("ok", self.learner.exercise_tensors(exercise, request[2]))
                elif kind == "seed":
                    reply = ("ok", seam.LocalRNG.seed(request[2]))
                else:
                    reply = ("ok", seam.LocalRNG.state())
            except seam.Outcome as e:
                reply = ("outcome", e.status, e.message)
            except seam.LearnerError as e:
                # The judge has a call's inputs; those of a call inside a recipe it has not.
                inputs = [self.encode(v) for v in e.inputs.values()] if kind == "recipe" else []
                reply = ("raised", type(e.error).__name__, str(e.error), e.where,
                         list(e.inputs), inputs, e.called)
            except Exception as e:  # e.g. backward through a broken custom Function
                reply = ("raised", type(e).__name__, str(e), [], [])
            self.wire.write(self.out, reply)


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


def decode_data(tree, training, data):
    """Training data from the judge: ("F", field) for ScaledImages of that field
    of the mapped `data`, ("S", uint8 rows) for ScaledImages of those rows,
    ("L", [...]) for a tuple, else as decode()."""
    if tree[0] == "F":
        return training.ScaledImages(data[tree[1]])
    if tree[0] == "S":
        return training.ScaledImages(tree[1])
    if tree[0] == "L":
        return tuple(decode_data(t, training, data) for t in tree[1])
    return decode(tree)


def map_data(path):
    """The judge's Fashion-MNIST cache file (grader.fashion_mnist) mapped
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


def limit_resources(config):
    """Die with the judge; cap CPU seconds and added memory; give freed buffers of
    1 MB and more back (see grader.judging.keep_large_buffers_apart)."""
    import ctypes
    libc = ctypes.CDLL(None)
    libc.prctl(1, 9)  # PR_SET_PDEATHSIG = SIGKILL
    libc.mallopt(-3, 1 << 20)  # M_MMAP_THRESHOLD
    cpu = int(config["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    if config["memory_mb"]:
        with open("/proc/self/statm") as f:
            in_use = int(f.read().split()[0]) * resource.getpagesize()
        limit = in_use + config["memory_mb"] * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def main():
    protocol_in = os.fdopen(os.dup(0), "rb")
    protocol_out = os.fdopen(os.dup(1), "wb")
    # Whatever the submission prints goes nowhere, and cannot mix with the replies.
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    header = protocol_in.read(8)
    size, = struct.unpack("<Q", header)
    import json
    config = json.loads(protocol_in.read(size))
    sys.path[:0] = config["site"]
    # Figures are drawn, never shown, here: pyplot picks no window system.
    os.environ["MPLBACKEND"] = "Agg"
    import torch
    torch.set_num_threads(config["threads"])
    # The book's training.py reads with torchvision and draws with pyplot (seconds
    # of imports, torch._dynamo among them): imported here like torch, so that the
    # learner's import time limit counts only the learner's own code. The code runs
    # on the CPU: triton, the GPU compiler torch._dynamo loads if it is installed
    # (PyPI's CUDA build of torch brings it: 70 MB), is not importable, as with
    # the CPU build.
    sys.modules["triton"] = None
    import importlib
    for name in ("torchvision", "matplotlib.pyplot"):
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    data = map_data(config["data_file"])
    limit_resources(config)
    seam = source_module("d2lkit_seam", config["seam_source"])
    seam.TEXTS.update(config.get("texts", {}))  # the learner's language (grader.remote.texts)
    training = source_module("d2lkit_training", config["training_source"])
    oracle = source_module("d2lkit_oracle", config["oracle_source"])
    wire = source_module("d2lkit_wire", config["wire_source"])
    wire.write(protocol_out, ("ready", data is not None))
    learner = seam.Learner(config["folder"], config["spec"], call_timeout=config["call_timeout"],
                           import_timeout=config["import_timeout"], modules=config["modules"],
                           on_import=lambda module: wire.write(protocol_out, ("importing", module)),
                           stand_ins=vars(oracle.ORACLE))
    wire.write(protocol_out, ("loaded", learner.load_report(), learner.load_notes()))
    Worker(seam, training, oracle, wire, learner, protocol_out, data).serve(protocol_in)


main()
