"""Results that survive interruption: the instructor command writes each
submission's grade as it ends, resumes where an interrupted run stopped, and
regrades only what changed; a submission out of time keeps the verdicts of the
checks it finished."""
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.exercises import MODULES
from tests.conftest import KIT_ROOT, default_sigint

# Functions that raise end their exercise at the first check, so the class is quick.
WRONG = {name: f"def {name}(*args):\n    raise ValueError('not yet')\n"
         for name in ("linreg", "softmax", "accuracy", "sgd")}


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """Four quick submissions: the stubs with one function that raises each."""
    root = tmp_path_factory.mktemp("class") / "subs"
    for exercise, source in WRONG.items():
        (root / exercise).mkdir(parents=True)
        for module, names in MODULES.items():
            text = (KIT_ROOT / "exercises" / f"{module}.py").read_text()
            (root / exercise / f"{module}.py").write_text(
                text + ("\n\n" + source if exercise in names else ""))
    return root


@pytest.fixture
def subs(template, tmp_path):
    """A copy of the class of its own, for a test to grade and change."""
    return Path(shutil.copytree(template, tmp_path / "subs"))


def command(subs, out, *extra):
    return [sys.executable, "-m", "grader", "grade", str(subs), "--out", str(out),
            "--call-timeout", "2", *extra]


def rows(out):
    return {e["id"]: e for e in json.loads((out / "grades.json").read_text())["submissions"]}


def without_timings(entries):
    """The rows without what depends on how long grading took (the checksum too)."""
    return {i: {k: v for k, v in e.items() if k not in ("seconds", "check")}
            for i, e in entries.items()}


def judges_of(run):
    """Processes still running for this class: judges name the run's process as
    their parent; their sandboxes (and the processes in them) descend from them."""
    mark, found = f'"parent": {run.pid}'.encode(), []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        if mark in cmdline(pid):
            found.append(pid)
    return found + [str(p) for pid in found for p in descendants(int(pid))]


def descendants(pid):
    import psutil
    try:
        return [p.pid for p in psutil.Process(pid).children(recursive=True)]
    except psutil.Error:
        return []


