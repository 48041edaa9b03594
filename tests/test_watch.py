"""Watch mode (python -m grader watch) in a pseudo-terminal, as a learner uses it."""
import json
import re
import shutil
import signal
import subprocess
import sys
import time

import pexpect

from grader.exercises import BY_NAME, MODULES, NAMES
from grader.learner.progress import STATE_FILE, Progress
from tests.conftest import KIT_ROOT, default_sigint

LINEAR = MODULES["linear_regression"]  # the exercises before softmax, in chapter order

SOLUTION = (KIT_ROOT / "solutions" / "linear_regression.py").read_text()
WRONG_SOFTMAX = "\ndef softmax(X):\n    return X.exp()\n"
ENDLESS_SOFTMAX = "\ndef softmax(X):\n    while True:\n        pass\n"


def _stubs(tmp_path, entry=True):
    folder = tmp_path / "exercises"
    # Not the progress of a `pytest exercises` run in the kit's own checkout.
    shutil.copytree(KIT_ROOT / "exercises", folder,
                    ignore=shutil.ignore_patterns(STATE_FILE, "__pycache__"))
    if not entry:
        (folder / "test_chapter3.py").unlink()
    return folder


def test_watch_grades_on_save_advances_and_answers_keys(tmp_path):
    folder = _stubs(tmp_path)
    child = pexpect.spawn(sys.executable, ["-m", "grader", "watch", str(folder)], cwd=tmp_path,
                          encoding="utf-8", timeout=120, dimensions=(50, 200),
                          preexec_fn=default_sigint)
    first = BY_NAME[NAMES[0]]
    child.expect(re.escape(f"{first.name} (d2l {first.section}, exercises/{first.module}.py):"
                           " not attempted"))
    child.expect(f"save exercises/{first.module}.py to grade it again")
    child.send("h")
    child.expect(re.escape(f"hint for {first.name}: {first.hint}"))
    (folder / "linear_regression.py").write_text(SOLUTION)
    for name in LINEAR:
        child.expect(f"{name} passed: all \\d+ checks passed")
    child.expect(r"softmax \(d2l 3\.6\.2, exercises/softmax_regression\.py\): not attempted")
    child.expect(f"{len(LINEAR)} of {len(NAMES)} exercises passed")
    child.send("l")
    after = NAMES[NAMES.index("softmax") + 1]
    child.expect(f"   {LINEAR[-1]} +passed\r\n > softmax +not attempted\r\n   {after} +not graded yet")
    child.send("q")
    child.expect(f"bye: {len(LINEAR)} of {len(NAMES)} exercises passed")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert statuses(folder) == {**dict.fromkeys(LINEAR, "passed"), "softmax": "not_attempted"}


def statuses(folder):
    """The statuses saved in the folder's progress file, whatever their keys."""
    saved = json.loads((folder / STATE_FILE).read_text())["exercises"]
    return {name: entry["status"] for name, entry in saved.items()}


def save_passed(folder, names):
    """Progress that says `names` passed, as the folder's files are now."""
    progress = Progress(folder)
    progress.update({name: {"status": "passed"} for name in names}, progress.keys(names))


def test_watch_without_a_terminal_resumes_grades_on_save_and_stops_on_ctrl_c(tmp_path):
    folder = _stubs(tmp_path, entry=False)
    save_passed(folder, LINEAR)
    run = subprocess.Popen([sys.executable, "-m", "grader", "watch", str(folder)], cwd=tmp_path,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True,
                           preexec_fn=default_sigint)
    try:
        lines = iter(run.stdout.readline, "")
        assert next(line for line in lines if "grading" in line) == "grading softmax ...\n"
        assert "softmax (d2l 3.6.2, exercises/softmax_regression.py): not attempted" in \
            next(line for line in lines if line.startswith("softmax ("))
        assert next(line for line in lines if line.startswith("save ")) == \
            "save exercises/softmax_regression.py to grade it again\n"
        with open(folder / "softmax_regression.py", "a") as f:
            f.write(WRONG_SOFTMAX)
        assert next(line for line in lines if line.startswith("softmax (")) == \
            "softmax (d2l 3.6.2, exercises/softmax_regression.py): FAILED\n"
        assert next(lines) == "\n"
        assert next(lines).startswith("softmax: ")
        with open(folder / "softmax_regression.py", "a") as f:
            f.write(ENDLESS_SOFTMAX)
        assert next(line for line in lines if "grading" in line) == "grading softmax ...\n"
        time.sleep(1)
        run.send_signal(signal.SIGINT)
        assert next(line for line in lines if "bye" in line).startswith("bye: ")
        assert run.wait(30) == 0
    finally:
        run.kill()
    assert statuses(folder)["softmax"] == "failed"


def _first_graded(folder):
    """The first exercise watch grades in `folder` (stdin not a terminal), then stop it."""
    run = subprocess.Popen([sys.executable, "-m", "grader", "watch", str(folder)],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True,
                           preexec_fn=default_sigint)
    try:
        line = next(line for line in iter(run.stdout.readline, "") if "grading" in line)
    finally:
        run.kill()
        run.wait()
    return line.removeprefix("grading ").removesuffix(" ...\n")


def test_watch_grades_again_what_changed_since_it_passed(tmp_path):
    """A pass saved for other files is no pass: softmax passed, then broke while
    watch was not running, so watch grades it first and never says "passed"."""
    folder = _stubs(tmp_path, entry=False)
    (folder / "linear_regression.py").write_text(SOLUTION)
    good = (KIT_ROOT / "solutions" / "softmax_regression.py").read_text()
    (folder / "softmax_regression.py").write_text(good)
    save_passed(folder, NAMES)
    (folder / "softmax_regression.py").write_text(good + WRONG_SOFTMAX)
    assert _first_graded(folder) == "softmax"


def test_pytest_progress_reaches_watch(tmp_path):
    folder = _stubs(tmp_path)
    (folder / "linear_regression.py").write_text(SOLUTION)
    done = subprocess.run([sys.executable, "-m", "pytest", str(folder / "test_chapter3.py"),
                           "--impl", str(folder), *(f"--exercise={n}" for n in LINEAR)],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout
    assert statuses(folder) == dict.fromkeys(LINEAR, "passed")
    assert _first_graded(folder) == "softmax"


def test_a_save_is_a_python_file_or_a_notebook_but_not_a_checkpoint(tmp_path):
    """The learner's code may be in a notebook (grader.portable.seam reads .ipynb files
    beside the modules): saving it grades again; Jupyter's autosaved copies
    in .ipynb_checkpoints/ do not."""
    from watchfiles import Change

    from grader.learner.watch import learner_saves
    saves, folder = learner_saves(), tmp_path / "exercises"
    assert saves(Change.modified, str(folder / "softmax_regression.py"))
    assert saves(Change.modified, str(folder / "chapter3.ipynb"))
    checkpoint = folder / ".ipynb_checkpoints" / "chapter3-checkpoint.ipynb"
    assert not saves(Change.modified, str(checkpoint))
    assert not saves(Change.modified, str(folder / "notes.txt"))
