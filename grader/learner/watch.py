"""Watch mode: grade the exercise the learner is working on again each time
they save a file (python -m grader watch, d2lkit watch).

Grading runs pytest in this process, so torch, the checks and Fashion-MNIST
stay loaded between runs and a re-grade costs only that exercise's checks.
Keys, when stdin is a terminal: h hint, n next exercise, l list, a grade all,
q quit. Progress is grader.learner.progress's, which pytest keeps too: a status saved
for files that have changed since counts as not graded, so the first exercise
not known to pass as the files are now is graded first.
"""
import contextlib
import io
import json
import queue
import sys
import tempfile
import threading
from pathlib import Path

import pytest

from grader import i18n
from grader.exercises import BY_NAME, NAME_WIDTH, NAMES
from grader.grading.grades import SHORT, Status
from grader.i18n import N_, _
from grader.learner.progress import Progress
from grader.grading.suite import MODULE_NAMES

KEYS = N_("h hint · n next exercise · l list · a grade all · q quit")  # shown as _(KEYS)


class GradingBroke(Exception):
    """pytest itself could not run the checks (the message is its output)."""


def grade(folder, names):
    """Grade `names` (all when empty) on the learner's `folder` with the kit's
    pytest plugin, in this process; returns --grade-json's "exercises" dict.
    The checks come from the folder's test entry, else from the grader's suite;
    the messages are in the language shown now (i18n.language())."""
    folder = Path(folder)
    entry = folder / "test_chapter3.py"
    targets = [str(entry)] if entry.exists() else ["--pyargs", *MODULE_NAMES]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "grade.json"
        log = io.StringIO()
        with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            code = pytest.main([*targets, "--impl", str(folder), "--grade-json", str(out),
                                "--lang", i18n.language(), "-p", "no:cacheprovider", "-q",
                                *(f"--exercise={n}" for n in names)])
        if code == pytest.ExitCode.INTERRUPTED:
            raise KeyboardInterrupt  # Ctrl-C while grading: pytest stopped, so do we
        if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) or not out.exists():
            raise GradingBroke(log.getvalue())
        return json.loads(out.read_text())["exercises"]


class Screen:
    """What the learner sees; clears the terminal between gradings when it is one."""

    def __init__(self, folder, keys, stream=sys.stdout):
        self.folder, self.keys, self.stream = Path(folder), keys, stream

    def say(self, text=""):
        print(text, file=self.stream, flush=True)

    def clear(self):
        if self.stream.isatty():
            self.stream.write("\033[2J\033[H")

    def where(self, name):
        e = BY_NAME[name]
        return f"{name} (d2l {_(e.section)}, {self.folder.name}/{e.module}.py)"

    def result(self, name, result, progress):
        """The exercise the learner is on: its status, feedback and what to do next."""
        self.say(f"\n{self.where(name)}: {_(SHORT[result['status']])}\n")
        self.say(result["feedback"])
        if result["status"] == Status.NOT_ATTEMPTED:
            self.hint(name)
        self.say(f"\n{progress.bar()}")
        self.say(_("save {file} to grade it again").format(
            file=f"{self.folder.name}/{BY_NAME[name].module}.py")
                 + (f" · {_(self.keys)}" if self.keys else ""))

    def passed(self, name, result):
        self.say(_("{exercise} passed: {message}").format(
            exercise=name, message=result["feedback"].splitlines()[0]))

    def hint(self, name):
        self.say(_("hint for {exercise}: {hint}").format(exercise=name,
                                                         hint=_(BY_NAME[name].hint)))

    def listing(self, progress, current):
        self.say(f"\n{progress.bar()}")
        for name in NAMES:
            unknown = N_("changed since graded") if name in progress.saved else N_("not graded yet")
            status = _(SHORT.get(progress.status(name), unknown))
            self.say(f" {'>' if name == current else ' '} {name:<{NAME_WIDTH}} {status}")


def _read_keys(events):
    """Put each key pressed into `events`, the terminal in cbreak mode."""
    for key in iter(lambda: sys.stdin.read(1), ""):
        events.put(("key", key.lower()))
    events.put(("key", "q"))


def learner_saves():
    """watchfiles' filter of the saves that count: .py files and notebooks (the
    learner's code may be in either), not Jupyter's .ipynb_checkpoints copies."""
    from watchfiles import PythonFilter

    class LearnerSaves(PythonFilter):
        ignore_dirs = (*PythonFilter.ignore_dirs, ".ipynb_checkpoints")
    return LearnerSaves(extra_extensions=(".ipynb",))


