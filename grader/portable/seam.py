"""The one door through which every check reaches the learner's code.

Also runs inside the submission's own process (grader/portable/worker.py, which
is sent the portable modules' sources), so it imports nothing from the grader
but grader.portable: what it must know of the exercises comes in as plain data
(grader.exercises.seam_spec()).

`Learner` loads the learner's files (the .py modules and any .ipynb notebooks
beside them, see load_module and load_notebook) and hands out guarded callables: each
call runs under a time limit and under the from-scratch rule, and turns
whatever escapes the learner's code into an outcome (grader.portable.outcomes), so a
check never sees a raw learner exception. Nothing else in the grader calls
learner code.
"""
import inspect
import random
import types
from contextlib import contextmanager, nullcontext
from pathlib import Path

import numpy as np
import torch

from grader.portable.book import BOOK_CALLS, BOOK_HELPERS, BOOK_LENT, BookCalled, book_message
from grader.portable.from_scratch import FromScratch
from grader.portable.importing import load_module, load_notebook
from grader.portable.outcomes import (BookAnswer, BrokenModule, Endless, LearnerError, Missing,
                                      NotAttempted, Outcome)
from grader.portable.places import learner_frames
from grader.portable.said import _
from grader.portable.sources import notebooks_in
from grader.portable.time_limits import time_limit
from grader.portable.warned import noting_warnings


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
        # numpy's key as int64: torch before 2.4 cannot compare uint32 tensors.
        return (torch.get_rng_state(), random.getstate(),
                torch.from_numpy(np.random.get_state()[1].astype(np.int64)))


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
                 on_import=None, stand_ins=None, loaded=None, sources=None):
        self.folder = Path(folder).resolve()
        self.spec, self.call_timeout = spec, call_timeout
        self.stand_ins = {} if stand_ins is None else stand_ins
        BOOK_HELPERS.update({name: self.stand_ins[name] for s in spec.values()
                             for name in s.get("helpers", ()) if name in self.stand_ins})
        all_modules = list(dict.fromkeys(s["module"] for s in spec.values()))
        wanted = all_modules if modules is None else list(modules)
        self._modules, self._found, self._py, self.notes = {}, {}, {}, {}
        self.builtins_used = {}
        self._loaded, self._sources = loaded is not None, sources
        if loaded is not None:
            for name in wanted:
                self._modules[name] = loaded.get(name) or Missing(
                    name, _("{name} is not loaded").format(name=name))
            return
        # torch, random and numpy seed themselves from the system: from a fixed
        # state, what the modules draw as they load (the book's W = torch.normal(...))
        # and what the functions draw later are the same on every run.
        LocalRNG.seed(0)
        if on_import and wanted:
            on_import(wanted[0])  # a notebook that hangs is blamed on the first module
        notebooks = {path.name: load_notebook(path, self.folder, import_timeout, all_modules)
                     for path in notebooks_in(self.folder)}
        for name in wanted:
            if on_import:
                on_import(name)
            py = load_module(self.folder, name, import_timeout, all_modules)
            self._modules[name] = py.module
            self._place(name, py, notebooks)
        self.notes = {name: file.note for name, file in
                      [*((f"{m}.py", self._py[m]) for m in wanted), *notebooks.items()]
                      if file.note}

    def _place(self, module, py, notebooks):
        """Where each exercise of `module` comes from: its one implementation, in
        module.py or a notebook (two are an error that says where: no silent
        choice); with none, module.py's stub or a notebook's, else why not."""
        self._py[module] = py
        for exercise in (e for e, s in self.spec.items() if s["module"] == module):
            files = {f"{module}.py": py} if py.defined.get(exercise) else {}
            files.update((name, nb) for name, nb in notebooks.items() if nb.defined.get(exercise))
            stubs = [nb for nb in notebooks.values() if exercise in nb.defined]
            if len(files) > 1:
                found = BrokenModule(exercise, _(
                    "{exercise} is written both in {files}, and the grader cannot tell which"
                    " one to grade: keep it in one file, and in the other delete it or put the"
                    " kit's stub back.").format(exercise=exercise,
                                                files=_(" and in ").join(files)))
            elif files:
                found = next(iter(files.values())).binding(exercise)
            elif not isinstance(py.module, Outcome):
                found = getattr(py.module, exercise, None)
            elif stubs:
                found = stubs[-1].binding(exercise)
            elif isinstance(py.module, BrokenModule) or not notebooks:
                found = py.module
            else:
                found = None
            if found is None and notebooks:
                found = Missing(exercise, self._missing(module, exercise, notebooks))
            self._found[exercise] = found
        if notebooks:
            self._modules[module] = None  # each exercise says for itself

    def _missing(self, module, exercise, notebooks):
        """Why `exercise` was found in none of the learner's files."""
        names = _(" or ").join(notebooks)
        py = self._py[module].module
        there = (_("{file} is missing").format(file=f"{module}.py") if isinstance(py, Missing)
                 else self._has_no(module, exercise))
        return _("{there}, and no notebook of yours ({notebooks}) defines {exercise}().").format(
            there=there, notebooks=names, exercise=exercise)

    def _has_no(self, module, exercise):
        """"linear_regression.py has no function sgd()", in the learner's language."""
        if self.spec[exercise]["instance"]:
            return _("{file} has no class {exercise}()").format(file=f"{module}.py",
                                                               exercise=exercise)
        return _("{file} has no function {exercise}()").format(file=f"{module}.py",
                                                              exercise=exercise)

    def sources(self):
        """{file name: bytes} of the learner's files this was loaded from: its
        modules and notebooks (for modules loaded already, `loaded`, the
        `sources` given, if any)."""
        if self._loaded:
            return dict(self._sources or {})
        files = [*(self.folder / f"{m}.py" for m in self._py), *notebooks_in(self.folder)]
        return {path.name: path.read_bytes() for path in files if path.is_file()}

    def load_report(self):
        """{module: None if it loaded (or notebooks stand in for it), else (status, message)}."""
        return {name: (m.status, m.message) if isinstance(m, Outcome) else None
                for name, m in self._modules.items()}

    def load_notes(self):
        """{file name: what was not run or failed in it, and why}, for files with something to say."""
        return dict(self.notes)

    def take_builtin_used(self, exercise):
        """The first forbidden built-in `exercise` called since the last take, or None."""
        return self.builtins_used.pop(exercise, None)

    def exercise_tensors(self, exercise, names):
        """The tensors `names` that `exercise`'s module holds (net's W and b), as data:
        see module_tensors. Raises the module's Outcome if it did not load."""
        module = self._modules[self.spec[exercise]["module"]]
        if isinstance(module, Outcome):
            raise type(module)(exercise, module.message)
        found = self._found.get(exercise)
        if callable(found):  # defined elsewhere (a notebook): its own globals hold them
            module = types.SimpleNamespace(**_module_names(found))
        return module_tensors(module, names)

    def __getattr__(self, exercise):
        if exercise not in self.spec or exercise.startswith("_"):
            raise AttributeError(exercise)
        module_name = self.spec[exercise]["module"]
        module = self._modules[module_name]
        if isinstance(module, Outcome):
            raise type(module)(exercise, module.message)
        fn = self._found[exercise] if exercise in self._found else getattr(module, exercise, None)
        if isinstance(fn, Outcome):
            raise type(fn)(exercise, fn.message)
        if not callable(fn):
            raise Missing(exercise, self._has_no(module_name, exercise))
        return self._guard(exercise, fn)

    def _guard(self, exercise, fn, method=None):
        """`fn`, the learner's `exercise` (or its instance's `method`), guarded."""
        spec = self.spec[exercise]
        rule = (spec["forbidden"], spec["forbidden_code"])
        label = f"{exercise}.{method}" if method else exercise

        def guarded(*args):
            scratch = FromScratch(*rule) if any(rule) else nullcontext()
            BOOK_CALLS.clear()
            try:
                with time_limit(self.call_timeout, label), scratch, self._standing_in(spec, fn), \
                        noting_warnings(label):
                    result = fn(*args)
                    if spec["iterates"] and not method:
                        result = _take_all(exercise, iter(result), len(args[-1]))
            except BaseException as e:  # noqa: B036 - whatever the learner's code raises
                raise self._outcome_of(e, exercise, label, fn, args) from None
            if BOOK_CALLS:
                raise BookAnswer(exercise, book_message(label, exercise, BOOK_CALLS[0]))
            if getattr(scratch, "used", None):
                self.builtins_used.setdefault(exercise, scratch.used)
            if spec["instance"] and not method:
                return Instance(result, lambda name, bound: self._guard(exercise, bound, name))
            return result
        guarded.__name__ = label
        guarded.rng = LocalRNG
        return guarded

    def _outcome_of(self, error, exercise, label, fn, args):
        """What ends a guarded call that raised `error`: an outcome the kit made (sealed)
        (a time limit, an endless iterator, a nested guard's) as it is; Ctrl-C as it
        is; NotImplementedError as not attempted; a call of the d2l package as the
        book's answer; anything else, the grader's own outcome classes raised by the
        learner's code included, as the learner's error."""
        if isinstance(error, Outcome) and error.sealed or isinstance(error, KeyboardInterrupt):
            return error
        if isinstance(error, NotImplementedError):
            return NotAttempted(exercise, _("{label}() still raises NotImplementedError: write it"
                                            " in {file}").format(
                                                label=label,
                                                file=_file_of(fn, self.spec[exercise]["module"])))
        if isinstance(error, BookCalled) and any(error is call for call in BOOK_CALLS):
            return BookAnswer(exercise, book_message(label, exercise, error))
        return LearnerError(exercise, describe_call(fn, args), error,
                            learner_frames(error, self.folder), label)

    @contextmanager
    def _standing_in(self, spec, fn):
        """While `fn` runs, the exercises it uses are the stand-ins in its module,
        and so are the book's helpers it calls, even those the module lacks; so
        are d2l's names of those exercises (BOOK_LENT)."""
        names = _module_names(fn)
        mine = {name: names[name] for name in spec["uses"] if name in names and name in self.stand_ins}
        helpers = [name for name in spec.get("helpers", ()) if name in self.stand_ins]
        lacking = [name for name in helpers if name not in names]
        mine.update({name: names[name] for name in helpers if name in names})
        lent = {name: self.stand_ins[name] for name in spec["uses"] if name in self.stand_ins}
        names.update({name: self.stand_ins[name] for name in [*mine, *lacking]})
        before = dict(BOOK_LENT)
        BOOK_LENT.update(lent)
        try:
            yield
        finally:
            names.update(mine)
            for name in lacking:
                names.pop(name, None)
            BOOK_LENT.clear()
            BOOK_LENT.update(before)


