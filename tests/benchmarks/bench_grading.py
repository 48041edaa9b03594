"""How long grading takes: `pytest exercises --impl solutions` against a
baseline run side by side (the untouched stubs: imports, collection and the
grade table, but no check runs past its first call).

Usage: python tests/benchmarks/bench_grading.py [--runs 5]
Prints the median wall time of each over --runs runs and their ratio.
Target (issue 2): the solutions run in at most 20 s on a 2-core machine.
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


def wall(args):
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pytest", "exercises", "-q", "-p", "no:cacheprovider",
                    *args], cwd=KIT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    times = {name: [] for name in RUNS}
    for _ in range(runs):  # interleaved, so that both see the same machine load
        for name, args in RUNS.items():
            times[name].append(wall(args))
    medians = {name: statistics.median(t) for name, t in times.items()}
    for name, t in times.items():
        print(f"{name:<28} median {medians[name]:6.2f} s   runs {' '.join(f'{x:.2f}' for x in t)}")
    baseline, grading = medians.values()
    print(f"ratio grading / baseline: {grading / baseline:.2f}")


if __name__ == "__main__":
    main()
