"""The one door through which every check reaches the learner's code.

Also executed, as source, inside the submission's own process (grader/portable/worker.py),
so it imports nothing from the grader: what it must know of the exercises
comes in as plain data (grader.exercises.seam_spec()).

`Learner` loads the learner's files (the .py modules and any .ipynb notebooks
beside them, see load_module and load_notebook) and hands out guarded callables: each
call runs under a time limit and under the from-scratch rule, and turns
whatever escapes the learner's code into one of the outcomes below, so a
check never sees a raw learner exception. Nothing else in the grader calls
learner code.
"""
import ast
import ctypes
import importlib.util
import inspect
import json
import linecache
import random
import re
import signal
import sys
import threading
import traceback
import types
import unicodedata
from contextlib import contextmanager, nullcontext
from pathlib import Path

import numpy as np
import torch
from torch.overrides import TorchFunctionMode

try:  # the grader's own process; the submission's is sent it as d2lkit_warned
    from grader.portable.warned import noting_warnings
except ImportError:
    noting_warnings = sys.modules["d2lkit_warned"].noting_warnings


class Said(str):
    """A message of the kit as the submission's process words it: English text
    that also carries its `parts`, [(template, values)] joined by newlines, each
    template one of this module's _() texts. The process sends the parts, not
    the text, so that the judge words the message in the learner's language
    from its own catalogue, and a submission can choose no text of a message
    but the values it quotes (grader.classroom.remote)."""

    def __new__(cls, text, parts):
        said = super().__new__(cls, text)
        said.parts = parts
        return said

    @classmethod
    def lines(cls, messages):
        """`messages` (Saids) as one Said, a line each."""
        return cls("\n".join(messages), [p for m in messages for p in getattr(m, "parts", ())])


class _Template(str):
    """A text of _() in the submission's process: formatting it gives a Said;
    unformatted, it is its own one part."""

    def format(self, **values):
        return Said(str.format(self, **values), [(str(self), values)])

    @property
    def parts(self):
        return [(str(self), {})]


def _(text):
    """`text` in the learner's language in the grader's own processes (where this
    module is grader.portable.seam, through grader.i18n); in the submission's process,
    where there is no catalogue, a template whose format() gives a Said."""
    i18n = sys.modules.get("grader.i18n") if __name__ == "grader.portable.seam" else None
    return i18n._(text) if i18n is not None else _Template(text)


def N_(text):
    """Mark `text` for translation where it is shown (as grader.i18n.N_)."""
    return text


class Outcome(BaseException):
    """Ends a check at once with a status; derives from BaseException so that
    Hypothesis does not shrink on it and learner code cannot catch it.
    `sealed`: made by this module's own code, not raised by the learner's (a
    guard turns an unsealed one into the learner's error, see Learner._guard)."""
    status = "error"

    def __init__(self, exercise, message):
        super().__init__(message)
        self.exercise = exercise
        self.message = message
        self.sealed = _made_here(self, sys._getframe(1))


def _made_here(outcome, frame):
    """Whether the code that made `outcome` is this module's: the first frame, from
    `frame` out, that is not an __init__ of `outcome` itself (a subclass's)."""
    while frame is not None and frame.f_code.co_name == "__init__" \
            and frame.f_locals.get("self") is outcome:
        frame = frame.f_back
    return frame is not None and frame.f_globals is globals()


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


class BookAnswer(Outcome):
    """The learner's function called the book's d2l package, which grading never
    loads (it ships the book's answers): a failure of the exercise it ran in."""
    status = "failed"


class RecipeCrashed(Exception):
    """A recipe of grader.portable.recipes (a training run, a helper driven as d2l drives
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
    message = _("{exercise} did not finish within {seconds} s: is there a loop that never"
                " ends?").format(exercise=exercise, seconds=f"{seconds:g}")
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
        # An asynchronous exception is raised by its class, with no arguments, in
        # whatever code runs then.
        def __init__(self):
            super().__init__(exercise, message)
            self.sealed = True

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


# The file name under which the kernel's replay (grader.learner.replay) compiles the
# cell of In [number]: a name in the learner's folder, so that its frames are
# the learner's, which no real file has.
KERNEL_CELL = "In [{number}]"


def _place(filename):
    """Where a learner's frame is, as the learner knows it: the kernel's cell
    (In [12]), a notebook's cell (chapter3.ipynb [cell 12]) or a file's name."""
    cell = re.fullmatch(r"In \[(\d+)\]", Path(filename).name)
    if cell:
        return _("In [{number}]").format(number=cell.group(1))
    return Path(filename).name


def _learner_frames(error, folder):
    """The traceback lines that point into the learner's own files."""
    frames = traceback.extract_tb(error.__traceback__)
    return [_("{place}, line {line}, in {function}: {code}").format(
                place=_place(f.filename), line=f.lineno, function=f.name, code=f.line)
            for f in frames if Path(f.filename).resolve().is_relative_to(folder)]


