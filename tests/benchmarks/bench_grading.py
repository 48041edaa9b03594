"""How long grading takes: `pytest exercises --impl solutions` against a
baseline run side by side (the untouched stubs: imports, collection and the
grade table, but no check runs past its first call).

Usage: python tests/benchmarks/bench_grading.py [--runs 5] [--compare DIR]
Prints the median wall time of each over --runs runs and their ratio. With
--compare DIR (e.g. a `git worktree` of an earlier commit), the solutions run
of that kit is measured too, interleaved, for a before/after ratio.
"""
import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

KIT = Path(__file__).resolve().parents[2]
RUNS = {"baseline: untouched stubs": [],
        "grading: --impl solutions": ["--impl", "solutions"]}


def wall(args, kit=KIT):
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pytest", "exercises", "-q", "-p", "no:cacheprovider",
                    *args], cwd=kit, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--compare", metavar="DIR", help="another kit to time --impl solutions in")
    options = parser.parse_args()
    runs = {name: (args, KIT) for name, args in RUNS.items()}
    if options.compare:
        runs["compared: --impl solutions"] = (RUNS["grading: --impl solutions"], options.compare)
    times = {name: [] for name in runs}
    for _ in range(options.runs):  # interleaved, so that all see the same machine load
        for name, (args, kit) in runs.items():
            times[name].append(wall(args, kit))
    medians = {name: statistics.median(t) for name, t in times.items()}
    for name, t in times.items():
        print(f"{name:<28} median {medians[name]:6.2f} s   runs {' '.join(f'{x:.2f}' for x in t)}")
    baseline, grading, *compared = medians.values()
    print(f"ratio grading / baseline: {grading / baseline:.2f}")
    if compared:
        print(f"ratio grading / compared: {grading / compared[0]:.2f}")


if __name__ == "__main__":
    main()
