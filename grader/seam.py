"""The one door through which every check reaches the learner's code.

Also executed, as source, inside the submission's own process (grader/worker.py),
so it imports nothing from the grader: what it must know of the exercises
comes in as plain data (grader.exercises.seam_spec()).

`Learner` loads the learner's modules and hands out guarded callables: each
call runs under a time limit and under the from-scratch rule, and turns
whatever escapes the learner's code into one of the outcomes below, so a
check never sees a raw learner exception. Nothing else in the grader calls
learner code.
"""
import ctypes
import importlib.util
import inspect
import random
import signal
import sys
import threading
import traceback
from contextlib import contextmanager, nullcontext
from pathlib import Path

import numpy as np
import torch
from torch.overrides import TorchFunctionMode



class Outcome(BaseException):
    """Ends a check at once with a status; derives from BaseException so that
    Hypothesis does not shrink on it and learner code cannot catch it."""
    status = "error"

    def __init__(self, exercise, message):
        super().__init__(message)
        self.exercise = exercise
        self.message = message


class NotAttempted(Outcome):
    status = "not_attempted"


class Missing(Outcome):
    status = "missing"


class BrokenModule(Outcome):
    status = "error"


class TimedOut(Outcome):
    status = "timeout"


class Crashed(Outcome):
    """The process running the learner's code ended (sys.exit, os._exit, a crash)."""
    status = "error"


class Endless(Outcome):
    """The learner's iterator yielded more items than its input has elements: it
    would never end. A failure, settled at once (no shrinking: any input shows it)."""
    status = "failed"


class RecipeCrashed(Exception):
    """A recipe of grader.training (a training run, a helper driven as d2l drives
    it) stopped with an exception outside the learner's guarded calls: it got
    something it cannot use from the learner's code. Carries only text."""

    def __init__(self, type_name, message):
        super().__init__(f"{type_name}: {message}")
        self.type_name, self.message = str(type_name), str(message)


class LearnerError(Exception):
    """The learner's function raised. An Exception, so Hypothesis shrinks to the
    smallest input that makes it raise. `called`: what was called, if not the
    exercise itself (a method of a learner's class: Accumulator.add)."""

    def __init__(self, exercise, inputs, error, where, called=None):
        super().__init__(f"{exercise} raised {type(error).__name__}: {error}")
        self.exercise, self.inputs, self.error, self.where = exercise, inputs, error, where
        self.called = called or exercise


# Whether time_limit may use SIGALRM; off on Windows, which has no SIGALRM (the
# kit's tests turn it off to try the fallback on Linux).
USE_SIGNALS = hasattr(signal, "setitimer")


@contextmanager
def time_limit(seconds, exercise):
    """Raise TimedOut in the thread running the block if the block runs longer
    than `seconds` (None: no limit). In the main thread, by SIGALRM, which also
    interrupts a blocking call such as time.sleep; elsewhere, or without SIGALRM
    (Windows), by a timer thread that raises it in the block's thread between
    two Python bytecodes, which ends any hang in Python code (not one inside a
    single C call)."""
    if seconds is None:
        yield
        return
    message = f"{exercise} did not finish within {seconds:g} s: is there a loop that never ends?"
    if not USE_SIGNALS or threading.current_thread() is not threading.main_thread():
        with _timer_limit(seconds, exercise, message):
            yield
        return

    def expire(signum, frame):
        raise TimedOut(exercise, message)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def _timer_limit(seconds, exercise, message):
    """time_limit's fallback: a timer thread raises TimedOut asynchronously."""
    class Expired(TimedOut):
        # An asynchronous exception is raised by its class, with no arguments.
        def __init__(self):
            super().__init__(exercise, message)

    target, lock, state = ctypes.c_ulong(threading.get_ident()), threading.Lock(), {}

    def expire():
        with lock:
            if not state.get("done"):
                state["fired"] = True
                ctypes.pythonapi.PyThreadState_SetAsyncExc(target, ctypes.py_object(Expired))

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        with lock:
            state["done"] = True
            timer.cancel()
            if state.get("fired"):
                # The block may have ended before the exception arrived: take back
                # one still pending, so that it does not go off after the block.
                ctypes.pythonapi.PyThreadState_SetAsyncExc(target, None)


def _learner_frames(error, folder):
    """The traceback lines that point into the learner's own files."""
    frames = traceback.extract_tb(error.__traceback__)
    return [f"{Path(f.filename).name}, line {f.lineno}, in {f.name}: {f.line}"
            for f in frames if Path(f.filename).resolve().is_relative_to(folder)]


