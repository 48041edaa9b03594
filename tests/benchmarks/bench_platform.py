"""Grading one submission inside a grading platform's limits (Gradescope's
default: 0.5 CPU, 768 MB): how many processes load torch, the grading's own
memory net of torch's import, and the CPU time of the whole process tree.

Usage: python tests/benchmarks/bench_platform.py [--runs 3] [--quick]

For the reference solutions and a typical failing submission (a softmax
without the max shift: it fails the stability check and trains as usual), runs
`python -m grader grade` on a class of one, polling the whole process tree
every 10 ms (POLL):
  torch procs   the most processes that loaded libtorch themselves at once
                (limit 2); the forks of such a process (the DataLoader
                workers of load_data_fashion_mnist's checks, with their
                parent's command line) are counted as forks, not here;
  forks         the most such forks at once;
  peak MB       the largest summed proportional set size (PSS) of the tree:
                a page shared by n processes counts 1/n in each, so a fork's
                pages shared with its parent are not counted twice, as a
                cgroup's memory limit does not count them twice;
  net MB        peak MB minus the peak of as many bare torch processes as
                loaded torch themselves at that peak, run side by side and
                measured the same way in the same run (`python -c "import
                torch"`, and that beside a second one: two processes share
                torch's library pages, which PSS counts once between them)
                (limit 250);
  net anon      the anonymous part of peak MB, net of the bare processes'
                anonymous part: steadier than net MB, whose bare peaks move by
                100 MB from run to run with how much of torch's library files
                each import happens to map;
  CPU s         user + system time of the whole tree (limit 240).
Prints the median of --runs runs of each. --quick (CI's form, so that the
script cannot rot) grades a copy of the stubs instead, once, as the
reference: its figures say nothing of the limits.
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
# Seconds between two samples of the tree: the DataLoader processes of a
# load_data_fashion_mnist check live for a fraction of a second.
POLL = 0.01


def has_torch(pid, known):
    """Whether process `pid` has loaded libtorch; `known`: the pids found so far
    (a process that has loaded it keeps it, so they are not read again)."""
    if pid not in known:
        try:
            with open(f"/proc/{pid}/maps") as f:
                if "libtorch" in f.read():
                    known.add(pid)
        except OSError:
            pass
    return pid in known


def is_fork(proc, torchy):
    """Whether `proc` is a fork of its parent (a DataLoader worker): its parent
    has torch too, and the same command line (not a program it started)."""
    parent = proc.parent()
    return parent is not None and parent.pid in torchy and parent.cmdline() == proc.cmdline()


FIELDS = {"Pss:": "pss", "Pss_Anon:": "anon", "Pss_File:": "file"}


def rollup(pid):
    """{"pss", "anon", "file"} of process `pid` in MB: its proportional set size
    and that size's anonymous and file-backed parts (empty once it has ended)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            return {FIELDS[p[0]]: int(p[1]) / 1024 for p in map(str.split, f) if p[0] in FIELDS}
    except OSError:
        return {}


def pss(proc):
    """The process's (proportional set size, its anonymous part) in MB."""
    sizes = rollup(proc.pid)
    return sizes.get("pss", 0), sizes.get("anon", 0)


def measure(command):
    """{"peak MB", "torch procs at peak", "torch procs", "forks", "CPU s", "wall s"} of
    `command`'s tree (see the module's docstring)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    root = psutil.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak, anon, at_peak, most, most_forks, known = 0, 0, 0, 0, 0, set()
    while root.poll() is None:
        procs = [root]
        try:
            procs += root.children(recursive=True)
        except psutil.NoSuchProcess:
            break
        torchy = {proc.pid for proc in procs if has_torch(proc.pid, known)}
        try:
            forks = {proc.pid for proc in procs if proc.pid in torchy and is_fork(proc, torchy)}
        except psutil.NoSuchProcess:
            continue
        sizes = [pss(proc) for proc in procs]
        total = sum(size for size, _ in sizes)
        most, most_forks = max(most, len(torchy - forks)), max(most_forks, len(forks))
        if total > peak:
            peak, anon, at_peak = total, sum(a for _, a in sizes), len(torchy - forks)
        time.sleep(POLL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"peak MB": peak, "anon MB": anon, "torch procs at peak": at_peak,
            "torch procs": most,
            "forks": most_forks, "CPU s": cpu, "wall s": wall}


# k bare torch processes side by side, each alive until all have imported torch.
BARE = """
import subprocess, sys, time
others = [subprocess.Popen([sys.executable, "-c", "import torch, time; time.sleep({wait})"])
          for _ in range({k} - 1)]
import torch
time.sleep({wait})
for p in others:
    p.wait()
"""


def submission(folder, failing, base="solutions"):
    shutil.copytree(KIT / base, folder, ignore=shutil.ignore_patterns("test_*.py"))
    if failing:
        with open(folder / "softmax_regression.py", "a") as f:
            f.write(NAIVE_SOFTMAX)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true",
                        help="one run, on copies of the stubs (CI's form)")
    args = parser.parse_args()
    if args.quick:
        args.runs = 1
    bares = {1: "bare import torch", 2: "2 bare torch imports"}
    graded = {"reference": False} if args.quick else {"reference": False, "typical failing": True}
    rows = {name: [] for name in (*bares.values(), *graded)}
    with tempfile.TemporaryDirectory() as tmp:
        for name, failing in graded.items():
            submission(Path(tmp) / name / "subs" / "one", failing,
                       "exercises" if args.quick else "solutions")
        for _ in range(args.runs):  # interleaved: the same machine load for all
            for k, name in bares.items():
                rows[name].append(measure([sys.executable, "-c",
                                           BARE.format(k=k, wait=1 if args.quick else 3)]))
            for name in graded:
                rows[name].append(measure([sys.executable, "-m", "grader", "grade",
                                           f"{tmp}/{name}/subs", "--out", f"{tmp}/{name}/out",
                                           "--regrade"]))
    bare = {k: statistics.median(r["peak MB"] for r in rows[name]) for k, name in bares.items()}
    bare_anon = {k: statistics.median(r["anon MB"] for r in rows[name])
                 for k, name in bares.items()}
    print(f"{'run':<18} {'torch procs':>11} {'forks':>5} {'peak MB':>8} {'net MB':>7}"
          f" {'net anon':>8} {'CPU s':>6} {'wall s':>6}")
    for name, runs in rows.items():
        net = statistics.median(r["peak MB"] - bare.get(r["torch procs at peak"], 0) for r in runs)
        net_anon = statistics.median(r["anon MB"] - bare_anon.get(r["torch procs at peak"], 0)
                                     for r in runs)
        print(f"{name:<18} {max(r['torch procs'] for r in runs):>11}"
              f" {max(r['forks'] for r in runs):>5}"
              f" {statistics.median(r['peak MB'] for r in runs):>8.0f} {net:>7.0f}"
              f" {net_anon:>8.0f} {statistics.median(r['CPU s'] for r in runs):>6.1f}"
              f" {statistics.median(r['wall s'] for r in runs):>6.1f}")
    print("limits: " + ", ".join(f"{k} <= {v}" for k, v in LIMITS.items())
          + "; bare peaks " + ", ".join(f"{k} torch: {v:.0f} MB" for k, v in bare.items()))


if __name__ == "__main__":
    main()
