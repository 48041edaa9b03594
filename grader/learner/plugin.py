"""The pytest plugin: options, the `exercise` marker, the learner fixture, and the
grade report (per-check statuses, the summary table, --grade-json)."""
import importlib.util
import json
import os
import time
from pathlib import Path

import pytest
import torch

from grader import environment, i18n
from grader.learner import feedback
from grader.learner import github
from grader.grading import profiles
from grader.exercises import FILES, NAMES, seam_spec
from grader.grading.data import shared_features
from grader.grading.grades import SHORT, CheckResult, Status, parse_points
from grader.grading.session import FINAL_UNDER_PYTEST, Session, internal_error, learners
from grader.grading.wording import columns
from grader.i18n import _
from grader.portable.warned import taken_warnings
from grader.portable.oracle import ORACLE
from grader.portable.process import BOOK_FLOAT_WARNING, freeze_loaded, use_threads
from grader.options import HELP_ALLOW, HELP_DATA, HELP_EXAMPLES, HELP_EXERCISE, HELP_IMPL, \
    HELP_JSON, HELP_LANG, HELP_PLOT, HELP_POINTS, HELP_SEED, HELP_TIMEOUT, EXAMPLES
from grader.grading.profiles import without_shrinking
from grader.learner.progress import Progress
from grader.portable.seam import Learner

# A whole check may take this long; a learner's single call has --call-timeout.
CHECK_TIMEOUT = 600


def pytest_addoption(parser):
    group = parser.getgroup("d2lkit", "d2l chapter-3 grading")
    group.addoption("--impl", metavar="PATH", help=HELP_IMPL)
    group.addoption("--grade-json", metavar="FILE", help=HELP_JSON)
    group.addoption("--points", metavar="NAME=POINTS", action="append", default=[], help=HELP_POINTS)
    group.addoption("--call-timeout", metavar="SECONDS", type=float, default=10.0, help=HELP_TIMEOUT)
    group.addoption("--data-dir", metavar="DIR", help=HELP_DATA)
    group.addoption("--fashion-plot-dir", metavar="DIR", help=HELP_PLOT)
    group.addoption("--exercise", metavar="NAME", action="append", default=[], help=HELP_EXERCISE)
    group.addoption("--allow-builtins", action="store_true", default=None, help=HELP_ALLOW)
    group.addoption("--grading-seed", metavar="N", type=int, help=HELP_SEED)
    group.addoption("--examples", metavar="K", type=int, help=HELP_EXAMPLES)
    group.addoption("--lang", choices=i18n.LANGUAGES, help=HELP_LANG)
    parser.addini("d2l_points", HELP_POINTS, type="linelist", default=[])
    parser.addini("d2l_lang", HELP_LANG, default="")
    parser.addini("d2l_allow_builtins", HELP_ALLOW, type="bool", default=False)


def pytest_configure(config):
    i18n.set_language(chosen_language(config))
    try:  # a broken torch/numpy/torchvision would fail correct code
        environment.check()
    except environment.BrokenEnvironment as e:
        raise pytest.UsageError(str(e)) from None
    use_threads(1)
    # The drawing checks draw headless: pyplot opens no window (unless asked to).
    os.environ.setdefault("MPLBACKEND", "Agg")
    config.addinivalue_line("markers", "exercise(name): the exercise a grading test belongs to")
    # pytest sets each test's warning filters from its ini options.
    config.addinivalue_line("filterwarnings", f"ignore:{BOOK_FLOAT_WARNING}:UserWarning")
    try:
        points = parse_points(config.getini("d2l_points"), "ini option d2l_points")
        points = parse_points([f"{k}={v}" for k, v in points.items()] + config.getoption("points"),
                              "--points")
    except ValueError as e:
        raise pytest.UsageError(str(e)) from None
    unknown = set(config.getoption("exercise")) - set(NAMES)
    if unknown:
        raise pytest.UsageError(_("--exercise {names}: no such exercise; the exercises are"
                                  " {exercises}").format(names=", ".join(sorted(unknown)),
                                                         exercises=", ".join(NAMES)))
    if config.getoption("impl") is not None:
        resolve_impl(config.getoption("impl"), config.rootpath)  # a bad one stops here, at once
    examples = config.getoption("examples")
    if examples is not None:
        if examples < 1:
            raise pytest.UsageError(_("--examples {examples}: must be at least 1").format(
                examples=examples))
        profiles.use_examples(examples)
    root = _data_root(config)
    plot_dir = config.getoption("fashion_plot_dir")
    config.stash[SESSION] = Session(points, grading_seed=config.getoption("grading_seed"),
                                    fashion=lambda: shared_features(root), data_root=root,
                                    plot_dir=Path(plot_dir) if plot_dir else None,
                                    final=FINAL_UNDER_PYTEST, say_not_run=True)


