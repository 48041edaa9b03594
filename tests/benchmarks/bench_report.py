"""How long the mistake report of a class takes to build from grades.json:
`python -m grader report OUT` end to end (the process, its imports, matplotlib's
histogram, mistakes.csv and report.html), and the build alone, in-process.

Usage: python tests/benchmarks/bench_report.py [--learners 30 300 1000] [--runs 5]
                                              [--limit SECONDS] [--quick]
The class is made up: each learner passes an exercise with a chance that
varies by exercise, else makes one of six mistakes of it (or does not attempt
it), each mistake with a message of the kit's size (a title, the call, a 4 x 8
tensor, a hint). Prints the median of each (and the command's CPU time, steadier than its wall
time on a busy machine) and the size of report.html; with
--limit, exits 1 if a median of the command is over it. --quick is CI's form,
so that the script cannot rot: --learners 30 --runs 1, with no limit (the CI
machine's load is not the kit's doing).
"""
import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KIT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(KIT))

from grader.exercises import DEFAULT_POINTS, NAMES  # noqa: E402
from grader.classroom.mistake_report import rebuild  # noqa: E402

TENSOR = "tensor([" + ",\n           ".join(
    "[" + ", ".join(f"{(i * 8 + j) * 0.0137:.4f}" for j in range(8)) + "]" for i in range(4)) + "])"


def message(exercise, k):
    return (f"{exercise}: wrong values (mistake {k})\n  called   {exercise}(X)\n"
            f"           X = {TENSOR}\n  expected {TENSOR}\n  got      {TENSOR}\n"
            f"  hint     the usual mistake number {k} of {exercise}, in words a learner reads")


def made_up_class(learners, seed=0):
    """grades.json's entries for `learners` learners (see the module's docstring)."""
    rng = random.Random(seed)
    pass_rate = {name: rng.uniform(0.3, 0.95) for name in NAMES}
    entries = []
    for i in range(learners):
        exercises = {}
        for name in NAMES:
            points = DEFAULT_POINTS[name]
            if rng.random() < pass_rate[name]:
                exercises[name] = {"status": "passed", "score": points, "max_score": points,
                                   "feedback": "all 9 checks passed"}
            elif rng.random() < 0.15:
                exercises[name] = {"status": "not_attempted", "score": 0, "max_score": points,
                                   "feedback": f"{name}() still raises NotImplementedError",
                                   "mistake": f"{name}/not-attempted",
                                   "mistake_title": "not attempted"}
            else:
                k = min(int(rng.expovariate(0.7)), 5)  # a few mistakes are most of them
                exercises[name] = {"status": "failed", "score": 0, "max_score": points,
                                   "feedback": message(name, k),
                                   "mistake": f"{name}/mistake-{k}-abc123",
                                   "mistake_title": f"the usual mistake number {k} of {name}"}
        entries.append({"id": f"learner{i:04d}", "exercises": exercises,
                        "score": sum(r["score"] for r in exercises.values()),
                        "max_score": sum(r["max_score"] for r in exercises.values()),
                        "seconds": 30.0, "notes": []})
    return {"sandbox": True, "lang": "en", "submissions": entries}


def _children_cpu():
    """CPU seconds (user and system) of the processes this one has waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, nargs="+", default=[30, 300, 1000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--limit", type=float, help="fail if the command's median is over it")
    parser.add_argument("--quick", action="store_true",
                        help="CI's form: --learners 30 --runs 1")
    args = parser.parse_args()
    if args.quick:
        args.learners, args.runs = [30], 1
    print(f"{'learners':>8} {'command s':>9} {'its CPU s':>9} {'build s':>8} {'report.html':>11}"
          "   command runs")
    over = []
    for learners in args.learners:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp)
            (out / "grades.json").write_text(json.dumps(made_up_class(learners), indent=2))
            command, cpu, build = [], [], []
            for _ in range(args.runs):
                start, used = time.perf_counter(), _children_cpu()
                subprocess.run([sys.executable, "-m", "grader", "report", str(out)], check=True,
                               capture_output=True, cwd=KIT)
                command.append(time.perf_counter() - start)
                cpu.append(_children_cpu() - used)
                start = time.perf_counter()
                rebuild(out)
                build.append(time.perf_counter() - start)
            size = (out / "report.html").stat().st_size
        median = statistics.median(command)
        print(f"{learners:>8} {median:>9.2f} {statistics.median(cpu):>9.2f}"
              f" {statistics.median(build):>8.2f}"
              f" {size / 1e3:>9.0f} kB   " + " ".join(f"{t:.2f}" for t in command))
        if args.limit is not None and median > args.limit:
            over.append(learners)
    if over:
        sys.exit(f"over {args.limit} s: the report of {', '.join(map(str, over))} learners")


if __name__ == "__main__":
    main()