# Reading the learner's files. A .py module is imported whole, as Python would,
# but for two kinds of line that come from the book's notebooks: IPython's
# `%magic` and `!shell` lines (a SyntaxError in Python) are left out, and an
# import of the d2l package binds a stand-in instead (BookPackage), so that no
# function of the book's package is ever graded. A notebook (.ipynb) is read as
# JSON, its outputs unread; of its code cells, in order, only imports,
# definitions (def, class) and simple assignments run (kept_statement), each
# statement on its own, so that one that fails does not lose the rest: a
# learner's training runs, plots and endless loops are never run.

BOOK_BINDING = "__d2lkit_book__"
SHELL_LINE = re.compile(r"^[ \t]*(?:[%!]|[A-Za-z_]\w*[ \t]*=[ \t]*[%!])")
# Cell magics whose body is Python (run as it is); any other cell magic's is not.
PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun"}
# Libraries whose functions a kept assignment may call (W = torch.normal(...)).
LIBRARIES = {"torch", "torchvision", "numpy", "math"}
# Built-ins a kept assignment may call.
SIMPLE_CALLS = {"int", "float", "bool", "str", "tuple", "list", "dict", "set", "range", "len",
                "abs", "min", "max", "round"}


class SourceProblem(Exception):
    """A learner's file that cannot be read as code; str() says why, for the learner."""


class BookCalled(BaseException):
    """The learner's code called the d2l package's code. A BaseException, so that
    the learner's own try/except does not hide it."""

    def __init__(self, written, origin):
        super().__init__(written)
        self.written, self.origin = written, origin


# The d2l calls made since the guard last looked: one that the learner's own
# try/except hid still fails the exercise.
BOOK_CALLS = []


def _draws_nothing(*args, **kwargs):
    """The book's 2.4 plotting helpers d2l.plot and d2l.set_figsize while grading
    (3.1 and 3.2 plot with them at the top of the learner's file)."""


# What d2l's stand-in lends: the grader's versions of the book's helpers that
# are no exercise (set_axes, ...: Learner adds its stand-ins), and, while an
# exercise runs, the stand-ins of the exercises it uses (Learner._standing_in).
BOOK_HELPERS = {"plot": _draws_nothing, "set_figsize": _draws_nothing}
BOOK_LENT = {}


def _lent(name):
    """What d2l's stand-in lends for d2l's `name`, or None."""
    return BOOK_LENT.get(name) or BOOK_HELPERS.get(name)


class BookPackage:
    """Stands for the d2l package, or a name imported from it, in the learner's
    code: an attribute is another stand-in, a call raises BookCalled. `written`
    is how the learner's code names it (d2l.sgd), `origin` its name in d2l.

    The book's code as printed passes, though: d2l.plt is matplotlib's pyplot
    (the book's show_images and Animator draw with it), d2l's helpers that are
    no exercise are the grader's (Animator's d2l.set_axes, 3.5's
    d2l.use_svg_display(), 3.1's d2l.plot), and while an exercise runs, d2l's names of the
    exercises it uses are their stand-ins, as its own names of them are
    (predict_ch3's d2l.show_images)."""

    def __init__(self, written, origin):
        self._written, self._origin = written, origin

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        if name == "plt":
            import matplotlib.pyplot
            return matplotlib.pyplot
        lent = _lent(name)
        if lent is not None:
            return lent
        return BookPackage(f"{self._written}.{name}", f"{self._origin}.{name}")

    def __call__(self, *args, **kwargs):
        lent = _lent(self._origin.rsplit(".", 1)[-1])
        if lent is not None:  # from d2l.torch import set_axes
            return lent(*args, **kwargs)
        BOOK_CALLS.append(BookCalled(self._written, self._origin))
        raise BOOK_CALLS[-1]

    def __repr__(self):
        return f"<{self._written}, from the d2l package, which is not loaded while grading>"