def chosen_language(config):
    """--lang, else the d2l_lang ini option, else the locale's language."""
    lang = config.getoption("lang") or config.getini("d2l_lang").strip()
    if lang and lang not in i18n.LANGUAGES:
        raise pytest.UsageError(f"ini option d2l_lang: {lang!r} is not one of"
                                f" {', '.join(i18n.LANGUAGES)}")
    return lang or i18n.language_from_environment()


def grading_learner(config):
    """Whether this run grades a learner (`pytest exercises`, watch mode): its
    output is then the learner's, without pytest's headers, per-test tracebacks
    and test ids. The kit's own tests (`pytest tests`) keep pytest's output."""
    if config.getoption("impl") or config.getoption("exercise"):
        return True
    for arg in config.args:
        path = Path(str(arg).split("::")[0])
        if arg.startswith("grader.grading.suite") or path.name == "test_chapter3.py" \
                or (path / "test_chapter3.py").is_file():
            return True
    return False


@pytest.hookimpl(trylast=True, specname="pytest_configure")
def pytest_configure_learner_output(config):
    """In a learner's run: no header, no tracebacks or short summary per test
    (the grade section says it all, one message per exercise). In another
    language than English, pytest's own English lines (its session title, the
    number collected, the closing count) give way to the kit's closing line,
    unless -v asked for them."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or not grading_learner(config):
        return
    config.option.no_header = True
    config.option.tbstyle = "no"
    reporter.reportchars = ""
    if i18n.language() != "en" and config.option.verbose <= 0:
        config.option.verbose = -2  # pytest -qq
        config.stash[OWN_SUMMARY] = time.monotonic()


def allow_builtins(config):
    """--allow-builtins, else the d2l_allow_builtins ini option."""
    option = config.getoption("allow_builtins")
    return config.getini("d2l_allow_builtins") if option is None else option


SESSION = pytest.StashKey[Session]()
OWN_SUMMARY = pytest.StashKey[float]()  # when the run began, if the kit closes it
PROGRESS = pytest.StashKey[tuple]()
# What was not run or failed when the learner's files were loaded, one note per file.
NOTES = pytest.StashKey[list]()


def _exercise(item):
    marker = item.get_closest_marker("exercise")
    return marker.args[0] if marker else None


def pytest_collection_modifyitems(config, items):
    """--exercise deselects the other exercises' checks; every check gets a time
    limit (pytest-timeout) and the grading seed."""
    chosen = set(config.getoption("exercise"))
    if chosen:
        dropped = [item for item in items if _exercise(item) not in chosen]
        items[:] = [item for item in items if _exercise(item) in chosen]
        config.hook.pytest_deselected(items=dropped)
    graded = [item for item in items if _exercise(item)]
    for item in graded:
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(CHECK_TIMEOUT))
    config.stash[SESSION].seed({item.obj for item in graded})


def pytest_collection_finish(session):
    # torch, Hypothesis and the suite are loaded: the garbage collector's full
    # passes (Hypothesis makes one when its first test starts, pytest one or two
    # at the end) skip them.
    freeze_loaded()
    if session.config.option.collectonly:
        return
    graded = {_exercise(item) for item in session.items} - {None}
    for name in sorted(graded, key=NAMES.index):
        session.config.stash[SESSION].book.expect(name)
    if graded:
        # What the grade is of, taken before any check runs: the learner may save meanwhile.
        folder = resolve_impl(session.config.getoption("impl"), session.config.rootpath)
        session.config.stash[PROGRESS] = Progress(folder), Progress(folder).keys()


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
    raise pytest.UsageError(_("--impl {value}: no such folder or package (it must hold"
                              " {files})").format(value=value, files=FILES))


@pytest.fixture(scope="session")
def learner(request):
    """The implementation under grading, behind the seam (grader.portable.seam.Learner)."""
    config = request.config
    folder = resolve_impl(config.getoption("impl"), config.rootpath)
    session = config.stash[SESSION]
    session.learner = Learner(folder, seam_spec(allow_builtins(config)),
                              call_timeout=config.getoption("call_timeout"),
                              stand_ins=vars(ORACLE))
    config.stash[NOTES] = list(session.learner.load_notes().values())
    return session.learner


def _data_root(config):
    """--data-dir as a Path, or None (the default root)."""
    root = config.getoption("data_dir")
    return Path(root) if root else None


# The suite's other fixtures are the grading session's (Session.fixture).
@pytest.fixture(scope="session")
def fashion_mnist(request):
    return request.config.stash[SESSION].fixture("fashion_mnist")


@pytest.fixture(scope="session")
def fashion_mnist_raw(request):
    return request.config.stash[SESSION].fixture("fashion_mnist_raw")


@pytest.fixture(scope="session")
def fashion_runs(request, learner):
    return request.config.stash[SESSION].fixture("fashion_runs")


@pytest.fixture(scope="session")
def fashion_plot_dir(request):
    return request.config.stash[SESSION].fixture("fashion_plot_dir")


def pytest_report_header(config):
    """How the run grades (the kit's own runs; a learner's shows it in
    pytest_sessionstart below, and only when not the defaults)."""
    impl = config.getoption("impl") or "exercises/"
    seed = config.getoption("grading_seed")
    examples = config.getoption("examples") or EXAMPLES
    how = _("grading seed {seed}").format(seed=seed) if seed is not None else _("derandomized")
    builtins = _("built-ins allowed") if allow_builtins(config) else _("built-ins not allowed")
    return _("d2l chapter 3 kit: grading {impl} ({examples} examples per check, {how};"
             " {builtins}; torch {version})").format(impl=impl, examples=examples, how=how,
                                                   builtins=builtins, version=torch.__version__)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """A check of an exercise that already failed one is not shrunk (its message
    is only listed under the first failure's)."""
    name = _exercise(item)
    if name is None or item.config.stash[SESSION].shrinks(name):
        return (yield)
    with without_shrinking(item.obj):
        return (yield)


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session):
    """A learner's run has no header, but says so when it grades otherwise than
    by default (an instructor's seed, examples or built-ins)."""
    config = session.config
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter and grading_learner(config) and (
            config.getoption("grading_seed") is not None or config.getoption("examples")
            or allow_builtins(config)):
        reporter.write_line(pytest_report_header(config))


