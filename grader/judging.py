"""Grading a class. Each submission is judged by a process of its own
(`python -m grader judge`), which runs the suite against the submission's
worker (grader.remote) and prints one JSON line per check as it ends. This
process folds those lines into the submission's grade, so a judge stopped for
time keeps the verdicts of the checks it finished, and writes every
submission's files as soon as it is graded. A rerun reuses the row of every
submission whose files and grading options are unchanged.

Torch-free: only the judges load torch.
"""
import ctypes
import gc
import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict
from pathlib import Path

from tqdm import tqdm

from grader.exercises import MODULES, NAMES
from grader.grades import CheckResult, GradeBook
from grader.outputs import write_class, write_submission

GRADER = Path(__file__).resolve().parent
# Beyond the submission's budget, how long its judge may take to wind up: the check in
# flight when the budget runs out is not finished anyway.
GRACE = 10.0
# Options that do not change a verdict, left out of a submission's key.
NOT_IN_KEY = ("threads",)


def find_submissions(root):
    """(id, folder holding the two modules) for each sub-folder, sorted by id."""
    found = []
    for folder in sorted(p for p in Path(root).iterdir() if p.is_dir()):
        inner = folder / "exercises"
        found.append((folder.name, inner if inner.is_dir() and not any(
            (folder / f"{m}.py").is_file() for m in MODULES) else folder))
    return found


def _digest(folder):
    """A hash of the files under `folder`, but Python's bytecode caches, which
    importing the code writes."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()
                       and "__pycache__" not in p.parts and p.suffix != ".pyc"):
        digest.update(f"{path.relative_to(folder)}\0".encode() + path.read_bytes() + b"\0")
    return digest.hexdigest()


GRADER_DIGEST = _digest(GRADER)


def submission_key(folder, points, options):
    """What a stored row was graded from: the submission's files, the points, the
    options that can change a verdict, and the grader's own source."""
    graded_with = {k: v for k, v in options.items() if k not in NOT_IN_KEY}
    return hashlib.sha256(json.dumps([_digest(folder), points, graded_with, GRADER_DIGEST],
                                     sort_keys=True).encode()).hexdigest()


def die_with_parent(parent):
    """PR_SET_PDEATHSIG: this process gets SIGKILL when `parent`, the process that
    started it, dies; if it died already, before the call, end now."""
    ctypes.CDLL(None).prctl(1, 9)
    if os.getppid() != parent:
        os._exit(1)


def _load_suite(examples, emit):
    """Load the suite with `examples` per check (None: the default), emit the
    list of its checks; its grade function."""
    from grader import profiles
    if examples:
        profiles.use_examples(examples)
    from grader import batch
    emit({"checks": [[name, batch.exercise_of(test)] for name, test in batch.SUITE.items()]})
    return batch.grade


def judge(folder, points, options, parent):
    """The judge process: print the suite's checks, then one line per check as it ends."""
    die_with_parent(parent)
    import torch

    from grader.exercises import seam_spec
    from grader.remote import RemoteLearner
    torch.set_num_threads(options["threads"])

    def emit(message):
        print(json.dumps(message), flush=True)
    # Hypothesis and the suite load in a thread while the worker starts (torch,
    # then the submission's modules). The worker is started from the main
    # thread: it is killed when the thread that started it ends.
    with ThreadPoolExecutor(1) as loader:
        loading = loader.submit(_load_suite, options["examples"], emit)
        learner = RemoteLearner(folder, seam_spec(options["allow_builtins"]),
                                sandbox=options["sandbox"], call_timeout=options["call_timeout"],
                                import_timeout=options["import_timeout"],
                                memory_mb=options["memory_mb"],
                                cpu_seconds=options["timeout"] + 60, user=options.get("user"))
        grade = loading.result()
    gc.freeze()  # as the plugin does: the garbage collector's full passes skip what is loaded
    try:
        grade(learner, points, budget=options["timeout"], grading_seed=options["grading_seed"],
              report=lambda exercise, result: emit({"check": asdict(result)}))
    finally:
        learner.close()


class Interrupted(Exception):
    """The run was interrupted while this submission was being graded."""


class Judges:
    """The judge processes running now, so an interrupted run can stop them."""

    def __init__(self):
        self.running, self.lock, self.stopping = set(), threading.Lock(), False

    def start(self, command):
        with self.lock:
            if self.stopping:
                raise Interrupted
            proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                    text=True)
            self.running.add(proc)
            return proc

    def done(self, proc):
        with self.lock:
            self.running.discard(proc)
            if self.stopping:
                raise Interrupted

    def stop(self):
        with self.lock:
            self.stopping = True
            for proc in self.running:
                proc.kill()


def grade_one(sub_id, folder, points, options, judges):
    """Judge one submission in a process of its own; its entry for grades.json."""
    config = json.dumps({"folder": str(folder), "points": points, "options": options,
                         "parent": os.getpid()})
    start = time.monotonic()
    proc = judges.start([sys.executable, "-m", "grader", "judge", config])
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    try:
        proc.wait(timeout=options["timeout"] + GRACE)
        unfinished = ("error", f"this check did not run: the submission's judge process ended"
                               f" with exit status {proc.returncode}")
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        unfinished = ("timeout", f"not run: the submission used up its {options['timeout']:g} s"
                                 " for grading")
    reader.join()
    judges.done(proc)
    seconds = round(time.monotonic() - start, 2)
    return {"id": sub_id, **fold(lines, points, unfinished), "seconds": seconds}


def fold(lines, points, unfinished):
    """The grade from a judge's lines; checks it never reported get `unfinished`
    (status, message)."""
    messages = []
    for line in lines:
        try:
            messages.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    checks = next((m["checks"] for m in messages if "checks" in m), None)
    results = {m["check"]["name"]: CheckResult(**m["check"]) for m in messages if "check" in m}
    book = GradeBook(points)
    if checks is None:  # the judge died before it could list the checks
        checks = [(f"grading {name}", name) for name in NAMES]
    for name, exercise in checks:
        book.record(exercise, results.get(name) or CheckResult(name, *unfinished))
    return book.as_json()


def grade_all(root, out, *, jobs, points, options, regrade=False):
    """Grade every submission under `root` into `out`; returns (entries, reused)."""
    out = Path(out)
    submissions = find_submissions(root)
    keys = {sub_id: submission_key(folder, points, options) for sub_id, folder in submissions}
    meta = {"sandbox": options["sandbox"]}
    stored = {} if regrade else _stored(out)
    entries = {sub_id: stored[sub_id] for sub_id in keys
               if stored.get(sub_id, {}).get("key") == keys[sub_id]}
    reused = len(entries)

    def save():
        write_class(out, [entries[s] for s, _ in submissions if s in entries], meta)

    save()
    judges = Judges()
    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        futures = {pool.submit(grade_one, sub_id, folder, points, options, judges): sub_id
                   for sub_id, folder in submissions if sub_id not in entries}
        for future in tqdm(as_completed(futures), total=len(futures), unit="submission",
                           desc="grading", file=sys.stderr):
            sub_id = futures[future]
            entries[sub_id] = {**future.result(), "key": keys[sub_id]}
            write_submission(out, entries[sub_id])
            save()
    except BaseException:
        judges.stop()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    ordered = [entries[sub_id] for sub_id, _ in submissions]
    return ordered, reused


def _stored(out):
    """The rows of an earlier run's grades.json, by id (none if unreadable)."""
    try:
        return {e["id"]: e for e in json.loads((out / "grades.json").read_text())["submissions"]}
    except (OSError, ValueError, KeyError, TypeError):
        return {}