def book_message(label, exercise, error):
    """What a learner reads when `label` (their exercise, its method, or a file's code)
    calls d2l."""
    if error.origin.rsplit(".", 1)[-1] == exercise:
        return _("{label} calls {written}(...), the d2l package's own {exercise}: this"
                 " exercise asks you to write it yourself. The kit does not need the d2l package:"
                 " call your own {exercise}(...), not {written}(...).").format(
                     label=label, written=error.written, exercise=exercise)
    return _("{label} calls {written}(...), from the book's d2l package, which is not loaded"
             " while grading. The kit does not need the d2l package: call your own functions,"
             " for example your own sgd(...), not d2l.sgd(...).").format(
                 label=label, written=error.written)


def _is_book(name):
    return name == "d2l" or name.startswith("d2l.")


class _BookImports(ast.NodeTransformer):
    """Turns each import of the d2l package, wherever it is, into assignments
    of stand-ins; `lines` are the line numbers of those it turned."""

    def __init__(self):
        self.lines = []

    def _bind(self, node, bindings):
        self.lines.append(node.lineno)
        made = [ast.Assign([ast.Name(local, ast.Store())],
                           ast.Call(ast.Name(BOOK_BINDING, ast.Load()),
                                    [ast.Constant(local), ast.Constant(origin)], []))
                for local, origin in bindings]
        for statement in made:
            ast.fix_missing_locations(ast.copy_location(statement, node))
        return made or [ast.copy_location(ast.Pass(), node)]

    def visit_Import(self, node):
        if not any(_is_book(a.name) for a in node.names):
            return node
        others = [a for a in node.names if not _is_book(a.name)]
        made = self._bind(node, [(a.asname, a.name) if a.asname else
                                 (a.name.split(".")[0], "d2l")
                                 for a in node.names if _is_book(a.name)])
        return [ast.copy_location(ast.Import(others), node)] * bool(others) + made

    def visit_ImportFrom(self, node):
        if node.level or not _is_book(node.module or ""):
            return node
        return self._bind(node, [(a.asname or a.name, f"{node.module}.{a.name}")
                                 for a in node.names if a.name != "*"])


def read_source(path):
    """The text of a learner's .py file, decoded as Python decodes source (UTF-8
    unless a coding line says otherwise); raises SourceProblem."""
    data = path.read_bytes()
    try:
        return importlib.util.decode_source(data)
    except (UnicodeDecodeError, SyntaxError) as e:
        line = data[:getattr(e, "start", 0)].count(b"\n") + 1
        raise SourceProblem(_("{file} is not UTF-8 text (line {line} holds a byte that UTF-8"
                              " does not allow): save it as UTF-8 in your editor and hand it in"
                              " again.").format(file=path.name, line=line)) from None


def parse_source(source, filename):
    """(tree, numbers of the lines blanked): `source` parsed as Python, as it is if
    it parses, else with IPython's magic and shell lines (%..., !..., x = !...)
    blanked, which keeps every other line's number. Raises SyntaxError."""
    try:
        return ast.parse(source, filename), []
    except SyntaxError:
        lines = source.splitlines(keepends=True)
        blanked = [n for n, line in enumerate(lines, 1) if SHELL_LINE.match(line)]
        if not blanked:
            raise
        for n in blanked:
            lines[n - 1] = "\n"
        return ast.parse("".join(lines), filename), blanked


def _is_docstring(node):
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)


def _is_grading_call(node):
    """A `grader.check(...)` statement: the notebook front-end's own cell, which
    grading a notebook skips without a note."""
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) \
        and isinstance(node.value.func, ast.Attribute) and node.value.func.attr == "check" \
        and isinstance(node.value.func.value, ast.Name) and node.value.func.value.id == "grader"


