"""The speed issue's table: every run as a ratio to a bare start
(`python -c "import torch, pytest, hypothesis"`) measured in the same run.

Usage: python tests/benchmarks/bench_speed.py [--runs 5] [--compare DIR]
                                              [--parts learner busy batch]

learner: `pytest exercises --impl solutions`, the untouched stubs, and each
  exercise alone (--exercise NAME), medians of --runs.
busy: the full learner run while a second one runs beside it, against the
  same run alone.
batch: `python -m grader grade --jobs 2` on a class of 8 reference copies and
  on a class of 8 typical failing submissions (one wrong function each, from
  the catalogue in tests/wrong.py), in submissions per minute.
With --compare DIR (a `git worktree` of an earlier commit), that kit is run
too, interleaved with this one, and its figures are printed beside.
Runs start without PYTHONDONTWRITEBYTECODE, as in a learner's shell: pytest
then caches its rewritten modules after the first run.
"""
import argparse
import inspect
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KIT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(KIT))
from grader.exercises import BY_NAME, NAMES  # noqa: E402
from tests import wrong  # noqa: E402,F401 - registers the catalogue
from tests.catalogue import WRONG  # noqa: E402
from tests.conftest import PRELUDE  # noqa: E402

ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
BARE = [sys.executable, "-c", "import torch, pytest, hypothesis"]


def pytest_args(*args):
    return [sys.executable, "-m", "pytest", "exercises", "-q", "-p", "no:cacheprovider", *args]


def wall(command, cwd):
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def medians(commands, kits, runs):
    """{(name, kit): median wall time}, each command interleaved across kits and runs."""
    times = {(name, kit): [] for name in commands for kit in kits}
    for _ in range(runs):
        for name, command in commands.items():
            for kit in kits:
                times[name, kit].append(wall(command, kit))
    return {key: statistics.median(t) for key, t in times.items()}


def busy_medians(kits, runs):
    """{kit: (quiet, busy)} median times of the full run alone and beside a second one."""
    full = pytest_args("--impl", "solutions")
    result = {}
    for kit in kits:
        quiet, busy = [], []
        for _ in range(runs):
            quiet.append(wall(full, kit))
            other = subprocess.Popen(full, cwd=kit, env=ENV, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
            busy.append(wall(full, kit))
            other.wait()
        result[kit] = (statistics.median(quiet), statistics.median(busy))
    return result


def typical_failing(folder):
    """8 submissions, each the reference with one catalogue mistake (the first of each
    exercise, cycling through the exercises)."""
    firsts = [next(v for v in WRONG if v.exercise == name) for name in NAMES]
    for i, variant in enumerate(firsts):
        sub = Path(folder) / f"s{i:03d}"
        shutil.copytree(KIT / "solutions", sub)
        lines = inspect.getsource(variant.fn).splitlines()
        source = "\n".join(lines[next(j for j, line in enumerate(lines) if line.startswith("def ")):])
        with open(sub / f"{BY_NAME[variant.exercise].module}.py", "a") as f:
            f.write(f"{PRELUDE}{source}\n{variant.exercise} = {variant.fn.__name__}\n")


def batch_medians(kits, runs, tmp):
    """{(class, kit): median seconds} of grading each class with --jobs 2."""
    classes = {"8 reference copies": Path(tmp) / "reference", "8 typical failing": Path(tmp) / "failing"}
    for i in range(8):
        shutil.copytree(KIT / "solutions", classes["8 reference copies"] / f"s{i:03d}")
    typical_failing(classes["8 typical failing"])
    commands = {name: [sys.executable, "-m", "grader", "grade", str(folder), "--out",
                       f"{tmp}/out", "--jobs", "2", "--regrade"] for name, folder in classes.items()}
    return medians(commands, kits, runs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--compare", metavar="DIR", help="an earlier kit to measure beside this one")
    parser.add_argument("--parts", nargs="+", default=["learner", "busy", "batch"],
                        choices=["learner", "busy", "batch"])
    options = parser.parse_args()
    kits = [KIT] + ([Path(options.compare).resolve()] if options.compare else [])
    head = f"{'run':<44}" + "".join(f"{'this kit' if k == KIT else 'compared':>22}" for k in kits)
    print(head)
    bare = statistics.median(wall(BARE, KIT) for _ in range(options.runs))
    print(f"{'bare start (s)':<44}{bare:>22.2f}")

    def row(name, values):
        print(f"{name:<44}" + "".join(f"{v:>22}" for v in values))

    if "learner" in options.parts:
        commands = {"pytest exercises --impl solutions": pytest_args("--impl", "solutions"),
                    "untouched stubs": pytest_args()}
        commands |= {f"--exercise {n}": pytest_args("--impl", "solutions", "--exercise", n)
                     for n in NAMES}
        times = medians(commands, kits, options.runs)
        bare = statistics.median([bare] + [wall(BARE, KIT) for _ in range(options.runs - 1)])
        for name in commands:
            row(name, [f"{times[name, k]:.2f} s = {times[name, k] / bare:.2f}x" for k in kits])
        worst = [max(times[f"--exercise {n}", k] for n in NAMES) / bare for k in kits]
        row("one exercise, worst (x bare start)", [f"{w:.2f}x" for w in worst])
    if "busy" in options.parts:
        pairs = busy_medians(kits, options.runs)
        row("full run beside another (x its quiet time)",
            [f"{pairs[k][1]:.1f}/{pairs[k][0]:.1f} s = {pairs[k][1] / pairs[k][0]:.2f}x" for k in kits])
    if "batch" in options.parts:
        with tempfile.TemporaryDirectory() as tmp:
            times = batch_medians(kits, max(1, options.runs // 2), tmp)
        for name in ("8 reference copies", "8 typical failing"):
            row(f"grade --jobs 2, {name} (per min)",
                [f"{times[name, k]:.1f} s = {8 * 60 / times[name, k]:.1f}/min" for k in kits])
    print(f"bare start, median of the run: {bare:.2f} s")


if __name__ == "__main__":
    main()