def cmdline(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def interrupt_after_first(subs, out, sig):
    """Start a run, send `sig` once one submission is written; the run, ended."""
    run = subprocess.Popen(command(subs, out), stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, preexec_fn=default_sigint)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and run.poll() is None:
        if (out / "grades.json").exists() and rows(out):
            break
        time.sleep(0.2)
    assert run.poll() is None, "the run ended before it could be interrupted"
    run.send_signal(sig)
    run.wait(timeout=120)
    return run


@pytest.fixture(scope="module")
def uninterrupted(template, tmp_path_factory):
    """The output folder of a run on the class left alone (the same for every copy of
    it: a row's key hashes the files, not the folder)."""
    out = tmp_path_factory.mktemp("whole")
    subprocess.run(command(template, out), check=True, capture_output=True, timeout=900)
    return out


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_an_interrupted_run_resumes_to_the_same_grades(subs, tmp_path, uninterrupted, sig):
    out = tmp_path / "out"
    run = interrupt_after_first(subs, out, sig)
    assert run.returncode == (130 if sig == signal.SIGINT else -signal.SIGKILL)
    done = rows(out)
    assert 1 <= len(done) < len(WRONG)
    for sub_id in done:  # each finished one has its files, whole
        json.loads((out / "submissions" / sub_id / "results.json").read_text())
    deadline = time.monotonic() + 15  # a killed sandbox takes a moment to come down
    while judges_of(run) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not judges_of(run), "judges or workers outlived the run"

    again = subprocess.run(command(subs, out), check=True, capture_output=True, text=True,
                           timeout=900)
    assert f"({len(done)} reused from an earlier run, unchanged)" in again.stdout
    assert without_timings(rows(out)) == without_timings(rows(uninterrupted))


def test_only_a_changed_submission_is_regraded(subs, tmp_path, uninterrupted):
    out = tmp_path / "out"
    shutil.copytree(uninterrupted, out)
    with open(subs / "softmax" / "softmax_regression.py", "a") as f:
        f.write("\n# a comment changes the file\n")
    cache = subs / "linreg" / "__pycache__"  # importing writes these: no change
    cache.mkdir()
    (cache / "linear_regression.cpython-311.pyc").write_bytes(b"bytecode")
    again = subprocess.run(command(subs, out), check=True, capture_output=True, text=True,
                           timeout=900)
    assert f"({len(WRONG) - 1} reused" in again.stdout
    after = rows(out)
    assert {i for i in after if after[i] != rows(uninterrupted)[i]} == {"softmax"}
    everything = subprocess.run(command(subs, out, "--regrade"), check=True,
                                capture_output=True, text=True, timeout=900)
    assert "reused" not in everything.stdout


def test_out_of_time_keeps_the_verdicts_of_finished_checks(tmp_path):
    """Right linear regression, a softmax slow enough to use up the budget: the
    linear-regression exercises keep their passes (but sgd, whose Fashion-MNIST
    check comes after softmax's), softmax's checks time out."""
    sub = tmp_path / "subs" / "slow"
    sub.mkdir(parents=True)
    shutil.copy(KIT_ROOT / "solutions" / "linear_regression.py", sub)
    stubs = (KIT_ROOT / "exercises" / "softmax_regression.py").read_text()
    (sub / "softmax_regression.py").write_text(stubs + "\n\nimport time\n\n\ndef softmax(X):\n"
                                               "    time.sleep(1.5)\n"
                                               "    return X.exp() / X.exp().sum(1, keepdim=True)\n")
    out = tmp_path / "out"
    subprocess.run(command(tmp_path / "subs", out, "--timeout", "45"), check=True,
                   capture_output=True, timeout=900)
    exercises = rows(out)["slow"]["exercises"]
    finished = ("synthetic_data", "data_iter", "linreg", "squared_loss")  # sgd also trains
    assert {n: exercises[n]["status"] for n in finished} == dict.fromkeys(finished, "passed")
    assert exercises["softmax"]["status"] == "timeout"
    assert "used up its 45 s" in exercises["softmax"]["feedback"]


def kill_judges(run, count):
    """SIGKILL the first `count` judges of `run`, each 2 s after its sandbox has
    started (so while it grades); how many were killed."""
    killed = []
    while len(killed) < count and run.poll() is None:
        found = {pid: cmdline(pid) for pid in judges_of(run)}
        judges = [pid for pid, line in found.items()
                  if f'"parent": {run.pid}'.encode() in line and pid not in killed]
        grading = any(descendants(int(pid)) for pid in judges)  # its sandbox is up
        if grading and judges:
            time.sleep(2)
            os.kill(int(judges[0]), signal.SIGKILL)
            killed.append(judges[0])
        time.sleep(0.1)
    return len(killed)


def keep_only(subs, sub_id):
    """Leave only submission `sub_id` in the class `subs`."""
    for other in set(WRONG) - {sub_id}:
        shutil.rmtree(subs / other)


def test_a_judge_killed_mid_grading_is_replaced_and_the_grade_is_the_submissions(
        subs, tmp_path, uninterrupted):
    """A fault outside the learner's code is not a grade: the submission is
    graded again by a fresh judge, to the grade a run left alone gives it."""
    keep_only(subs, "linreg")
    out = tmp_path / "out"
    run = subprocess.Popen(command(subs, out), stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    assert kill_judges(run, 1) == 1
    assert run.wait(timeout=900) == 0
    assert "failure" not in rows(out)["linreg"]
    assert without_timings(rows(out))["linreg"] == without_timings(rows(uninterrupted))["linreg"]


def test_a_submission_whose_judges_die_twice_is_no_score_and_graded_again(subs, tmp_path,
                                                                           uninterrupted):
    keep_only(subs, "linreg")
    out = tmp_path / "out"
    run = subprocess.Popen(command(subs, out), stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
    assert kill_judges(run, 2) == 2
    stdout, _ = run.communicate(timeout=900)
    assert run.returncode == 0
    row = rows(out)["linreg"]
    assert row["score"] is None and row["exercises"] == {}
    assert row["failure"] == ("the grader failed on this submission, twice: its judge process"
                              " ended with exit status -9")
    assert "NOT GRADED: the grader failed on 1" in stdout and "mean score" not in stdout
    assert next(csv.DictReader((out / "grades.csv").open()))["total"] == ""
    results = json.loads((out / "submissions" / "linreg" / "results.json").read_text())
    assert results["score"] == 0 and results["tests"] == []
    assert "not of your code" in results["output"]

    again = subprocess.run(command(subs, out), check=True, capture_output=True, text=True,
                           timeout=900)
    assert "reused" not in again.stdout
    assert without_timings(rows(out))["linreg"] == without_timings(rows(uninterrupted))["linreg"]


def test_an_edited_or_broken_row_is_graded_again(subs, tmp_path, uninterrupted):
    out = tmp_path / "out"
    shutil.copytree(uninterrupted, out)
    stored = json.loads((out / "grades.json").read_text())
    edited = {e["id"]: e for e in stored["submissions"]}
    del edited["linreg"]["exercises"]
    edited["softmax"]["score"] = 100
    edited["accuracy"]["exercises"]["accuracy"]["feedback"] = "well done"
    (out / "grades.json").write_text(json.dumps(stored))
    again = subprocess.run(command(subs, out), check=True, capture_output=True, text=True,
                           timeout=900)
    assert "(1 reused" in again.stdout
    assert without_timings(rows(out)) == without_timings(rows(uninterrupted))
