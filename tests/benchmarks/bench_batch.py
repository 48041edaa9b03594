"""Throughput of the instructor command: submissions per minute, and how it
grows with the class size and --jobs, on copies of the reference solutions
(the slowest kind of submission: every check runs to the end).

Usage: python tests/benchmarks/bench_batch.py [--sizes 2 4] [--jobs 1 2] [--runs 3]
                                             [--sandbox-cost] [--quick]
Prints the median wall time of `python -m grader grade` for each class size and
jobs setting, and the submissions per minute it makes. With --sandbox-cost,
each setting also runs with --no-sandbox, interleaved, and the ratio is printed. --quick (CI's form, so that the script cannot rot): one
run of a class of one copy of the stubs, --jobs 1.
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
    parser.add_argument("--sandbox-cost", action="store_true",
                        help="also time each setting with --no-sandbox")
    parser.add_argument("--quick", action="store_true",
                        help="one run of one copy of the stubs (CI's form)")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.jobs, args.runs = [1], [1], 1
    copied = "exercises" if args.quick else "solutions"
    modes = {"sandbox": []} | ({"no sandbox": ["--no-sandbox"]} if args.sandbox_cost else {})
    print(f"{'submissions':>11} {'jobs':>4} {'mode':>10} {'median s':>9} {'per minute':>10}   runs")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(size):
                shutil.copytree(KIT / copied, Path(tmp) / "subs" / f"s{i:03d}",
                                ignore=shutil.ignore_patterns("test_*.py"))
            for jobs in args.jobs:
                times = {mode: [] for mode in modes}
                for _ in range(args.runs):
                    for mode, extra in modes.items():  # interleaved: the same machine load
                        start = time.perf_counter()
                        subprocess.run([sys.executable, "-m", "grader", "grade", f"{tmp}/subs",
                                        "--out", f"{tmp}/out", "--jobs", str(jobs), "--regrade",
                                        *extra], check=True, capture_output=True)
                        times[mode].append(time.perf_counter() - start)
                medians = {mode: statistics.median(t) for mode, t in times.items()}
                for mode, t in times.items():
                    print(f"{size:>11} {jobs:>4} {mode:>10} {medians[mode]:>9.1f}"
                          f" {60 * size / medians[mode]:>10.2f}   " + " ".join(f"{x:.1f}" for x in t))
                if args.sandbox_cost:
                    print(f"{'':>16} sandbox / no sandbox: "
                          f"{medians['sandbox'] / medians['no sandbox']:.3f}")


if __name__ == "__main__":
    main()