def _watch_files(folder, events, stop):
    from watchfiles import watch
    for changes in watch(folder, watch_filter=learner_saves(), stop_event=stop, debounce=300,
                         raise_interrupt=False):
        events.put(("saved", changes))


@contextlib.contextmanager
def _cbreak(interactive):
    """Keys arrive one at a time, unechoed; the terminal is restored on the way out.
    Where there is no termios (Windows), the terminal stays as it is: a key
    arrives with Enter."""
    try:
        import termios
        import tty
    except ImportError:
        termios = None
    if not interactive or termios is None:
        yield
        return
    saved = termios.tcgetattr(sys.stdin)
    tty.setcbreak(sys.stdin)
    try:
        yield
    finally:
        termios.tcsetattr(sys.stdin, termios.TCSADRAIN, saved)


class Watch:
    """The loop: grade the current exercise, then wait for a save or a key."""

    def __init__(self, folder, start=None):
        self.folder = Path(folder)
        self.progress = Progress(folder)
        self.current = start or self.progress.first_open()
        self.interactive = sys.stdin.isatty()
        self.screen = Screen(folder, KEYS if self.interactive else "")

    def grade(self, names):
        """grade(), then the progress it saved (the plugin saves it)."""
        results = grade(self.folder, names)
        self.progress = Progress(self.folder)
        return results

    def grade_current(self):
        """Grade the current exercise; while it passes, say so and go on to the next."""
        self.screen.clear()
        while self.current:
            name = self.current
            self.screen.say(_("grading {exercise} ...").format(exercise=name))
            result = self.grade([name])[name]
            if result["status"] != Status.PASSED:
                self.screen.result(name, result, self.progress)
                return
            self.screen.passed(name, result)
            self.current = self.progress.first_open(after=name)
        self.all_passed()

    def grade_all(self):
        self.screen.clear()
        self.screen.say(_("grading every exercise ..."))
        results = self.grade([])
        self.current = self.progress.first_open()
        self.screen.listing(self.progress, self.current)
        if self.current:
            self.screen.result(self.current, results[self.current], self.progress)
        else:
            self.all_passed()

    def all_passed(self):
        text = (_("All {count} exercises passed. Well done! Save a file to grade them all"
                  " again, q to quit.") if self.interactive else
                _("All {count} exercises passed. Well done! Save a file to grade them all"
                  " again."))
        self.screen.say("\n" + text.format(count=len(NAMES)))

    def on_key(self, key):
        """Handle one key; False to quit."""
        if key == "q":
            return False
        if key == "h" and self.current:
            self.screen.hint(self.current)
        elif key == "l":
            self.screen.listing(self.progress, self.current)
        elif key == "a":
            self.grade_all()
        elif key == "n":
            self.current = NAMES[(NAMES.index(self.current) + 1) % len(NAMES)
                                 if self.current else 0]
            self.grade_current()
        return True

    def run(self):
        events, stop = queue.Queue(), threading.Event()
        threading.Thread(target=_watch_files, args=(self.folder, events, stop), daemon=True).start()
        if self.interactive:
            threading.Thread(target=_read_keys, args=(events,), daemon=True).start()
        with _cbreak(self.interactive):
            try:
                self.screen.say(_("watching {folder}/ (Ctrl-C to stop)").format(
                    folder=self.folder))
                self.grade_current()
                while True:
                    try:
                        kind, value = events.get(timeout=0.5)
                    except queue.Empty:
                        continue
                    if kind == "key" and not self.on_key(value):
                        break
                    if kind == "saved" and self.current:
                        self.grade_current()
                    elif kind == "saved":
                        self.grade_all()
            except KeyboardInterrupt:
                pass
            finally:
                stop.set()
        self.screen.say("\n" + _("bye: {progress}").format(progress=self.progress.bar()))


def main(folder, start=None, lang=None):
    """python -m grader watch: returns the exit status. `lang`: the language of
    everything shown (default: the one set now)."""
    if lang is not None:
        i18n.set_language(lang)
    if not Path(folder).is_dir():
        print("python -m grader watch: " + _("{folder}: no such folder").format(folder=folder),
              file=sys.stderr)
        return 2
    try:
        Watch(folder, start).run()
    except GradingBroke as e:
        print("python -m grader watch: " + _("the grader could not run:") + f"\n{e}",
              file=sys.stderr)
        return 2
    return 0
