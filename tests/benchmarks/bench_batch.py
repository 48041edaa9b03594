"""Throughput of the instructor command: submissions per minute, and how it
grows with the class size and --jobs, on copies of the reference solutions
(the slowest kind of submission: every check runs to the end).

Usage: python tests/benchmarks/bench_batch.py [--sizes 2 4] [--jobs 1 2] [--runs 3]
Prints the median wall time of `python -m grader grade` for each class size and
jobs setting, and the submissions per minute it makes.
"""
import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KIT = Path(__file__).resolve().parents[2]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"{'submissions':>11} {'jobs':>4} {'median s':>9} {'per minute':>10}   runs")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(size):
                shutil.copytree(KIT / "solutions", Path(tmp) / "subs" / f"s{i:03d}")
            for jobs in args.jobs:
                times = []
                for _ in range(args.runs):
                    start = time.perf_counter()
                    subprocess.run([sys.executable, "-m", "grader", "grade", f"{tmp}/subs",
                                    "--out", f"{tmp}/out", "--jobs", str(jobs)], check=True,
                                   capture_output=True)
                    times.append(time.perf_counter() - start)
                median = statistics.median(times)
                print(f"{size:>11} {jobs:>4} {median:>9.1f} {60 * size / median:>10.2f}   "
                      + " ".join(f"{t:.1f}" for t in times))


if __name__ == "__main__":
    main()