def pytest_runtest_setup(item):
    """A check the session does not run (Session.repeated: its function already
    hung, is not attempted or is missing) sets nothing up (e.g. Fashion-MNIST):
    it ends at once, as the session says."""
    name = _exercise(item)
    repeat = None if name is None else item.config.stash[SESSION].repeated(name)
    if repeat is not None:
        raise repeat


@pytest.hookimpl(tryfirst=True, specname="pytest_runtest_makereport")
def pytest_runtest_makereport_for_learner_outcomes(item, call):
    """A check ended by the learner's code gets a report without pytest's
    traceback, which the report below replaces with the learner's message and
    which takes longer to build than most checks take to run."""
    if _exercise(item) is None or call.excinfo is None or not learners(call.excinfo.value):
        return None
    sections = [(f"Captured {key} {when}", text) for when, key, text in item._report_sections]
    return pytest.TestReport(item.nodeid, item.location, dict.fromkeys(item.keywords, 1), "failed",
                             None, call.when, sections, call.duration, call.start, call.stop,
                             user_properties=item.user_properties)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    report = (yield).get_result()
    name = _exercise(item)
    warned = taken_warnings()  # what the learner's code warned in this phase of the check
    if name is None or call.when == "teardown" or (call.when == "setup" and report.passed):
        return
    session = item.config.stash[SESSION]
    status, message = session.verdict(name, call.excinfo and call.excinfo.value,
                                      item.funcargs.get("learner"))
    internal = status is None  # not the learner's doing: keep pytest's traceback
    if internal:
        status, message = Status.ERROR, internal_error(message, report.longreprtext)
    if status in (Status.NOT_ATTEMPTED, Status.MISSING, Status.SKIPPED):
        report.outcome = "skipped"
        report.longrepr = (str(item.path), item.location[1], message)
    elif status != Status.PASSED and not internal:
        report.outcome = "failed"
        report.longrepr = message
    report.d2l_status = str(status)  # a plain str, as reports are sent between processes
    notes = [value for key, value in item.user_properties if key == "feedback"]
    session.record(name, CheckResult(item.name, status, message, notes, warned))


