"""In a Jupyter kernel, `grader.check` grades the notebook's definitions, as
`python -m grader grade` grades the saved notebook, not the live globals that
later cells change (the book's 3.6.6 trains W in place; 3.3 and 3.7 rebind
`net`).

The kernel's input history (IPython's raw input, in the order the cells ran)
is run again into a namespace of its own by the same definitions-only loader
as a saved notebook's (grader.portable.cells.Cells: imports, def and class, simple
assignments; no training run, plot or print). The history only grows, so the
namespace is kept between checks and only the cells run since are run into
it. What the live globals say that the definitions do not (a name rebound
since, a parameter trained since, a helper the notebook lacks) is told in
one note line of the exercise's message.
"""
import dis
import sys
import types
from collections import ChainMap
from pathlib import Path

import torch

from grader.portable.cells import Cells, is_definition
from grader.portable.importing import LoadNotes, importing, unique_name
from grader.portable.outcomes import TimedOut
from grader.portable.places import KERNEL_CELL
from grader.portable.time_limits import time_limit
from grader.exercises import BY_NAME, MODULES
from grader.grading.grades import Status
from grader.grading.wording import label
from grader.i18n import _

# How long running the history's definitions again may take, as an import's.
REPLAY_SECONDS = 60.0
# The one replay kept between checks (a kernel has one history).
_KEPT = []


def kernel_history(names):
    """[(execution count, raw source)] of the cells an IPython kernel ran, in
    order, if `names` are its notebook's globals; else None (a plain script)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython else None
    history = getattr(getattr(shell, "history_manager", None), "input_hist_raw", None)
    if history is None or shell.user_ns is not names:
        return None
    return [(count, text) for count, text in enumerate(history) if count]


class Replay:
    """The history's cells run into one namespace (Cells) with the learner's
    folder `folder`: each cell compiled as <folder>/In [count], so that the
    learner's frames name the cell. `history`: the cells run so far;
    `stopped`: the cell at which running took too long, or None."""

    def __init__(self, folder):
        self.folder, self.history, self.stopped = folder, [], None
        self.cells = Cells(unique_name(folder, "kernel"), LoadNotes("", True))
        # The cells ran in the kernel's __main__: what they warn is filtered as there
        # (Python shows a DeprecationWarning of __main__'s code, and of no other module's).
        vars(self.cells.module)["__name__"] = "__main__"

    def sources(self):
        """The cells run so far as the learner's files, a notebook (nbformat 4)."""
        import json
        cells = [{"cell_type": "code", "source": text, "metadata": {}, "outputs": [],
                  "execution_count": count} for count, text in self.history]
        return {"kernel.ipynb": json.dumps({"nbformat": 4, "nbformat_minor": 5,
                                            "metadata": {}, "cells": cells}).encode()}

    def run(self, history):
        """Run the cells of `history` that follow those run so far."""
        with importing(self.folder, MODULES), time_limit(REPLAY_SECONDS, "notebook"):
            for count, text in history[len(self.history):]:
                self.stopped = count
                self.cells.cell(count, text, str(self.folder / KERNEL_CELL.format(
                    number=count)))
                self.history.append((count, text))
                self.stopped = None

    def names(self, live):
        """The notebook's names as grading reads them: each name's definition,
        else its binding by the cells run again, else the live one (a function
        that no cell of the history defines, such as one exec() made)."""
        return ChainMap(self.cells.definitions, vars(self.cells.module), live)


def replayed(live):
    """The Replay of the kernel whose notebook's globals are `live`, brought up to
    date; None outside a kernel. Must run where the global random state is
    restored afterwards (its assignments draw W)."""
    history = kernel_history(live)
    if history is None:
        return None
    folder = Path.cwd().resolve()
    kept = _KEPT[0] if _KEPT else None
    if kept is None or kept.folder != folder or kept.stopped is not None or \
            kept.history != history[:len(kept.history)]:
        kept = Replay(folder)
        _KEPT[:] = [kept]
    try:
        kept.run(history)
    except TimedOut:
        pass  # kept.stopped says where; the next check starts again
    return kept


