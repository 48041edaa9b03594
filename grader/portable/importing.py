"""Loading the learner's files into modules (load_module, load_notebook).

A .py module is imported whole, as Python would, but for two kinds of line that
come from the book's notebooks: IPython's `%magic` and `!shell` lines (a
SyntaxError in Python) are left out, and an import of the d2l package binds a
stand-in instead (BookPackage), so that no function of the book's package is ever
graded. A notebook (.ipynb) is read as JSON, its outputs unread; of its code cells,
in order, only imports, definitions (def, class) and simple assignments run
(kept_statement), each statement on its own, so that one that fails does not lose
the rest: a learner's training runs, plots and endless loops are never run.
LoadNotes tells the learner what was not run, or failed, in each file.
"""
import importlib.util
import re
import sys
import unicodedata
from contextlib import contextmanager

from grader.portable.book import BOOK_BINDING, BookCalled, BookImports, BookPackage, book_message
from grader.portable.cells import Cells
from grader.portable.outcomes import BrokenModule, Missing, TimedOut
from grader.portable.places import learner_frames
from grader.portable.said import N_, Said, _
from grader.portable.sources import (SourceProblem, definitions, notebook_cells, parse_source,
                                     read_source)
from grader.portable.time_limits import time_limit

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


@contextmanager
def importing(folder, siblings):
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


def unique_name(folder, stem):
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
    books = BookImports()
    tree = books.visit(tree)
    notes.book = books.lines
    # A unique name, so several implementations can live in one process.
    spec = importlib.util.spec_from_file_location(unique_name(folder, module), path)
    mod = importlib.util.module_from_spec(spec)
    mod.__dict__[BOOK_BINDING] = BookPackage
    try:
        with importing(folder, {module, *siblings}), time_limit(import_timeout, module):
            exec(compile(tree, str(path), "exec"), mod.__dict__)
    except TimedOut:
        return Loaded(BrokenModule(module, import_too_long(path.name, import_timeout)))
    except BaseException as e:  # noqa: B036 - even SystemExit at import is a broken module
        at = "\n  " + _pad(_("at")) + " "
        where = "".join(at + line for line in learner_frames(e, folder))
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
    run = Cells(unique_name(folder, path.name), LoadNotes(path.name, notebook=True))
    run.module.__file__ = str(path)
    try:
        with importing(folder, siblings), time_limit(import_timeout, path.stem):
            for number, text in cells:
                run.cell(number, text, f"{path} [cell {number}]")
    except TimedOut:
        run.notes.stopped = import_timeout
    return Loaded(run.module, run.defined, run.notes.text(), run.definitions)
