"""Grading inside a Jupyter notebook (or Colab, or IPython): `grader.check("softmax")`
grades the functions as the notebook's cells define them, and `grader.check()`
grades them all. The third learner front-end, beside the pytest plugin and
watch mode: the same checks and grading core as the instructor command
(grader.grading.session.grade), the same texts (grader.learner.feedback).

In a kernel, what is graded is each exercise's definition, the cells that ran
run again by the saved notebook's loader (grader.learner.replay), so that the book's
later cells (which train W in place and rebind net) change no grade, and
`python -m grader grade` on the saved notebook agrees. Elsewhere (a script),
the caller's globals stand for every learner module at once. The kernel keeps
torch, Hypothesis, the suite and Fashion-MNIST loaded, so checking again costs
only the checks. Grading leaves the notebook as it was: its variables (the
bindings, and the values of tensors bound to them) and the global random
generators of torch, random and numpy.
"""
import gc
import html
import random
import warnings
from contextlib import contextmanager, nullcontext
from pathlib import Path

import numpy as np
import torch

from grader import i18n
from grader.learner import kernel as book
from grader.learner import feedback
from grader.grading.grades import SHORT, Status
from grader.grading.session import grade
from grader.exercises import BY_NAME, DEFAULT_POINTS, MODULES, NAMES, seam_spec
from grader.grading.data import shared_features
from grader.i18n import N_, _, speaking
from grader.portable.oracle import ORACLE, showing_nothing
from grader.portable.process import freeze_loaded, ignore_book_float_warning, use_threads
from grader.learner.replay import note, replayed, with_note
from grader.portable.seam import Learner

# How the learner grades one exercise from a notebook, for the "next:" line.
COMMAND = 'grader.check("{}")'
# What the seam says of a function that is not written yet or not defined names
# the learner's .py file; in a notebook these are said instead (translated where
# shown; {kind}: KINDS').
NOTEBOOK_MESSAGES = {
    Status.NOT_ATTEMPTED: N_("{name}() still raises NotImplementedError: write it in its cell of"
                        " the notebook, run that cell, then check again."),
    Status.MISSING: N_("{name}: the notebook defines no {kind} {name}(): run the cell that defines"
                  " it (or define it under that name), then check again."),
}
KINDS = {True: N_("class"), False: N_("function")}


class Namespace:
    """The notebook's globals read as a module: `view.softmax` is whatever the
    name is bound to when a check asks for it."""

    def __init__(self, names):
        self._names = names

    def __getattr__(self, name):
        try:
            return self._names[name]
        except KeyError:
            raise AttributeError(name) from None


def learner_folder(names):
    """The folder of the files the notebook's code was compiled from (a kernel
    keeps each cell in a file of one folder), so that the seam can show the
    learner's lines in a traceback; the working folder if none is known."""
    for name in NAMES:
        code = getattr(names.get(name), "__code__", None) or getattr(
            getattr(names.get(name), "__init__", None), "__code__", None)
        if code is not None and not code.co_filename.startswith("<"):
            return Path(code.co_filename).parent
    return Path.cwd()


def notebook_learner(names, call_timeout=10.0, allow_builtins=False, folder=None,
                     sources=None):
    """A grader.portable.seam.Learner whose every module is the namespace `names`, whose
    code was compiled from files in `folder` (None: see learner_folder);
    `sources`: the files it came from, which the from-scratch rule reads."""
    view = Namespace(names)
    return Learner(folder or learner_folder(names), seam_spec(allow_builtins),
                   call_timeout=call_timeout, stand_ins=vars(ORACLE),
                   loaded={module: view for module in MODULES}, sources=sources)


def in_notebook_words(result, name):
    """`result` (one exercise of a grade) with the notebook's words for statuses
    whose message names the learner's .py file."""
    template = NOTEBOOK_MESSAGES.get(result["status"])
    if template is None:
        return result
    kind = _(KINDS[BY_NAME[name].instance])
    return {**result, "feedback": _(template).format(name=name, kind=kind)}