def _is_stub(node):
    """A def whose body only raises NotImplementedError (after its docstring),
    or a class whose methods are all such defs: the kit's untouched stub."""
    if isinstance(node, ast.ClassDef):
        defs = [n for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        return bool(defs) and all(map(_is_stub, defs))
    body = node.body[1:] if _is_docstring(node.body[0]) else node.body
    if len(body) != 1 or not isinstance(body[0], ast.Raise) or body[0].exc is None:
        return False
    raised = body[0].exc.func if isinstance(body[0].exc, ast.Call) else body[0].exc
    return isinstance(raised, ast.Name) and raised.id == "NotImplementedError"


def _bound_names(target):
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from _bound_names(element)


def definitions(statements):
    """{name: whether it is implemented} for each name that top-level
    `statements` bind by def, class or assignment, by its last binding: a stub
    (see _is_stub) is not an implementation."""
    found = {}
    for node in statements:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found[node.name] = not _is_stub(node)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            found.update((name, True) for t in targets for name in _bound_names(t))
    return found


def _simple(node, libraries):
    """Whether evaluating the expression `node` calls only the libraries' functions
    (by the names `libraries` bound) and SIMPLE_CALLS; a lambda's body does not
    run when it is assigned."""
    if isinstance(node, ast.Lambda):
        return all(_simple(d, libraries) for d in node.args.defaults + node.args.kw_defaults
                   if d is not None)
    if isinstance(node, (ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr)):
        return False
    if isinstance(node, ast.Call):
        root = node.func
        while isinstance(root, (ast.Attribute, ast.Call)):
            root = root.value if isinstance(root, ast.Attribute) else root.func
        if not isinstance(root, ast.Name) or not (
                root.id in libraries or (root.id in SIMPLE_CALLS and root is node.func)):
            return False
    return all(_simple(child, libraries) for child in ast.iter_child_nodes(node))


def _part_of_a_value(node, libraries):
    """Whether the expression `node` is an attribute or an item of a value that is
    no library's (3.3's `net[0].bias.data`, `X.shape[1]`)."""
    root = node
    while isinstance(root, (ast.Attribute, ast.Subscript)):
        root = root.value
    return root is not node and not (isinstance(root, ast.Name) and root.id in libraries)


def kept_statement(node, libraries):
    """Whether a notebook's top-level statement runs when it is graded: an import,
    a def or class, or an assignment to plain names of an expression that calls
    only torch (and the like: `libraries` are the names bound to them) and a few
    built-ins, such as `W = torch.normal(0, 0.01, size=(784, 10), requires_grad=True)`
    or `lr = 0.1`, and that is not a part of another value (3.3's
    `b = net[0].bias.data` reads what a training run made, and would rebind the
    `b` that 3.6's net reads)."""
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef,
                         ast.ClassDef)):
        return True
    if isinstance(node, ast.Assign):
        targets, value = node.targets, node.value
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        targets, value = [node.target], node.value
    else:
        return False
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) \
            and value.func.id == BOOK_BINDING:
        return True  # a d2l import, turned into a stand-in
    plain = all(isinstance(t, ast.Name) or (isinstance(t, (ast.Tuple, ast.List)) and all(
        isinstance(e, ast.Name) for e in t.elts)) for t in targets)
    return plain and _simple(value, libraries) and not _part_of_a_value(value, libraries)


def _library_names(node):
    """The names an import binds to LIBRARIES or to what they hold."""
    if isinstance(node, ast.Import):
        return {a.asname or a.name.split(".")[0] for a in node.names
                if a.name.split(".")[0] in LIBRARIES}
    if isinstance(node, ast.ImportFrom) and not node.level and \
            (node.module or "").split(".")[0] in LIBRARIES:
        return {a.asname or a.name for a in node.names}
    return set()


# What _numbers counts: (one, several), each with {numbers}.
CELLS = (N_("cell {numbers}"), N_("cells {numbers}"))
LINES = (N_("line {numbers}"), N_("lines {numbers}"))


def _numbers(word, numbers):
    """cell 2, or cells 1, 2 and 5 (sorted, once each); `word` is CELLS or LINES."""
    items = [str(n) for n in sorted(set(numbers))]
    if len(items) == 1:
        return _(word[0]).format(numbers=items[0])
    return _(word[1]).format(numbers=_("{some} and {last}").format(some=", ".join(items[:-1]),
                                                                 last=items[-1]))


