"""Saved progress (grader.learner.progress): a status counts only for the files it was graded on."""
import os

from grader.exercises import NAMES
from grader.grading.files import digest
from grader.learner.progress import Progress


def _folder(tmp_path):
    folder = tmp_path / "exercises"
    folder.mkdir()
    (folder / "linear_regression.py").write_text("def linreg(X, w, b):\n    return X @ w + b\n")
    (folder / "softmax_regression.py").write_text("def softmax(X):\n    return X\n")
    (folder / "training.py").write_text("from softmax_regression import accuracy\n")
    return folder


def test_a_status_holds_while_its_files_are_unchanged(tmp_path):
    folder = _folder(tmp_path)
    progress = Progress(folder)
    progress.update({"linreg": {"status": "passed"}}, progress.keys())
    assert Progress(folder).status("linreg") == "passed"
    (folder / "linear_regression.py").write_text("def linreg(X, w, b):\n    return X * w + b\n")
    assert Progress(folder).status("linreg") is None
    assert Progress(folder).first_open() == NAMES[0]


def test_a_module_is_stale_when_a_module_it_imports_changes(tmp_path):
    """training.py imports softmax_regression.py: editing that one re-grades both,
    and leaves linear_regression.py's statuses standing."""
    folder = _folder(tmp_path)
    progress = Progress(folder)
    progress.update({"Accumulator": {"status": "passed"}, "linreg": {"status": "passed"}},
                    progress.keys())
    (folder / "softmax_regression.py").write_text("def softmax(X):\n    return X.exp()\n")
    assert Progress(folder).status("Accumulator") is None
    assert Progress(folder).status("linreg") == "passed"


def test_keys_taken_before_grading_win_over_a_save_during_it(tmp_path):
    folder = _folder(tmp_path)
    progress = Progress(folder)
    keys = progress.keys()
    (folder / "linear_regression.py").write_text("def linreg(X, w, b):\n    return w\n")
    progress.update({"linreg": {"status": "passed"}}, keys)
    assert Progress(folder).status("linreg") is None


def test_unreadable_progress_is_no_progress(tmp_path):
    folder = _folder(tmp_path)
    (folder / ".d2lkit-watch.json").write_text('{"statuses": {"linreg": "passed"}}')
    assert Progress(folder).status("linreg") is None


def test_the_graders_digest_reads_no_link_and_no_special_file(tmp_path):
    """A link to /proc/self/mem (reading it fails) or to a pipe (reading it waits)
    is not followed; regular files count, bytecode caches do not."""
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"cache")
    plain = digest(tmp_path)
    (tmp_path / "notes.txt").symlink_to("/proc/self/mem")
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "linked").symlink_to(tmp_path)
    assert digest(tmp_path) == plain
    (tmp_path / "b.py").write_text("y = 2\n")
    assert digest(tmp_path) != plain