def load_module(folder, module, import_timeout=None, siblings=()):
    """Import folder/<module>.py under a unique name; a failure becomes an Outcome
    (Missing or BrokenModule) that is returned, not raised. `siblings` are the
    other learner modules, which it may import from the same folder."""
    path = folder / f"{module}.py"
    if not path.is_file():
        return Missing(module, f"{path.name} is missing from {folder.name}/")
    # A unique name, so several implementations can live in one process; the
    # folder goes on sys.path so that one learner module may import the other.
    spec = importlib.util.spec_from_file_location(f"_d2lkit_{abs(hash(folder))}_{module}", path)
    mod = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(folder))
    siblings = {module, *siblings}
    saved = {name: sys.modules.pop(name) for name in siblings if name in sys.modules}
    try:
        with time_limit(import_timeout, module):
            spec.loader.exec_module(mod)
    except TimedOut:
        return BrokenModule(module, f"importing {path.name} did not finish within"
                                    f" {import_timeout:g} s: is there a loop that never ends?")
    except BaseException as e:  # noqa: B036 - even SystemExit at import is a broken module
        where = "".join(f"\n  at       {line}" for line in _learner_frames(e, folder))
        return BrokenModule(module, f"{path.name} could not be imported: "
                                    f"{type(e).__name__}: {e}{where}")
    finally:
        sys.path.remove(str(folder))
        for name in siblings:
            sys.modules.pop(name, None)
        sys.modules.update(saved)
    return mod


def tensors_in(args):
    """The tensors among call arguments, looking inside lists (sgd's params)."""
    for a in args:
        if isinstance(a, torch.Tensor):
            yield a
        elif isinstance(a, (list, tuple)):
            yield from tensors_in(a)


class LocalRNG:
    """The global random generators of this process (torch, random, numpy), which
    the learner's functions draw from."""

    @staticmethod
    def seed(seed):
        torch.manual_seed(seed)
        random.seed(seed)
        np.random.seed(seed % 2**32)

    @staticmethod
    def state():
        return (torch.get_rng_state(), random.getstate(),
                torch.from_numpy(np.random.get_state()[1].copy()))


class FromScratch(TorchFunctionMode):
    """While the learner's function runs, notes the first built-in it calls that
    does the exercise's whole job, however it is reached (alias, method,
    getattr, torch.ops, an nn module): by the name PyTorch gives the function,
    or, for PyTorch's own Python code (torch.optim, DataLoader), by the module
    of a frame between the call and the learner's function."""

    def __init__(self, forbidden, forbidden_code):
        super().__init__()
        self.forbidden, self.forbidden_code = set(forbidden), forbidden_code
        self.used = None

    def __enter__(self):
        self.top = sys._getframe(1)
        return super().__enter__()

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if self.used is None:
            self.used = self._builtin(func)
        return func(*args, **(kwargs or {}))

    def _builtin(self, func):
        name = getattr(func, "__name__", "").split(".")[0].lstrip("_").removeprefix("special_")
        if name in self.forbidden:
            return _display(func, name)
        frame = sys._getframe(2) if self.forbidden_code else None
        while frame is not None and frame is not self.top:
            where = f"{frame.f_globals.get('__name__')}.{frame.f_code.co_name}"
            for prefix, label in self.forbidden_code.items():
                if where == prefix or where.startswith(prefix + "."):
                    return label
            frame = frame.f_back
        return None


def _display(func, name):
    """How a learner would have written the call: torch.softmax, Tensor.softmax, ..."""
    module = getattr(func, "__module__", None) or "Tensor"
    public = {"torch._C._nn": "torch.nn.functional", "torch._C._special": "torch.special",
              "torch._C._VariableFunctions": "torch", "torch._ops.aten": "torch.ops.aten"}
    module = public.get(module, module)
    if module == "torch.ops.aten" or module.startswith("torch._C"):
        name = getattr(func, "__name__", name).split(".")[0]
    return f"{module}.{name}"


