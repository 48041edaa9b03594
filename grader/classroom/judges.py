"""The judges of a class run. Each of the --jobs threads has a judge process
(`python -m grader judge`), which grades submissions one after another: for
each, it starts a worker of its own (grader.classroom.remote), drives the
grading session (grader.grading.session) against it and prints one JSON line
per check as it ends. A judge never imports a submission's code, so what it
loaded once (torch, Hypothesis, the suite, Fashion-MNIST) is all that one
grading leaves to the next; one that dies or runs out of a submission's time
is killed and replaced (Judges). What the lines become is grader.classroom.class_run's.

Torch-free: only the judge processes load torch.
"""
import ctypes
import json
import os
import queue
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

from grader import i18n
from grader.grading.grades import Status, used_up
from grader.i18n import _
from grader.portable.process import freeze_loaded, use_threads

# Beyond the submission's budget, how long its judge may take to wind up: the check in
# flight when the budget runs out is not finished anyway.
GRACE = 10.0
# The longest line read from a judge, in characters.
MAX_LINE = 64 << 20


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
    every such buffer and never shrinks (tests/benchmarks/bench_memory.py). The worker does the same (grader/portable/worker.py)."""
    ctypes.CDLL(None).mallopt(-3, 1 << 20)  # M_MMAP_THRESHOLD


def _load_suite(examples, emit):
    """Load the suite with `examples` per check (None: the default), emit the
    list of its checks; (grade function, that list)."""
    from grader.grading import profiles
    if examples:
        profiles.use_examples(examples)
    from grader.grading import session as batch
    checks = {"checks": [[name, batch.exercise_of(test)] for name, test in batch.suite().items()]}
    emit(checks)
    return batch.grade, checks


def judge(points, options, parent):
    """The judge process: for each submission folder it reads (a JSON line on
    stdin), print the suite's checks, then one line per check as it ends, then
    DONE; if the grader itself fails on it, a FAILURE line instead of the rest.
    It never imports a submission's code, so one judge can grade many: it has
    one sandbox, whose zygote has imported torch once, and each context of each
    grading gets a fresh process of it (grader.classroom.remote). Its messages are in the
    language options["lang"] (default English)."""
    die_with_parent(parent)
    keep_large_buffers_apart()
    i18n.set_language(options.get("lang", "en"))
    from grader.grading.session import GraderFailed
    from grader.exercises import seam_spec
    from grader.classroom.remote import RemoteLearner
    from grader.classroom.submission import read_submission
    from grader.classroom.zygote import Sandbox, SandboxBroken
    use_threads(options["threads"])
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
        if number:  # the first submission's list came from the loading thread
            emit(loading.result()[1])
        learner = None
        try:
            learner = RemoteLearner(read_submission(Path(json.loads(line))), spec, sandbox,
                                    call_timeout=options["call_timeout"],
                                    import_timeout=options["import_timeout"],
                                    memory_mb=options["memory_mb"],
                                    cpu_seconds=options["timeout"] + 60)
            emit({"notes": learner.load_notes()})
            grade = loading.result()[0]
            if not number:
                # As the plugin does: the garbage collector's full passes skip what is loaded.
                freeze_loaded()
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


class GraderFault(Exception):
    """The grader, not the submission, failed to grade it (its judge died or
    reported what it should not); str() says how, in the learner's language."""


# What Judge._read puts for a line over MAX_LINE, which it does not read.
UNREADABLE = {"unreadable": True}


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
        while line := self.proc.stdout.readline(MAX_LINE):
            too_long = not line.endswith("\n")
            while line and not line.endswith("\n"):  # the rest of a line over MAX_LINE
                line = self.proc.stdout.readline(MAX_LINE)
            try:
                self.lines.put(UNREADABLE if too_long else json.loads(line))
            except json.JSONDecodeError:
                continue  # not a message: a library's print
        self.lines.put(EOFError)

    def grade(self, folder, budget):
        """The judge's messages on `folder` within `budget` s (and GRACE), and the
        (status, message) of the checks it did not report if it ran out of time
        (None if it finished). Raises GraderFault if it died. A judge that did
        not finish is dead (`ended`)."""
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
                return messages, (Status.TIMEOUT, used_up(budget))
            if message == DONE:
                return messages, None
            if message is EOFError:
                self.kill()
                raise GraderFault(_("its judge process ended with exit status {status}").format(
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
        try:
            return judge.grade(folder, self.options["timeout"])
        finally:
            with self.lock:
                if judge.ended:
                    self.running.discard(judge)
                    self.mine.judge = None
                if self.stopping:
                    raise Interrupted

    def replace(self):
        """Kill this thread's judge: the next grade starts a fresh one."""
        with self.lock:
            judge = getattr(self.mine, "judge", None)
            self.running.discard(judge)
            self.mine.judge = None
        if judge is not None:
            judge.kill()

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


