"""The pytest plugin: options, the `exercise` marker, the learner fixture, and the
grade report (per-check statuses, the summary table, --grade-json)."""
import importlib.util
import json
from pathlib import Path

import pytest
import torch

from grader.grades import CheckResult, GradeBook, parse_points
from grader.report import classify
from grader.seam import EXERCISES, Learner, TimedOut

HELP_IMPL = ("implementation to grade: a folder holding linear_regression.py and"
             " softmax_regression.py, or a package name such as `solutions`"
             " (default: the exercises/ folder)")
HELP_JSON = "write the grade as JSON to FILE"
HELP_POINTS = "points of one exercise, NAME=POINTS (repeatable; also the d2l_points ini option)"
HELP_TIMEOUT = "seconds one call of a learner function may take before it counts as a timeout"
HELP_DATA = "folder for the Fashion-MNIST data (default: $D2LKIT_DATA or ~/.cache/d2lkit)"
HELP_PLOT = ("also draw the Fashion-MNIST training curves, one PNG per function, into DIR"
             " (needs matplotlib: pip install -e .[plot])")
SHORT = {"passed": "passed", "failed": "FAILED", "error": "ERROR", "timeout": "TIMEOUT",
         "not_attempted": "not attempted", "missing": "MISSING"}


def pytest_addoption(parser):
    group = parser.getgroup("d2lkit", "d2l chapter-3 grading")
    group.addoption("--impl", metavar="PATH", help=HELP_IMPL)
    group.addoption("--grade-json", metavar="FILE", help=HELP_JSON)
    group.addoption("--points", metavar="NAME=POINTS", action="append", default=[], help=HELP_POINTS)
    group.addoption("--call-timeout", metavar="SECONDS", type=float, default=10.0, help=HELP_TIMEOUT)
    group.addoption("--data-dir", metavar="DIR", help=HELP_DATA)
    group.addoption("--fashion-plot-dir", metavar="DIR", help=HELP_PLOT)
    parser.addini("d2l_points", HELP_POINTS, type="linelist", default=[])


def pytest_configure(config):
    config.addinivalue_line("markers", "exercise(name): the exercise a grading test belongs to")
    try:
        points = parse_points(config.getini("d2l_points"), "ini option d2l_points")
        points = parse_points([f"{k}={v}" for k, v in points.items()] + config.getoption("points"),
                              "--points")
    except ValueError as e:
        raise pytest.UsageError(str(e)) from None
    config.stash[BOOK] = GradeBook(points)


BOOK = pytest.StashKey[GradeBook]()


def _exercise(item):
    marker = item.get_closest_marker("exercise")
    return marker.args[0] if marker else None


def pytest_collection_finish(session):
    if session.config.option.collectonly:
        return
    graded = {_exercise(item) for item in session.items} - {None}
    for name in sorted(graded, key=EXERCISES.index):
        session.config.stash[BOOK].expect(name)


def resolve_impl(value, rootpath):
    """--impl PATH: an existing folder, else an importable package, else rootdir/PATH."""
    if value is None:
        return rootpath / "exercises"
    if Path(value).is_dir():
        return Path(value)
    try:
        spec = importlib.util.find_spec(value)
    except (ImportError, ValueError):
        spec = None
    if spec and spec.submodule_search_locations:
        return Path(list(spec.submodule_search_locations)[0])
    if (rootpath / value).is_dir():
        return rootpath / value
    raise pytest.UsageError(f"--impl {value}: no such folder or package (it must hold"
                            " linear_regression.py and softmax_regression.py)")


@pytest.fixture(scope="session")
def learner(request):
    """The implementation under grading, behind the seam (grader.seam.Learner)."""
    config = request.config
    folder = resolve_impl(config.getoption("impl"), config.rootpath)
    return Learner(folder, call_timeout=config.getoption("call_timeout"))


@pytest.fixture(scope="session")
def fashion_mnist(request):
    """((X_train, y_train), (X_test, y_test)): float32 (n, 784) in [0, 1], int64 labels."""
    from grader.fashion_mnist import load_features
    root = request.config.getoption("data_dir")
    return load_features(Path(root) if root else None)


@pytest.fixture(scope="session")
def fashion_plot_dir(request):
    """--fashion-plot-dir as a Path, or None."""
    folder = request.config.getoption("fashion_plot_dir")
    return Path(folder) if folder else None


def pytest_report_header(config):
    impl = config.getoption("impl") or "exercises/"
    return (f"d2l chapter 3 kit: grading {impl} (Hypothesis profile 'grading': derandomized;"
            f" torch {torch.__version__})")


def pytest_runtest_setup(item):
    """A function that already hung is not called again: each call would hang too."""
    name = _exercise(item)
    timed_out = [r for r in item.config.stash[BOOK].checks.get(name, []) if r.status == "timeout"]
    if timed_out:
        raise TimedOut(name, f"not run, as {timed_out[0].message}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    report = (yield).get_result()
    name = _exercise(item)
    if name is None or call.when == "teardown" or (call.when == "setup" and report.passed):
        return
    if call.excinfo is None:
        status, message = "passed", ""
    else:
        status, message = classify(call.excinfo.value)
        if status is None:  # not the learner's doing: keep pytest's traceback
            status, message = "error", f"internal error in the grader: {message}"
        elif status in ("not_attempted", "missing"):
            report.outcome = "skipped"
            report.longrepr = (str(item.path), item.location[1], message)
        else:
            report.outcome = "failed"
            report.longrepr = message
    report.d2l_status = status
    notes = [value for key, value in item.user_properties if key == "feedback"]
    item.config.stash[BOOK].record(name, CheckResult(item.name, status, message, notes))


def pytest_report_teststatus(report, config):
    status = getattr(report, "d2l_status", None)
    if status in ("not_attempted", "missing"):
        return SHORT[status], "n", SHORT[status].upper()
    if status == "timeout":
        return "failed", "T", "TIMEOUT"
    return None


def pytest_terminal_summary(terminalreporter, config):
    book = config.stash[BOOK]
    if not book.checks:
        return
    grade = book.as_json()
    tw = terminalreporter
    tw.section("d2l chapter 3: your grade", sep="=", bold=True)
    for name, result in grade["exercises"].items():
        status = result["status"]
        first_line = result["feedback"].splitlines()[0] if status not in (
            "passed", "not_attempted") else ""
        line = f"  {name:<15} {SHORT[status]:<14} {result['score']:>3}/{result['max_score']:<3}  "
        tw.write_line(line + first_line[:70], green=status == "passed",
                      red=status in ("failed", "error", "timeout", "missing"),
                      yellow=status == "not_attempted")
    passed = sum(r["status"] == "passed" for r in grade["exercises"].values())
    tw.write_line(f"  {'total':<30} {grade['score']:>3}/{grade['max_score']:<3}"
                  f"  ({passed} of {len(grade['exercises'])} exercises passed)", bold=True)
    todo = next((n for n, r in grade["exercises"].items() if r["status"] != "passed"), None)
    if todo:
        why = grade["exercises"][todo]["feedback"].splitlines()[0]
        tw.write_line(f"  next: {why}")
        tw.write_line(f"        then run `pytest exercises -k {todo}` to grade just that one")


def pytest_sessionfinish(session, exitstatus):
    book = session.config.stash[BOOK]
    if not book.checks:
        return
    grade = book.as_json()
    path = session.config.getoption("grade_json")
    if path:
        Path(path).write_text(json.dumps(grade, indent=2) + "\n")
    if exitstatus == 0 and grade["score"] < grade["max_score"]:
        session.exitstatus = 1
