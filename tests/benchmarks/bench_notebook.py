"""Speed of grading in a notebook, against the other learner front-ends, measured
in the same run (medians of --runs).

Usage: python tests/benchmarks/bench_notebook.py [--runs 3] [--exercises NAME ...] [--quick]

- `grader.check("NAME")` in a warm Jupyter kernel (a real ipykernel of this
  Python, the reference run in it as cells) against watch mode's
  re-grade of the same exercise (bench_speed.py's --parts watch timing);
- `grader.check()` of every exercise, in a fresh kernel (it loads torch,
  Hypothesis, the suite and the data) and again in the warm one, against
  `pytest exercises --impl solutions` minus the interpreter's start
  (`python -c "import torch, pytest, hypothesis"`).
The kernel times itself (time.perf_counter around the call), so Jupyter's
messaging is not counted; watch mode is timed from its "grading NAME" line.
--quick (CI's form, so that the script cannot rot): one run, `grader.check("linreg")`
only, against `pytest exercises --impl solutions --exercise linreg` minus the start.
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

KIT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(KIT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_speed import BARE, pytest_args, wall, watch_times  # noqa: E402
from grader.exercises import MODULES, NAMES  # noqa: E402

def load_cells():
    """The cells that load the reference into the kernel, as a notebook holds it:
    `import grader`, then each module's source as a cell of its own (the imports
    that join the learner's files left out), so that grader.check grades them
    as the kernel's cells define them (grader.learner.replay)."""
    joins = tuple(f"from {m} import" for m in MODULES)
    return ["import grader"] + ["\n".join(
        line for line in (KIT / "solutions" / f"{module}.py").read_text().splitlines()
        if not line.startswith(joins)) for module in MODULES]


TIMED = """
import time as _time
_start = _time.perf_counter()
_result = grader.check({args})
print(__import__("json").dumps([_time.perf_counter() - _start, _result.score]))
"""


class Kernel:
    """A real Jupyter kernel of this Python, working in `folder`."""

    def __init__(self, folder, jupyter_path):
        from jupyter_client.manager import start_new_kernel
        os.environ["JUPYTER_PATH"] = str(jupyter_path)
        self.manager, self.client = start_new_kernel(kernel_name="d2lkit-bench", cwd=str(folder))

    def run(self, code):
        """The text the cell printed; a cell that raised raises."""
        printed = []

        def note(message):
            if message["msg_type"] == "stream":
                printed.append(message["content"]["text"])
            elif message["msg_type"] == "error":
                raise RuntimeError("\n".join(message["content"]["traceback"]))
        self.client.execute_interactive(code, timeout=1800, output_hook=note)
        return "".join(printed)

    def timed(self, args=""):
        """(seconds, score) of grader.check(args), timed in the kernel."""
        return json.loads(self.run(TIMED.format(args=args)).splitlines()[-1])

    def close(self):
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


def kernel_spec(root):
    spec = Path(root) / "kernels" / "d2lkit-bench"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "d2lkit bench", "language": "python",
        "env": {"PYTHONPATH": str(KIT)}}))  # this checkout's grader, not an installed one
    return root


def notebook_times(runs, names, tmp, whole=True):
    """{name: median seconds of grader.check(name) warm}, and (if `whole`) the
    medians of grader.check() cold (a fresh kernel's first) and warm."""
    times = {}
    for _ in range(runs):
        kernel = Kernel(tmp, kernel_spec(tempfile.mkdtemp(dir=tmp)))
        try:
            for cell in load_cells():
                kernel.run(cell)
            if whole:
                seconds, score = kernel.timed()
                assert score == 100, score
                times.setdefault("all, cold", []).append(seconds)
                times.setdefault("all, warm", []).append(kernel.timed()[0])
            for name in names:
                times.setdefault(name, []).append(kernel.timed(repr(name))[0])
        finally:
            kernel.close()
    return {name: statistics.median(t) for name, t in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--exercises", nargs="+", default=list(NAMES), choices=NAMES)
    parser.add_argument("--quick", action="store_true",
                        help='one run of grader.check("linreg") only (CI\'s form)')
    options = parser.parse_args()
    if options.quick:
        return quick()
    with tempfile.TemporaryDirectory() as tmp:
        bare = statistics.median(wall(BARE, KIT) for _ in range(options.runs))
        pytest_all = statistics.median(wall(pytest_args("--impl", "solutions"), KIT)
                                       for _ in range(options.runs))
        watch = watch_times(options.runs)
        notebook = notebook_times(options.runs, options.exercises, tmp)
    print(f"{'run':<44}{'notebook':>12}{'other':>12}{'ratio':>10}")

    def row(name, mine, other):
        print(f"{name:<44}{mine:>10.2f} s{other:>10.2f} s{mine / other:>9.2f}x")
    for name in options.exercises:
        row(f'grader.check("{name}") vs watch', notebook[name], watch[name])
    row("grader.check() warm vs pytest - start", notebook["all, warm"], pytest_all - bare)
    row("grader.check() cold vs pytest - start", notebook["all, cold"], pytest_all - bare)
    print(f"(bare start {bare:.2f} s, pytest exercises --impl solutions {pytest_all:.2f} s)")


def quick():
    """CI's form: grader.check("linreg") in a warm kernel, once, against the same
    exercise by pytest net of the bare start."""
    with tempfile.TemporaryDirectory() as tmp:
        bare = wall(BARE, KIT)
        alone = wall(pytest_args("--impl", "solutions", "--exercise", "linreg"), KIT)
        notebook = notebook_times(1, ["linreg"], tmp, whole=False)
    print(f"{'run':<44}{'notebook':>12}{'other':>12}{'ratio':>10}")
    name = 'grader.check("linreg") vs pytest - start'
    print(f"{name:<44}{notebook['linreg']:>10.2f} s"
          f"{alone - bare:>10.2f} s{notebook['linreg'] / (alone - bare):>9.2f}x")


if __name__ == "__main__":
    main()