class Learner:
    """The learner's implementation, loaded from a folder holding its modules.

    `spec` is grader.exercises.seam_spec(): for each exercise its module,
    whether it returns an iterable or is a class, the exercises it uses and
    the built-ins it may not call. `learner.softmax` and friends are guarded
    callables; data_iter's is materialised into a list (at most one batch per
    example, else Endless) so that iterating it also happens behind the guard,
    and a class's instances call their methods behind it too. Each carries
    `.rng`, the generators it draws from, so that checks can seed and inspect
    them wherever the code runs.

    `stand_ins` ({name: function}, the oracle's): while an exercise runs, the
    exercises it uses are these in its module, so that it is graded alone.

    `loaded` ({module name: module or namespace}, optional): modules that are
    already loaded (a notebook's globals, say), used instead of importing
    `folder`/<module>.py; `folder` then only tells which frames are the learner's.
    """

    def __init__(self, folder, spec, *, call_timeout=10.0, import_timeout=60.0, modules=None,
                 on_import=None, stand_ins=None, loaded=None):
        self.folder = Path(folder).resolve()
        self.spec, self.call_timeout = spec, call_timeout
        self.stand_ins = stand_ins or {}
        all_modules = list(dict.fromkeys(s["module"] for s in spec.values()))
        self._modules = {}
        self.builtins_used = {}
        for name in all_modules if modules is None else modules:
            if loaded is not None:
                self._modules[name] = loaded.get(name) or Missing(name, f"{name} is not loaded")
                continue
            if on_import:
                on_import(name)
            self._modules[name] = load_module(self.folder, name, import_timeout, all_modules)

    def load_report(self):
        """{module: None if it loaded, else (status, message)}."""
        return {name: (m.status, m.message) if isinstance(m, Outcome) else None
                for name, m in self._modules.items()}

    def take_builtin_used(self, exercise):
        """The first forbidden built-in `exercise` called since the last take, or None."""
        return self.builtins_used.pop(exercise, None)

    def __getattr__(self, exercise):
        if exercise not in self.spec:
            raise AttributeError(exercise)
        module_name = self.spec[exercise]["module"]
        module = self._modules[module_name]
        if isinstance(module, Outcome):
            raise type(module)(exercise, module.message)
        fn = getattr(module, exercise, None)
        if not callable(fn):
            kind = "class" if self.spec[exercise]["instance"] else "function"
            raise Missing(exercise, f"{module_name}.py has no {kind} {exercise}()")
        return self._guard(exercise, fn)

    def _guard(self, exercise, fn, method=None):
        """`fn`, the learner's `exercise` (or its instance's `method`), guarded."""
        spec = self.spec[exercise]
        rule = (spec["forbidden"], spec["forbidden_code"])
        label = f"{exercise}.{method}" if method else exercise

        def guarded(*args):
            scratch = FromScratch(*rule) if any(rule) else nullcontext()
            try:
                with time_limit(self.call_timeout, label), scratch, self._standing_in(spec, fn):
                    result = fn(*args)
                    if spec["iterates"] and not method:
                        result = _take_all(exercise, iter(result), len(args[-1]))
            except NotImplementedError:
                raise NotAttempted(exercise, f"{label}() still raises NotImplementedError: write"
                                             f" it in {spec['module']}.py") from None
            except Exception as e:
                raise LearnerError(exercise, describe_call(fn, args), e,
                                   _learner_frames(e, self.folder), label) from None
            if getattr(scratch, "used", None):
                self.builtins_used.setdefault(exercise, scratch.used)
            if spec["instance"] and not method:
                return Instance(result, lambda name, bound: self._guard(exercise, bound, name))
            return result
        guarded.__name__ = label
        guarded.rng = LocalRNG
        return guarded

    @contextmanager
    def _standing_in(self, spec, fn):
        """While `fn` runs, the exercises it uses are the stand-ins in its module."""
        names = getattr(fn, "__globals__", {})
        mine = {name: names[name] for name in spec["uses"] if name in names and name in self.stand_ins}
        names.update({name: self.stand_ins[name] for name in mine})
        try:
            yield
        finally:
            names.update(mine)


class Instance:
    """An instance of a learner's class whose methods, indexing included, run
    behind the guard: guard(name, bound method) gives the guarded method."""

    def __init__(self, obj, guard):
        self._obj, self._guard = obj, guard

    def __getattr__(self, name):
        value = getattr(self._obj, name)
        return self._guard(name, value) if callable(value) else value

    def __getitem__(self, index):
        return self._guard("__getitem__", getattr(self._obj, "__getitem__"))(index)


def _take_all(exercise, iterator, size):
    """The items of `iterator`, which may yield at most one per element of an
    input of `size` elements (a batch holds at least one example)."""
    items = []
    for item in iterator:
        if len(items) == size:
            raise Endless(exercise, f"{exercise} did not end: for {size} examples it yielded"
                                    f" {size} batches and then still more, so a loop over it"
                                    " never stops. A generator ends when its loop does: loop"
                                    " once over the example indices, in steps of batch_size,"
                                    " instead of `while True`.")
        items.append(item)
    return items


def describe_call(fn, args):
    """The arguments of a call by name, in the learner's own parameter names."""
    try:
        names = list(inspect.signature(fn).parameters)[:len(args)]
    except (TypeError, ValueError):
        names = []
    names += [f"arg{i}" for i in range(len(names), len(args))]
    return dict(zip(names, args))