def in_cell(number):
    return _(KERNEL_CELL).format(number=number)


def globals_read(definition):
    """The global names a function, or a class's methods (their lambdas and
    inner functions included), read."""
    functions = [getattr(v, "__func__", v) for v in vars(definition).values()] \
        if isinstance(definition, type) else [definition]
    codes = [f.__code__ for f in functions if hasattr(f, "__code__")]
    names = set()
    while codes:
        code = codes.pop()
        names |= {i.argval for i in dis.get_instructions(code)
                  if i.opname in ("LOAD_GLOBAL", "LOAD_NAME")}
        codes += [c for c in code.co_consts if isinstance(c, types.CodeType)]
    return names


def note(replay, live, exercise, status):
    """The one line that tells what the live globals say of `exercise` that its
    graded definition does not, or None."""
    cells = replay.cells
    definition = cells.definitions.get(exercise)
    if replay.stopped is not None and status != Status.PASSED:
        return _("Running your notebook's definitions again took longer than {seconds} s, so"
                 " the grader stopped at {cell}; the cells after it were not run.").format(
                     seconds=f"{REPLAY_SECONDS:g}", cell=in_cell(replay.stopped))
    if definition is None:
        return None
    value = live.get(exercise, definition)
    if not is_definition(value):
        return _("{name} now holds a {kind}, which {bound} bound to it; the grader graded the"
                 " {name} that {defined} defines, the exercise's definition, not what the name"
                 " holds now.").format(name=exercise, kind=type(value).__name__,
                                       bound=in_cell(cells.bound_in.get(exercise)),
                                       defined=in_cell(cells.defined_in[exercise]))
    reads = globals_read(definition)
    lost = sorted(reads & cells.lost.keys())
    if lost:
        number, line, error = cells.lost[lost[0]]
        return _("{name} is not defined while {exercise} is graded: the grader runs your"
                 " notebook's imports, definitions and simple assignments again, and {cell},"
                 " line {line} failed there ({error}).").format(
                     name=lost[0], exercise=exercise, cell=in_cell(number), line=line,
                     error=f"{type(error).__name__}: {error}")
    again = sorted(name for name in reads - cells.definitions.keys()
                   if cells.assigned_in.get(name, 0) > cells.defined_in[exercise])
    if again and status != Status.PASSED:
        return _("{exercise} reads {name}, which {cell} assigned again after {defined} defined"
                 " {exercise}: the grader graded {exercise} with that {name}, as the name holds"
                 " it when your cells have all run.").format(
                     exercise=exercise, name=again[0], cell=in_cell(cells.assigned_in[again[0]]),
                     defined=in_cell(cells.defined_in[exercise]))
    trained = sorted(name for name in reads & vars(cells.module).keys()
                     if isinstance(live.get(name), torch.Tensor) and live[name]._version > 0)
    if trained:
        return _("{exercise} reads {names}, which your notebook has since changed in place"
                 " (training does that): the grader graded {exercise} with the values your"
                 " cells give {names}, not the changed ones.").format(
                     exercise=exercise, names=", ".join(trained))
    lent = [name for name in BY_NAME[exercise].helpers
            if name in reads and name not in vars(cells.module) and name not in live]
    if lent:
        return _("{exercise} calls {names}, which your notebook does not define: the grader"
                 " lends its own while grading, but your own cells stop there with NameError."
                 " Call them as the book does: d2l.use_svg_display() and d2l.set_axes(...)"
                 " (after `from d2l import torch as d2l`), display.display(...) (after `from"
                 " IPython import display`).").format(exercise=exercise, names=", ".join(lent))
    return None


def with_note(result, line):
    """`result` (an exercise's entry of a grade) with the note `line` after its message."""
    if line is None:
        return result
    return {**result, "feedback": result["feedback"] + "\n" + label(_("note")) + line}