class LoadNotes:
    """What was not run, or failed, when one learner file was loaded: collected
    while loading, told as one note (a sentence per kind)."""

    def __init__(self, name, notebook):
        self.name, self.notebook = name, notebook
        self.shell, self.book, self.skipped, self.failed, self.unreadable = [], [], [], [], []
        self.stopped = None

    def text(self):
        """The note, or None if there is nothing to tell."""
        name, where = self.name, CELLS if self.notebook else LINES
        said = []
        # In a notebook, d2l is the kit's (grader.learner.kernel), and the release's
        # imports cell imports it: only a call of d2l's version of an exercise
        # matters, and its exercise's message says so.
        if self.book and not self.notebook:
            said.append(_("{name}: the grader did not import the d2l package ({where}): the kit"
                          " does not need it, so call your own functions, for example your own"
                          " sgd(...), not d2l.sgd(...).").format(
                              name=name, where=_numbers(where, self.book)))
        if self.shell:
            said.append(_("{name}: the grader skipped the magic and shell lines (%... and !...)"
                          " in {where}; they are not Python.").format(
                              name=name, where=_numbers(where, self.shell)))
        if self.skipped:
            said.append(_("{name}: the grader did not run the statements of {where} that are"
                          " not imports, definitions or simple assignments, such as training"
                          " runs, plots and prints: a notebook is graded on its"
                          " definitions.").format(name=name,
                                                  where=_numbers(CELLS, self.skipped)))
        for cell, line, error in self.failed:
            said.append(_("{name}: cell {cell}, line {line} failed ({error}), and the grader"
                          " went on without it.").format(
                              name=name, cell=cell, line=line,
                              error=f"{type(error).__name__}: {error}"))
        for cell, error in self.unreadable:
            said.append(_("{name}: cell {cell} is not valid Python (SyntaxError: {error}, line"
                          " {line}), and the grader skipped it.").format(
                              name=name, cell=cell, error=error.msg, line=error.lineno))
        if self.stopped:
            said.append(_("{name}: running its definitions took longer than {seconds} s, so the"
                          " grader stopped there; the cells after it were not run.").format(
                              name=name, seconds=f"{self.stopped:g}"))
        return Said.lines(said) if said else None


def notebook_cells(path):
    """[(cell number, counted from 1 over all cells, source)] of a notebook's code
    cells, nbformat 4 or 3, outputs unread; raises SourceProblem."""
    try:
        notebook = json.loads(path.read_bytes())
    except UnicodeDecodeError:
        raise SourceProblem(_("{file} is not UTF-8 text, as every notebook Jupyter saves is:"
                              " open it in Jupyter, save it again and hand it in"
                              " again.").format(file=path.name)) from None
    except ValueError as e:
        raise SourceProblem(_("{file} is not a notebook the grader can read: it is not valid"
                              " JSON ({error}). Open it in Jupyter; if it opens, save it again"
                              " and hand that in.").format(file=path.name, error=e)) from None
    version = notebook.get("nbformat") if isinstance(notebook, dict) else None
    if version == 3:
        cells, key = [c for sheet in notebook.get("worksheets") or [] if isinstance(sheet, dict)
                      for c in sheet.get("cells") or []], "input"
    elif isinstance(version, int) and version >= 4:
        cells, key = notebook.get("cells"), "source"
        if not isinstance(cells, list):
            raise SourceProblem(_("{file} is not a notebook the grader can read: it says nbformat"
                                  " {version} but has no list of cells. Open it in Jupyter; if"
                                  " it opens, save it again and hand that in.").format(
                                      file=path.name, version=version))
    else:
        raise SourceProblem(_("{file} is not a notebook the grader can read (its nbformat is"
                              " {version}, not 3 or 4): open it in Jupyter, save it again and"
                              " hand that in.").format(file=path.name, version=repr(version)))
    code = []
    for number, cell in enumerate(cells, 1):
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            text = cell.get(key, "")
            text = "".join(text) if isinstance(text, list) else text
            if isinstance(text, str):
                code.append((number, text))
    if not code:
        raise SourceProblem(_("{file} has no code cells, so it has nothing to grade.").format(
            file=path.name))
    return code


@contextmanager
def _importing(folder, siblings):
    """While learner code loads: `folder` first on sys.path, so that one learner
    module may import another, and none of `siblings` (the learner's module
    names) left in sys.modules from another implementation, before or after."""
    sys.path.insert(0, str(folder))
    saved = {name: sys.modules.pop(name) for name in siblings if name in sys.modules}
    try:
        yield
    finally:
        sys.path.remove(str(folder))
        for name in siblings:
            sys.modules.pop(name, None)
        sys.modules.update(saved)


