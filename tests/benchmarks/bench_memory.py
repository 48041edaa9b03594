"""Where one grading's memory goes, check by check: the judge's and the worker's
proportional set size (PSS; the worker's DataLoader forks counted with it),
anonymous and file-backed, at the peak of each check.

Usage: python tests/benchmarks/bench_memory.py [--top 10] [--exercises NAME ...] [--quick]

Grades the reference solutions as the instructor command does (grader.grading.session.grade
with a RemoteLearner), this process standing for the judge and the worker
outside the sandbox, while a thread reads /proc/PID/smaps_rollup every 5 ms.
Prints the checks with the highest peaks, and the two processes before the
first check. --quick (CI's form, so that the script cannot rot): linreg only,
the top 3. bench_platform.py measures the whole `grade` command against the
platform's limits; this one says which check and which process to look at.
"""
import argparse
import os
import sys
import threading
import time
from pathlib import Path

import psutil
import torch

KIT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(KIT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_platform import rollup  # noqa: E402
from grader.grading import session as batch  # noqa: E402
from grader.exercises import DEFAULT_POINTS, NAMES, seam_spec  # noqa: E402
from grader.classroom.judges import keep_large_buffers_apart  # noqa: E402
from grader.classroom.remote import RemoteLearner  # noqa: E402
from grader.classroom.submission import read_submission  # noqa: E402
from grader.classroom.zygote import Sandbox  # noqa: E402

def with_forks(pid):
    """rollup(pid) summed with its descendants', and "forks": how many there are."""
    try:
        forks = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        forks = []
    total = rollup(pid)
    for fork in forks:
        for key, value in rollup(fork.pid).items():
            total[key] = total.get(key, 0) + value
    return {**total, "forks": len(forks)}


class Sampler(threading.Thread):
    """Keeps, for the check running (self.check), the sample where judge and
    worker together held the most."""

    def __init__(self, learner):
        super().__init__(daemon=True)
        self.learner, self.check, self.peaks = learner, "before the first check", {}

    def run(self):
        while True:
            proc = self.learner.sandbox.proc
            judge, worker = rollup(os.getpid()), with_forks(proc.pid) if proc else {}
            total = judge.get("pss", 0) + worker.get("pss", 0)
            if total > self.peaks.get(self.check, (0,))[0]:
                self.peaks[self.check] = (total, judge, worker)
            time.sleep(0.005)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--exercises", nargs="+", choices=NAMES)
    parser.add_argument("--quick", action="store_true", help="linreg only, the top 3 (CI's form)")
    options = parser.parse_args()
    if options.quick:
        options.exercises, options.top = ["linreg"], 3
    torch.set_num_threads(1)
    keep_large_buffers_apart()  # as the judge does
    box = Sandbox(sandbox=False)
    learner = RemoteLearner(read_submission(KIT / "solutions"), seam_spec(), box)
    sampler = Sampler(learner)
    sampler.start()
    time.sleep(0.5)
    run_check = batch.Session.run_check

    def sampled(session, name, *args, **kwargs):
        sampler.check = name
        return run_check(session, name, *args, **kwargs)
    batch.Session.run_check = sampled
    try:
        graded = batch.grade(learner, DEFAULT_POINTS, exercises=options.exercises)
    finally:
        learner.close()
        box.kill()
    first = sampler.peaks.pop("before the first check")
    top = sorted(sampler.peaks.items(), key=lambda item: -item[1][0])[:options.top]
    print(f"score {graded['score']}/{graded['max_score']}; MB of PSS (anonymous, file-backed)")
    for name, (total, judge, worker) in [("before the first check", first), *top]:
        print(f"{total:6.0f}  judge {judge['pss']:4.0f} ({judge['anon']:3.0f}, {judge['file']:3.0f})"
              f"  worker {worker['pss']:4.0f} ({worker['anon']:3.0f}, {worker['file']:3.0f},"
              f" {worker['forks']} forks)  {name}")


if __name__ == "__main__":
    main()
