"""A learner's saved progress: the last status of each exercise, with what it
was graded on, in FOLDER/.d2lkit-watch.json (git ignores it). pytest and watch
mode both write it; a status is shown only while the files it was graded on
are unchanged, so no front-end shows a verdict that grading now would not give.

Torch-free.
"""
import ast
import functools
import hashlib
import json
from pathlib import Path

from grader.exercises import BY_NAME, MODULES, NAMES
from grader.grading.grades import Status
from grader.i18n import _
from grader.grading.files import GRADER_DIGEST, atomic_write

STATE_FILE = ".d2lkit-watch.json"
def _read(path):
    try:
        return path.read_bytes()
    except OSError:
        return b""


@functools.lru_cache(maxsize=len(MODULES))
def _siblings(source):
    """The learner modules a module's source imports (training.py: softmax_regression).
    Cached: every exercise of a module asks for its key, on every grade."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return set()
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
             for alias in node.names}
    names |= {node.module for node in ast.walk(tree)
              if isinstance(node, ast.ImportFrom) and node.module}
    return names & set(MODULES)


class Progress:
    """The saved statuses of the learner's `folder`, each keyed on its content."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.path = self.folder / STATE_FILE
        try:
            saved = json.loads(self.path.read_text())["exercises"]
            self.saved = {n: e for n, e in saved.items() if n in BY_NAME and isinstance(e, dict)}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            self.saved = {}

    def key(self, name):
        """What `name`'s verdict depends on: its module's file, the learner modules
        that file imports, any notebook in the folder, and the grader."""
        module = BY_NAME[name].module
        own = _read(self.folder / f"{module}.py")
        files = [own] + [_read(self.folder / f"{m}.py") for m in sorted(_siblings(own))]
        files += [_read(p) for p in sorted(self.folder.glob("*.ipynb"))]
        return hashlib.sha256(b"\0".join([GRADER_DIGEST.encode(), *files])).hexdigest()

    def keys(self, names=NAMES):
        """{name: key} now: take them before grading, since files may change meanwhile."""
        return {name: self.key(name) for name in names}

    def status(self, name):
        """The saved status of `name` if its files are as they were then, else None."""
        entry = self.saved.get(name, {})
        return entry.get("status") if entry.get("key") == self.key(name) else None

    def update(self, exercises, keys):
        """Save the statuses of a grade's "exercises" dict, graded on `keys`."""
        for name, result in exercises.items():
            self.saved[name] = {"status": result["status"], "key": keys[name]}
        try:
            atomic_write(self.path, json.dumps({"exercises": self.saved}, indent=1) + "\n")
        except OSError:
            pass  # a read-only folder still grades; it only forgets

    def passed(self):
        return sum(self.status(n) == Status.PASSED for n in NAMES)

    def first_open(self, after=None):
        """The first exercise in chapter order (after `after`, wrapping round)
        not known to pass as the files are now; None when all do."""
        start = NAMES.index(after) + 1 if after else 0
        order = NAMES[start:] + NAMES[:start]
        return next((n for n in order if self.status(n) != Status.PASSED), None)

    def bar(self):
        done = self.passed()
        return _("{passed} of {count} exercises passed").format(passed=done, count=len(NAMES)) \
            + f"  [{'#' * done}{'.' * (len(NAMES) - done)}]"
