"""Grading one submission inside a grading platform's limits (Gradescope's
default: 0.5 CPU, 768 MB): how many processes load torch, the grading's own
memory net of torch's import, and the CPU time of the whole process tree.

Usage: python tests/benchmarks/bench_platform.py [--runs 3]

For the reference solutions and a typical failing submission (a softmax
without the max shift: it fails the stability check and trains as usual), runs
`python -m grader grade` on a class of one, polling the whole process tree
every 50 ms:
  torch procs   the most processes with libtorch mapped at once (limit 2);
  peak MB       the largest summed resident memory of the tree;
  net MB        peak MB minus, for each process with torch loaded at that peak,
                the peak of a bare `python -c "import torch"` measured the same
                way in the same run (limit 250);
  CPU s         user + system time of the whole tree (limit 240).
Prints the median of --runs runs of each.
"""
import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

KIT = Path(__file__).resolve().parents[2]
NAIVE_SOFTMAX = "\n\ndef softmax(X):\n    X_exp = torch.exp(X)\n" \
                "    return X_exp / X_exp.sum(1, keepdim=True)\n"
LIMITS = {"torch procs": 2, "net MB": 250, "CPU s": 240}


def has_torch(proc):
    try:
        with open(f"/proc/{proc.pid}/maps") as f:
            return "libtorch" in f.read()
    except OSError:
        return False


def measure(command):
    """{"peak MB", "torch procs at peak", "torch procs", "CPU s", "wall s"} of `command`'s tree."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    root = psutil.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak, at_peak, most = 0, 0, 0
    while root.poll() is None:
        procs = [root]
        try:
            procs += root.children(recursive=True)
        except psutil.NoSuchProcess:
            break
        rss, torch_procs = 0, 0
        for proc in procs:
            try:
                rss += proc.memory_info().rss
                torch_procs += has_torch(proc)
            except psutil.NoSuchProcess:
                pass
        most = max(most, torch_procs)
        if rss > peak:
            peak, at_peak = rss, torch_procs
        time.sleep(0.05)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"peak MB": peak / 2**20, "torch procs at peak": at_peak, "torch procs": most,
            "CPU s": cpu, "wall s": wall}


def submission(folder, failing):
    shutil.copytree(KIT / "solutions", folder)
    if failing:
        with open(folder / "softmax_regression.py", "a") as f:
            f.write(NAIVE_SOFTMAX)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rows = {name: [] for name in ("bare import torch", "reference", "typical failing")}
    with tempfile.TemporaryDirectory() as tmp:
        for name, failing in (("reference", False), ("typical failing", True)):
            submission(Path(tmp) / name / "subs" / "one", failing)
        for _ in range(args.runs):  # interleaved: the same machine load for all three
            rows["bare import torch"].append(measure([sys.executable, "-c", "import torch"]))
            for name in ("reference", "typical failing"):
                rows[name].append(measure([sys.executable, "-m", "grader", "grade",
                                           f"{tmp}/{name}/subs", "--out", f"{tmp}/{name}/out",
                                           "--regrade"]))
    bare = statistics.median(r["peak MB"] for r in rows["bare import torch"])
    print(f"{'run':<18} {'torch procs':>11} {'peak MB':>8} {'net MB':>7} {'CPU s':>6}"
          f" {'wall s':>6}")
    for name, runs in rows.items():
        net = statistics.median(r["peak MB"] - r["torch procs at peak"] * bare for r in runs)
        print(f"{name:<18} {max(r['torch procs'] for r in runs):>11}"
              f" {statistics.median(r['peak MB'] for r in runs):>8.0f} {net:>7.0f}"
              f" {statistics.median(r['CPU s'] for r in runs):>6.1f}"
              f" {statistics.median(r['wall s'] for r in runs):>6.1f}")
    print("limits: " + ", ".join(f"{k} <= {v}" for k, v in LIMITS.items())
          + f"; bare import peak {bare:.0f} MB")


if __name__ == "__main__":
    main()
