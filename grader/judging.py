"""Grading a class. Each of the --jobs threads has a judge process (`python -m
grader judge`), which grades submissions one after another: for each, it starts
a worker of its own (grader.remote), runs the suite against it and prints one
JSON line per check as it ends. A judge never imports a submission's code, so
what it loaded once (torch, Hypothesis, the suite, Fashion-MNIST) is all that
one grading leaves to the next; one that dies or runs out of a submission's
time is killed and replaced. This process folds the lines into the
submission's grade, so a submission stopped for time keeps the verdicts of the
checks it finished, and writes every submission's files as soon as it is
graded. A rerun reuses the row of every submission whose files and grading
options are unchanged.

Torch-free: only the judges load torch.
"""
import ctypes
import gc
import hashlib
import json
import os
import queue
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict
from pathlib import Path

from tqdm import tqdm

from grader import i18n
from grader.exercises import MODULES, NAMES
from grader.grades import CheckResult, GradeBook, used_up
from grader.i18n import _
from grader.mistake_report import write_report
from grader.outputs import write_class, write_submission
from grader.progress import GRADER_DIGEST, digest

# Beyond the submission's budget, how long its judge may take to wind up: the check in
# flight when the budget runs out is not finished anyway.
GRACE = 10.0
# Options that do not change a verdict, left out of a submission's key.
NOT_IN_KEY = ("threads",)


def holds_learner_files(folder):
    """Whether `folder` holds one of the learner's modules or a notebook."""
    return any((folder / f"{m}.py").is_file() for m in MODULES) or any(folder.glob("*.ipynb"))


def find_submissions(root):
    """(id, folder holding the learner's files: their modules, notebooks or both)
    for each sub-folder, sorted by id: the sub-folder itself, or its exercises/
    folder if the sub-folder holds none of them at its top."""
    found = []
    for folder in sorted(p for p in Path(root).iterdir() if p.is_dir()):
        inner = folder / "exercises"
        found.append((folder.name, inner if inner.is_dir() and not holds_learner_files(folder)
                      else folder))
    return found


def submission_key(folder, points, options):
    """What a stored row was graded from: the submission's files, the points, the
    options that can change a verdict, and the grader's own source."""
    graded_with = {k: v for k, v in options.items() if k not in NOT_IN_KEY}
    return hashlib.sha256(json.dumps([digest(folder), points, graded_with, GRADER_DIGEST],
                                     sort_keys=True).encode()).hexdigest()


def die_with_parent(parent):
    """PR_SET_PDEATHSIG: this process gets SIGKILL when `parent`, the process that
    started it, dies; if it died already, before the call, end now."""
    ctypes.CDLL(None).prctl(1, 9)
    if os.getppid() != parent:
        os._exit(1)


def keep_large_buffers_apart():
    """glibc's malloc: buffers of 1 MB and more (a block of float images, a batch
    of logits) get pages of their own, given back when freed. By default the
    bound rises to the largest buffer freed so far, and the heap then grows by
    every such buffer and never shrinks: about 40 MB more in a judge grading the
    reference solutions. The worker does the same (grader/worker.py)."""
    ctypes.CDLL(None).mallopt(-3, 1 << 20)  # M_MMAP_THRESHOLD


def _load_suite(examples, emit):
    """Load the suite with `examples` per check (None: the default), emit the
    list of its checks; (grade function, that list)."""
    from grader import profiles
    if examples:
        profiles.use_examples(examples)
    from grader import batch
    checks = {"checks": [[name, batch.exercise_of(test)] for name, test in batch.SUITE.items()]}
    emit(checks)
    return batch.grade, checks


def judge(points, options, parent):
    """The judge process: for each submission folder it reads (a JSON line on
    stdin), print the suite's checks, then one line per check as it ends, then
    DONE; if the grader itself fails on it, a FAILURE line instead of the rest.
    It never imports a submission's code, so one judge can grade many: it has
    one sandbox, whose zygote has imported torch once, and each context of each
    grading gets a fresh process of it (grader.remote). Its messages are in the
    language options["lang"] (default English)."""
    die_with_parent(parent)
    keep_large_buffers_apart()
    i18n.set_language(options.get("lang", "en"))
    import torch

    from grader.batch import GraderFailed
    from grader.exercises import seam_spec
    from grader.remote import RemoteLearner, Sandbox, SandboxBroken, read_submission
    torch.set_num_threads(options["threads"])
    spec = seam_spec(options["allow_builtins"])

    def emit(message):
        print(json.dumps(message), flush=True)
    # Hypothesis and the suite load in a thread while the sandbox starts (torch,
    # then the submission's modules).
    loader = ThreadPoolExecutor(1)
    loading = loader.submit(_load_suite, options["examples"], emit)
    sandbox = Sandbox(threads=options["threads"], sandbox=options["sandbox"],
                      user=options.get("user"))
    for number, line in enumerate(sys.stdin):
        if number:
            emit(checks)
        learner = None
        try:
            learner = RemoteLearner(read_submission(Path(json.loads(line))), spec, sandbox,
                                    call_timeout=options["call_timeout"],
                                    import_timeout=options["import_timeout"],
                                    memory_mb=options["memory_mb"],
                                    cpu_seconds=options["timeout"] + 60)
            emit({"notes": learner.load_notes()})
            if not number:
                grade, checks = loading.result()
                loader.shutdown()
                # As the plugin does: the garbage collector's full passes skip what is loaded.
                gc.freeze()
            grade(learner, points, budget=options["timeout"],
                  grading_seed=options["grading_seed"], internal_errors="raise",
                  report=lambda exercise, result: emit({"check": asdict(result)}))
        except (GraderFailed, SandboxBroken) as e:
            emit({FAILURE: str(e)})
            sandbox.kill()
        finally:
            if learner is not None:
                learner.close()
        emit(DONE)