def pytest_report_teststatus(report, config):
    status = getattr(report, "d2l_status", None)
    if status in (Status.NOT_ATTEMPTED, Status.MISSING):
        return _(SHORT[status]), "n", _(SHORT[status]).upper()
    if status == Status.TIMEOUT:
        return "failed", "T", _(SHORT[Status.TIMEOUT])
    return None


def pytest_terminal_summary(terminalreporter, config):
    book = config.stash[SESSION].book
    if not book.checks:
        return
    grade = book.as_json()
    tw = terminalreporter
    notes = config.stash.get(NOTES, [])
    if notes:
        section(tw, _("d2l chapter 3: about your files"))
        for note in notes:
            tw.write_line(note)
    to_read = feedback.messages(grade)
    if to_read and grading_learner(config):
        section(tw, _("d2l chapter 3: what to fix"))
        for name, text in to_read:
            section(tw, feedback.heading(name), sep="_", bold=False)
            tw.write_line("")
            tw.write_line(text)
    section(tw, _("d2l chapter 3: your grade"))
    for _name, status, row in feedback.table_rows(grade):
        tw.write_line(row, green=status == Status.PASSED, red=status in feedback.TO_READ,
                      yellow=status == Status.NOT_ATTEMPTED)
    if not feedback.graded_alone(grade):
        tw.write_line(feedback.total_line(grade), bold=True)
        for line in feedback.next_lines(grade, "pytest exercises --exercise {}"):
            tw.write_line(line)
    if github.running_on_github() and grading_learner(config):
        github.report(grade, resolve_impl(config.getoption("impl"), config.rootpath),
                      tw.write_line)
    if OWN_SUMMARY in config.stash:
        section(tw, _("graded in {seconds:.1f} s").format(
            seconds=time.monotonic() - config.stash[OWN_SUMMARY]))


def section(tw, title, sep="=", bold=True):
    """tw.section(title, sep, bold), as wide as pytest's other lines when the
    title holds Chinese characters, which take two columns each."""
    wide = columns(title) - len(title)
    tw.write_sep(sep, title, fullwidth=tw._tw.fullwidth - wide if wide else None, bold=bold)


def pytest_sessionfinish(session, exitstatus):
    book = session.config.stash[SESSION].book
    if not book.checks:
        return
    grade = {**book.as_json(), "notes": session.config.stash.get(NOTES, [])}
    path = session.config.getoption("grade_json")
    if path:
        Path(path).write_text(json.dumps(grade, indent=2) + "\n")
    if PROGRESS in session.config.stash and exitstatus in (0, pytest.ExitCode.TESTS_FAILED):
        progress, keys = session.config.stash[PROGRESS]  # an interrupted run proves nothing
        progress.update(grade["exercises"], keys)
    if exitstatus == 0 and grade["score"] < grade["max_score"]:
        session.exitstatus = 1