@contextmanager
def kept_as_it_was(names):
    """Whatever grading does, the notebook's variables and random state come back:
    names bound, rebound or deleted are restored, tensors bound to names get
    their values (and gradients) back, and so do the global generators."""
    bindings = dict(names)
    # Only a leaf has a gradient of its own: a non-leaf's .grad (the book's 3.2.7
    # leaves its loss `l` bound) is None, and reading it makes torch warn.
    tensors = {key: (value, value.detach().clone(), value.grad if value.is_leaf else None)
               for key, value in bindings.items() if isinstance(value, torch.Tensor)}
    rng = torch.get_rng_state(), random.getstate(), np.random.get_state()
    threads = torch.get_num_threads()
    printing = vars(torch._tensor_str.PRINT_OPTS).copy()
    try:
        yield
    finally:
        for key in [key for key in names if key not in bindings]:
            del names[key]
        names.update((key, value) for key, value in bindings.items()
                     if names.get(key, bindings) is not value)
        with torch.no_grad():
            for value, saved, grad in tensors.values():
                if value.shape == saved.shape and not torch.equal(value, saved):
                    value.copy_(saved)
                if value.is_leaf:
                    value.grad = grad
        torch.set_rng_state(rng[0])
        random.setstate(rng[1])
        np.random.set_state(rng[2])
        torch.set_num_threads(threads)
        vars(torch._tensor_str.PRINT_OPTS).update(printing)


def _not_shown(*args, **kwargs):
    """warnings.showwarning that shows nothing."""


@contextmanager
def grading_lightly():
    """While the block runs: pyplot's interactive mode is off, so that the inline
    backend does not hold every figure the checks draw until the cell ends;
    what the kernel held before is out of the garbage collector's sight
    (freeze_loaded), so that its full passes skip the million objects of torch,
    Hypothesis and IPython;
    and no warning is shown: the kit's own are not the learner's to read, and
    the learner's code's are counted (grader.portable.warned) and said once.
    All are as they were after it."""
    import matplotlib.pyplot as plt
    freezing = freeze_loaded()
    try:
        with plt.ioff(), warnings.catch_warnings():
            warnings.showwarning = _not_shown
            yield
    finally:
        if freezing:
            gc.unfreeze()


def check_names(names, exercise=None, *, call_timeout=10.0, allow_builtins=False, points=None,
                fashion=shared_features, lang=None):
    """Grade `exercise` (None: every exercise) as the namespace `names` defines it;
    a Result. The namespace and the global random state are left as they were.
    `fashion`: a function returning the Fashion-MNIST features to train on
    (by default the whole data set, loaded once per process). `lang`: the
    language of the messages and of the Result's display (None: the locale's)."""
    lang = lang or i18n.language_from_environment()
    with speaking(lang):
        if exercise is not None and exercise not in BY_NAME:
            raise ValueError(_("{exercise} is not an exercise; the exercises are"
                               " {exercises}").format(exercise=repr(exercise),
                                                      exercises=", ".join(NAMES)))
        return Result(_graded(names, exercise, call_timeout, allow_builtins, points, fashion),
                      lang)


def _graded(names, exercise, call_timeout, allow_builtins, points, fashion):
    """check_names's grade (GradeBook.as_json()), in notebook words. In a Jupyter
    kernel, of the notebook's definitions (grader.learner.replay), each message with a
    note of what the live globals say otherwise; elsewhere, of `names`."""
    chosen = NAMES if exercise is None else (exercise,)
    with kept_as_it_was(names), warnings.catch_warnings(), showing_nothing(), grading_lightly(), \
            book.grading():
        # As under pytest: the book's float warning hidden, one thread. The checks' figures are not shown (showing_nothing): Animator's alone
        # draw dozens, which took seconds to render in the notebook.
        ignore_book_float_warning()
        use_threads(1)
        replay = replayed(names)
        graded_names = names if replay is None else replay.names(names)
        with nullcontext() if replay is None else kept_as_it_was(vars(replay.cells.module)):
            learner = notebook_learner(graded_names, call_timeout, allow_builtins,
                                       None if replay is None else replay.folder,
                                       None if replay is None else replay.sources())
            graded = grade(learner, points or DEFAULT_POINTS, exercises=chosen, fashion=fashion)
    graded["exercises"] = {
        name: with_note(in_notebook_words(result, name),
                        note(replay, names, name, result["status"]) if replay else None)
        for name, result in graded["exercises"].items()}
    return graded