# A judge's last line for a submission, and the key of a line that says the grader
# failed on it (not the submission: grading it again may succeed).
DONE = {"done": True}
FAILURE = "failure"


class Interrupted(Exception):
    """The run was interrupted while this submission was being graded."""


class Judge:
    """A judge process, which grades the submissions it is sent one after another."""

    def __init__(self, points, options):
        config = json.dumps({"points": points, "options": options, "parent": os.getpid()})
        self.proc = subprocess.Popen([sys.executable, "-m", "grader", "judge", config],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        self.lines = queue.SimpleQueue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                self.lines.put(json.loads(line))
            except json.JSONDecodeError:
                continue
        self.lines.put(EOFError)

    def grade(self, folder, budget):
        """The judge's messages on `folder` within `budget` s (and GRACE), and the
        (status, message) of any check it did not report. A judge that did not
        finish is dead (`ended`)."""
        messages, deadline = [], time.monotonic() + budget + GRACE
        try:
            self.proc.stdin.write(json.dumps(str(folder)) + "\n")
            self.proc.stdin.flush()
        except OSError:
            pass  # it died: its stdout ends
        while True:
            try:
                message = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self.kill()
                return messages, ("timeout", used_up(budget))
            if message == DONE:
                return messages, ("error", _("this check did not run: the judge did not"
                                             " report it"))
            if message is EOFError:
                self.kill()
                return messages, ("error", _("this check did not run: the submission's judge"
                                             " process ended with exit status {status}").format(
                                                 status=self.proc.returncode))
            messages.append(message)

    @property
    def ended(self):
        return self.proc.poll() is not None

    def kill(self):
        self.proc.kill()
        self.proc.wait()

    def close(self):
        """End it once it has finished its submission."""
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=GRACE)
        except (OSError, subprocess.TimeoutExpired):
            self.kill()


class Judges:
    """The judges of a run, one per thread that grades, so that an interrupted
    run can stop them."""

    def __init__(self, points, options):
        self.points, self.options = points, options
        self.running, self.lock, self.stopping = set(), threading.Lock(), False
        self.mine = threading.local()

    def grade(self, folder):
        """As Judge.grade, by this thread's judge (started if it has none)."""
        with self.lock:
            if self.stopping:
                raise Interrupted
            judge = getattr(self.mine, "judge", None)
            if judge is None:
                judge = self.mine.judge = Judge(self.points, self.options)
                self.running.add(judge)
        messages, unfinished = judge.grade(folder, self.options["timeout"])
        with self.lock:
            if judge.ended:
                self.running.discard(judge)
                self.mine.judge = None
            if self.stopping:
                raise Interrupted
        return messages, unfinished

    def stop(self):
        with self.lock:
            self.stopping = True
            for judge in self.running:
                judge.proc.kill()

    def close(self):
        """End every judge; call it once the grading threads have finished."""
        with self.lock:
            for judge in self.running:
                judge.close()
            self.running.clear()


def grade_one(sub_id, folder, judges):
    """Judge one submission (by this thread's judge); its entry for grades.json."""
    start = time.monotonic()
    messages, unfinished = judges.grade(folder)
    seconds = round(time.monotonic() - start, 2)
    return {"id": sub_id, **fold(messages, judges.points, unfinished), "seconds": seconds}


def fold(messages, points, unfinished):
    """The grade from a judge's messages; checks it never reported get `unfinished`
    (status, message)."""
    checks = next((m["checks"] for m in messages if "checks" in m), None)
    results = {m["check"]["name"]: CheckResult(**m["check"]) for m in messages if "check" in m}
    book = GradeBook(points)
    if checks is None:  # the judge died before it could list the checks
        checks = [(f"grading {name}", name) for name in NAMES]  # names, never shown
    for name, exercise in checks:
        book.record(exercise, results.get(name) or CheckResult(name, *unfinished))
    notes = next((m["notes"] for m in messages if "notes" in m), {})
    return {**book.as_json(), "notes": list(notes.values())}


def grade_all(root, out, *, jobs, points, options, regrade=False):
    """Grade every submission under `root` into `out`; returns (entries, reused)."""
    out = Path(out)
    submissions = find_submissions(root)
    keys = {sub_id: submission_key(folder, points, options) for sub_id, folder in submissions}
    meta = {"sandbox": options["sandbox"], "lang": options.get("lang", "en")}
    stored = {} if regrade else _stored(out)
    entries = {sub_id: stored[sub_id] for sub_id in keys
               if stored.get(sub_id, {}).get("key") == keys[sub_id]}
    reused = len(entries)

    def save():
        write_class(out, [entries[s] for s, _folder in submissions if s in entries], meta)

    save()
    judges = Judges(points, options)
    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        futures = {pool.submit(grade_one, sub_id, folder, judges): sub_id
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
        judges.close()  # before the pool's threads end: each judge dies with its thread
        pool.shutdown(wait=True, cancel_futures=True)
    ordered = [entries[sub_id] for sub_id, _folder in submissions]
    write_report(out, ordered)  # once, at the end: it is of the whole class
    return ordered, reused


def _stored(out):
    """The rows of an earlier run's grades.json, by id (none if unreadable)."""
    try:
        return {e["id"]: e for e in json.loads((out / "grades.json").read_text())["submissions"]}
    except (OSError, ValueError, KeyError, TypeError):
        return {}