class Loaded:
    """A learner file once loaded: `module` (a module, or an Outcome if it could
    not be loaded), `defined` ({name: implemented?}, see definitions()), `note`
    (LoadNotes.text()) and, for a notebook, `definitions` (see Cells)."""

    def __init__(self, module, defined=None, note=None, definitions=None):
        self.module, self.defined, self.note = module, defined or {}, note
        self.definitions = definitions or {}

    def binding(self, name):
        """What the file's `name` is graded as: its definition, else its module's binding."""
        if name in self.definitions:
            return self.definitions[name]
        return getattr(self.module, name, None)


def _unique_name(folder, stem):
    safe = re.sub(r"\W", "_", stem)
    return f"_d2lkit_{abs(hash(folder))}_{safe}"


def not_imported(file, error):
    """The message of a learner's module that could not be imported."""
    return _("{file} could not be imported: {error}").format(file=file, error=error)


def import_too_long(file, seconds):
    """The message of a learner's module whose import did not end in time."""
    return _("importing {file} did not finish within {seconds} s: is there a loop that never"
             " ends?").format(file=file, seconds=f"{seconds:g}")


def _pad(word):
    """`word` padded to the eight columns of a message's labels (as
    grader.learner.feedback.label, which this module cannot import)."""
    return word + " " * (8 - sum(1 + (unicodedata.east_asian_width(c) in "WF") for c in word))


def load_module(folder, module, import_timeout=None, siblings=()):
    """Import folder/<module>.py under a unique name (see the comment above for
    the book's lines); a Loaded whose module is an Outcome (Missing or
    BrokenModule) if it could not be. `siblings` are the other learner modules,
    which it may import from the same folder."""
    path = folder / f"{module}.py"
    if not path.is_file():
        return Loaded(Missing(module, _("{file} is missing from {folder}/").format(
            file=path.name, folder=folder.name)))
    notes = LoadNotes(path.name, notebook=False)
    try:
        tree, notes.shell = parse_source(read_source(path), str(path))
    except SourceProblem as e:
        return Loaded(BrokenModule(module, e.args[0]))
    except SyntaxError as e:
        return Loaded(BrokenModule(module, not_imported(path.name, f"SyntaxError: {e}")))
    books = _BookImports()
    tree = books.visit(tree)
    notes.book = books.lines
    # A unique name, so several implementations can live in one process.
    spec = importlib.util.spec_from_file_location(_unique_name(folder, module), path)
    mod = importlib.util.module_from_spec(spec)
    mod.__dict__[BOOK_BINDING] = BookPackage
    try:
        with _importing(folder, {module, *siblings}), time_limit(import_timeout, module):
            exec(compile(tree, str(path), "exec"), mod.__dict__)
    except TimedOut:
        return Loaded(BrokenModule(module, import_too_long(path.name, import_timeout)))
    except BaseException as e:  # noqa: B036 - even SystemExit at import is a broken module
        at = "\n  " + _pad(_("at")) + " "
        where = "".join(at + line for line in _learner_frames(e, folder))
        error = book_message(_("its code"), None, e) if isinstance(e, BookCalled) \
            else f"{type(e).__name__}: {e}"
        return Loaded(BrokenModule(module, not_imported(path.name, error + where)))
    return Loaded(mod, definitions(tree.body), notes.text())


def load_notebook(path, folder, import_timeout=None, siblings=()):
    """Run the kept statements (kept_statement) of the notebook at `path`, in
    order, into a module of its own (see Cells); a Loaded (its module an Outcome
    if the notebook cannot be read at all). A statement that fails is noted and
    skipped; after `import_timeout` s in all, the rest is skipped."""
    try:
        cells = notebook_cells(path)
    except SourceProblem as e:
        return Loaded(BrokenModule(path.stem, e.args[0]), note=e.args[0])
    run = Cells(_unique_name(folder, path.name), LoadNotes(path.name, notebook=True))
    run.module.__file__ = str(path)
    try:
        with _importing(folder, siblings), time_limit(import_timeout, path.stem):
            for number, text in cells:
                run.cell(number, text, f"{path} [cell {number}]")
    except TimedOut:
        run.notes.stopped = import_timeout
    return Loaded(run.module, run.defined, run.notes.text(), run.definitions)


def _is_definition(value):
    """Whether an assignment of `value` to a name defines it as a function or a
    class would (an alias: softmax = my_softmax, a lambda, d2l's function that
    `from d2l.torch import softmax` binds), rather than giving it a value
    (net = nn.Sequential(...))."""
    return inspect.isroutine(value) or isinstance(value, (type, BookPackage))


