"""Every script in tests/benchmarks/ runs in its quick form (--quick: one run, small
sizes), so that none can rot: each must end with status 0 and print its table.
The figures of a quick form say nothing; the full runs are for a quiet machine."""
import subprocess
import sys
from pathlib import Path

import pytest

KIT = Path(__file__).resolve().parents[1]
BENCHMARKS = KIT / "tests" / "benchmarks"
# script: (its extra arguments, a line its table always prints)
QUICK = {
    "bench_batch": ((), "per minute"),
    "bench_fashion_mnist": (("--data-dir", "{tmp}"), "ratio (a)/(b)"),
    "bench_install": ((), "within the declared ranges"),
    "bench_memory": ((), "MB of PSS"),
    "bench_notebook": ((), "vs pytest - start"),
    "bench_notebooks": ((), "median:"),
    "bench_platform": ((), "limits:"),
    "bench_report": ((), "command runs"),
    "bench_speed": ((), "untouched stubs (x bare)"),
}


def test_every_benchmark_has_a_quick_form():
    assert {path.stem for path in BENCHMARKS.glob("bench_*.py")} == set(QUICK)


@pytest.mark.parametrize("script", sorted(QUICK))
def test_benchmark_runs_in_its_quick_form(script, tmp_path):
    extra, printed = QUICK[script]
    done = subprocess.run([sys.executable, str(BENCHMARKS / f"{script}.py"), "--quick",
                           *(arg.format(tmp=tmp_path) for arg in extra)],
                          cwd=KIT, capture_output=True, text=True, timeout=540)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert printed in done.stdout, done.stdout[-2000:]
