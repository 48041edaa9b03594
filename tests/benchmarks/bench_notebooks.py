"""Issue 20's speed target for notebook submissions: grading a notebook is at
most 1.1x grading the same definitions as .py files.

Usage: python tests/benchmarks/bench_notebooks.py [--runs 3] [--jobs 1] [--quick]

Two classes of one submission each, graded by `python -m grader grade` (the
sandbox as the machine allows), interleaved run by run: the reference
solutions as the four .py files, and the same code as one notebook the way a
learner's real notebook holds it (the book's `%matplotlib inline`, `!pip
install d2l`, `from d2l import torch as d2l`, a training cell, a plot, and a
top-level `while True: pass` cell). Prints each run's seconds, the medians,
the ratio, and both scores (each must be 100/100). --quick (CI's form, so that
the script cannot rot): one run, on the stubs (the four files, and the
release's notebook of them): the scores must be equal, the ratio is not checked.
"""
import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KIT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(KIT))
from grader.classroom.release import chapter3_notebook  # noqa: E402
from grader.exercises import MODULES  # noqa: E402
from tests.test_notebook_submissions import reference_notebook  # noqa: E402

LIMIT = 1.1


def grade(root, out, jobs):
    """Seconds `python -m grader grade` takes on `root`, and the submission's score."""
    shutil.rmtree(out, ignore_errors=True)
    start = time.monotonic()
    subprocess.run([sys.executable, "-m", "grader", "grade", str(root), "--out", str(out),
                    "--jobs", str(jobs)], check=True, cwd=KIT, capture_output=True)
    seconds = time.monotonic() - start
    row = json.loads((out / "grades.json").read_text())["submissions"][0]
    return seconds, f"{row['score']}/{row['max_score']}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="one run, on the stubs (CI's form)")
    args = parser.parse_args()
    if args.quick:
        args.runs = 1
    folder = KIT / ("exercises" if args.quick else "solutions")
    notebook = json.dumps(chapter3_notebook(folder)) if args.quick else reference_notebook()
    with tempfile.TemporaryDirectory(prefix="d2lkit-bench-notebooks-") as tmp:
        tmp = Path(tmp)
        modules = tmp / "py" / "reference"
        modules.mkdir(parents=True)
        for module in MODULES:
            shutil.copy(folder / f"{module}.py", modules)
        notebooks = tmp / "ipynb" / "reference"
        notebooks.mkdir(parents=True)
        (notebooks / "chapter3.ipynb").write_text(notebook)
        times, scores = {"py": [], "ipynb": []}, {}
        for run in range(args.runs):
            for kind in times:
                seconds, scores[kind] = grade(tmp / kind, tmp / f"out-{kind}", args.jobs)
                times[kind].append(seconds)
                print(f"run {run + 1}: {kind:<5} {seconds:6.1f} s  {scores[kind]}", flush=True)
    medians = {kind: statistics.median(t) for kind, t in times.items()}
    ratio = medians["ipynb"] / medians["py"]
    print(f"median: .py files {medians['py']:.1f} s, notebook {medians['ipynb']:.1f} s;"
          f" ratio {ratio:.3f} (target at most {LIMIT}); scores .py {scores['py']},"
          f" notebook {scores['ipynb']}")
    ok = scores["py"] == scores["ipynb"] if args.quick else \
        ratio <= LIMIT and scores["py"] == scores["ipynb"] == "100/100"
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