def _names_bound(node):
    """The names a top-level statement binds."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [a.asname or a.name.split(".")[0] for a in node.names if a.name != "*"]
    targets = node.targets if isinstance(node, ast.Assign) else \
        [node.target] if isinstance(node, (ast.AnnAssign, ast.AugAssign)) else []
    return [name for target in targets for name in _bound_names(target)]


class Cells:
    """A notebook's code cells, run one after another into one new module named
    `name`: of each cell only the kept statements (kept_statement), each on its
    own, so that one that fails does not lose the rest. `notes` (LoadNotes)
    collects what was not run or failed.

    A name's definition is its last def or class, or its last assignment of a
    function or a class (an alias, see _is_definition); a later assignment of a
    value (3.7's `net = nn.Sequential(...)` after 3.6's `def net`) rebinds the
    name in the module but does not replace the definition, which is what is
    graded. After the cells run:
    - `defined`: {name: implemented?} for each name bound, by its definition
      (a stub is not implemented), or by its last assignment if it has none;
    - `definitions`: {name: the function or class of its definition};
    - `defined_in`, `assigned_in`, `bound_in`: {name: the cell of its
      definition}, {name: the cell of the last statement that ran and bound it},
      {name: the cell of the last statement, run or not, that binds it};
    - `lost`: {name: (cell, line, error)} of the names that a statement which
      failed would have bound (and no later one bound).
    """

    def __init__(self, name, notes):
        self.module = types.ModuleType(name)
        self.module.__dict__[BOOK_BINDING] = BookPackage
        self.notes, self.libraries = notes, set()
        self.defined, self.definitions, self.lost = {}, {}, {}
        self.defined_in, self.assigned_in, self.bound_in = {}, {}, {}

    def cell(self, number, text, filename):
        """Run the kept statements of the code cell `number`, its source `text`,
        compiled under `filename` (which names it in tracebacks)."""
        notes = self.notes
        magic = re.match(r"\s*%%(\w+)", text)
        if magic and magic.group(1) not in PYTHON_CELL_MAGICS:
            notes.shell.append(number)  # %%bash, %%writefile, ...: not Python
            return
        try:
            tree, blanked = parse_source(text, filename)
        except SyntaxError as e:
            notes.unreadable.append((number, e))
            return
        notes.shell += [number] * bool(blanked)
        books = _BookImports()
        tree = books.visit(tree)
        notes.book += [number] * bool(books.lines)
        # So that tracebacks show the cell's lines.
        linecache.cache[filename] = (len(text), None, text.splitlines(keepends=True), filename)
        for node in tree.body:
            self.bound_in.update(dict.fromkeys(_names_bound(node), number))
            if not kept_statement(node, self.libraries):
                if not (_is_docstring(node) or _is_grading_call(node)):
                    notes.skipped.append(number)
                continue
            self.libraries |= _library_names(node)
            try:
                exec(compile(ast.Module([node], []), filename, "exec"), self.module.__dict__)
            except (Exception, SystemExit, BookCalled) as e:
                notes.failed.append((number, node.lineno, e))
                self.lost.update(dict.fromkeys(_names_bound(node), (number, node.lineno, e)))
                continue
            self._bound(node, number)

    def _bound(self, node, number):
        """Note the names `node`, which ran in cell `number`, bound (an import
        defines nothing: a notebook that imports a learner's module grades it there)."""
        definition = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        for name in _names_bound(node):
            self.lost.pop(name, None)
            self.assigned_in[name] = number
            value = self.module.__dict__.get(name)
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            if definition or _is_definition(value):
                self.definitions[name], self.defined_in[name] = value, number
                self.defined[name] = not (definition and _is_stub(node))
            elif name not in self.definitions:
                self.defined[name] = True


def notebooks_in(folder):
    """The notebooks in `folder` (not in its sub-folders), sorted by name."""
    return sorted(p for p in Path(folder).glob("*.ipynb") if p.is_file())


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
        name = getattr(func, "__name__", "").split(".")[0].lstrip("_").removeprefix("special_") \
            .removeprefix("linalg_")
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
              "torch._C._VariableFunctions": "torch", "torch._ops.aten": "torch.ops.aten",
              "torch._C._linalg": "torch.linalg"}
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
        """What ends a guarded call that raised `error`: an outcome this module made
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
                            _learner_frames(error, self.folder), label)

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