def _module_names(fn):
    """The globals of the module that defined `fn`: a function's, a bound method's,
    or a class's (through a method it defines); {} if there are none."""
    names = getattr(fn, "__globals__", None)
    if names is None and isinstance(fn, type):
        methods = [v for v in vars(fn).values() if hasattr(v, "__globals__")]
        names = methods[0].__globals__ if methods else None
    return {} if names is None else names


def _file_of(fn, module):
    """The learner's file that defines `fn`: its notebook, else module.py."""
    code = getattr(fn, "__code__", None) or getattr(getattr(fn, "__init__", None), "__code__", None)
    filename = getattr(code, "co_filename", "")
    return Path(filename.split(" [cell ")[0]).name if ".ipynb" in filename else f"{module}.py"


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


def module_tensors(module, names):
    """{name: what module.<name> is}, copied so that nothing read can change the
    learner's: a tensor as {"value", "requires_grad", "grad" (or None)}, anything
    else as the name of its type ("NoneType" when the module has no such name)."""
    found = {}
    for name in names:
        value = getattr(module, name, None)
        if isinstance(value, torch.Tensor):
            grad = value.grad if value.is_leaf else None
            found[name] = {"value": value.detach().clone(), "requires_grad": value.requires_grad,
                           "grad": None if grad is None else grad.detach().clone()}
        else:
            found[name] = type(value).__name__
    return found


def _take_all(exercise, iterator, size):
    """The items of `iterator`, which may yield at most one per element of an
    input of `size` elements (a batch holds at least one example)."""
    items = []
    for item in iterator:
        if len(items) == size:
            raise Endless(exercise, _("{exercise} did not end: for {size} examples it yielded"
                                      " {size} batches and then still more, so a loop over it"
                                      " never stops. A generator ends when its loop does: loop"
                                      " once over the example indices, in steps of batch_size,"
                                      " instead of `while True`.").format(exercise=exercise,
                                                                          size=size))
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