class Result:
    """A grade as a notebook shows it: text (the same as pytest's summary) in a
    terminal, HTML in Jupyter and Colab, in the language `lang` (default English).
    `grade` is GradeBook.as_json()."""

    def __init__(self, grade, lang="en"):
        self.grade, self.lang = grade, lang

    @property
    def score(self):
        return self.grade["score"]

    def status(self, exercise):
        return self.grade["exercises"][exercise]["status"]

    def __str__(self):
        with speaking(self.lang):
            return self._text()

    def _text(self):
        lines = []
        to_read = feedback.messages(self.grade)
        if to_read:
            lines.append(feedback.rule(_("d2l chapter 3: what to fix")))
            for name, text in to_read:
                lines += [feedback.rule(feedback.heading(name), "_"), "", text]
        lines.append(feedback.rule(_("d2l chapter 3: your grade")))
        lines += [row for _name, _status, row in feedback.table_rows(self.grade)]
        if not feedback.graded_alone(self.grade):
            lines.append(feedback.total_line(self.grade))
            lines += feedback.next_lines(self.grade, COMMAND)
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self):
        with speaking(self.lang):
            return self._html()

    def _html(self):
        """The table, the next step, then each message to read under its heading.
        Every cell says its own alignment and every message its font and how it
        wraps: JupyterLab (and Notebook 7, and nbconvert's HTML) right-aligns
        table cells, and nbconvert's HTML gives an output's <pre> the text's
        proportional font and breaks its words anywhere."""
        rows = "".join(
            f"<tr><td style='{LEFT}'><code>{esc(name)}</code></td>"
            f"<td style='{LEFT};color:{COLOURS[r['status']]};font-weight:bold'>"
            f"{esc(_(SHORT[r['status']]))}</td>"
            f"<td style='{RIGHT}'>{r['score']}/{r['max_score']}</td>"
            f"<td style='{LEFT};{MONOSPACE}'>"
            f"{esc(feedback.first_line(r)) if r['status'] in feedback.TO_READ else ''}</td></tr>"
            for name, r in self.grade["exercises"].items())
        if not feedback.graded_alone(self.grade):
            passed = sum(r["status"] == Status.PASSED for r in self.grade["exercises"].values())
            total = esc(feedback.passed_text(passed, len(self.grade["exercises"])))
            rows += (f"<tr><td style='{LEFT}'><b>{esc(_('total'))}</b></td><td></td>"
                     f"<td style='{RIGHT}'><b>{self.score}/{self.grade['max_score']}</b></td>"
                     f"<td style='{LEFT}'>{total}</td></tr>")
        parts = [f"<div class='d2lkit-grade' style='text-align:left'>"
                 f"<table style='margin:0 0 0.5em 0'>{rows}</table>"]
        if not feedback.graded_alone(self.grade):
            parts += [f"<pre style='{PRE}'>{esc(line.strip())}</pre>"
                      for line in feedback.next_lines(self.grade, COMMAND)[:1]]
        parts += [f"<div style='{HEADING}'>{esc(feedback.heading(name))}</div>"
                  f"<pre style='{PRE}'>{esc(text)}</pre>"
                  for name, text in feedback.messages(self.grade)]
        # What the checks of a passed exercise noted (the Fashion-MNIST epochs,
        # warnings), folded away.
        parts += [f"<details style='text-align:left'><summary><code>{esc(name)}</code>: "
                  f"{esc(feedback.first_line(r))}</summary>"
                  f"<pre style='{PRE}'>{esc(r['feedback'])}</pre></details>"
                  for name, r in self.grade["exercises"].items()
                  if r["status"] == Status.PASSED and "\n" in r["feedback"]]
        return "".join(parts) + "</div>"


COLOURS = {Status.PASSED: "#2e7d32", Status.FAILED: "#c62828", Status.ERROR: "#c62828",
           Status.TIMEOUT: "#c62828", Status.MISSING: "#c62828", Status.NOT_ATTEMPTED: "#9a6700"}
# The HTML's styles, inline on each element, where they win over the page's
# stylesheet (JupyterLab's right-aligned table cells).
LEFT = "text-align:left;vertical-align:top;padding:0.25em 0.75em 0.25em 0"
RIGHT = "text-align:right;vertical-align:top;padding:0.25em 0.75em 0.25em 0"
# JupyterLab's code font where the page defines it, else the browser's monospace.
MONOSPACE = "font-family:var(--jp-code-font-family, monospace)"
PRE = (f"{MONOSPACE};white-space:pre-wrap;word-break:normal;overflow-wrap:anywhere;"
       "text-align:left;margin:0 0 0.5em 0")
HEADING = "font-weight:bold;text-align:left;margin:0.75em 0 0.25em 0"


def esc(text):
    return html.escape(str(text), quote=True)
