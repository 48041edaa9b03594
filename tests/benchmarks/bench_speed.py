"""The speed issue's table: every run as a ratio to a bare start
(`python -c "import torch, pytest, hypothesis"`) measured in the same run.

Usage: python tests/benchmarks/bench_speed.py [--runs 5] [--compare DIR] [--quick]
                                              [--parts targets learner busy batch endless
                                                       watch failing lang chapter]

targets (the default): issue 34's table, each row as a ratio with its target:
  the untouched stubs (`pytest exercises`) and the reference (`pytest
  exercises --impl solutions`) against the bare start; the reference beside a
  CPU-bound process against the same alone; `grade --jobs 2` on 4 reference
  copies, in submissions per minute. With --quick (CI's form, so that the script
  cannot rot): one run, the reference's rows on one exercise and a class of one
  copy of the stubs: the figures then say nothing of the targets.
learner: `pytest exercises --impl solutions`, the untouched stubs, and each
  exercise alone (--exercise NAME), medians of --runs.
busy: the full learner run while a second one runs beside it, against the
  same run alone.
batch: `python -m grader grade --jobs 2` on a class of 8 reference copies and
  on a class of typical failing submissions (one per exercise, each with one
  wrong function from the catalogue in tests/wrong.py), in submissions per minute.
endless: the issue's endless data_iter (`while True: yield features[:batch_size],
  labels[:batch_size]`) in the reference, graded by `pytest exercises` and by
  `python -m grader grade` (one submission): seconds, and data_iter's status.
failing: `--exercise NAME` on a wrong NAME (the catalogue's, one per row)
  against the same on the reference: a failure is shrunk to its smallest
  input, which must not make a failing run much slower than a passing one.
watch: watch mode on the reference (`python -m grader watch`, stdin not a
  terminal): seconds from "grading NAME" to its result for each exercise in
  the warm process (the first also loads the suite), and for a save, which
  grades all once every exercise has passed. This kit only.
chapter: issue 23's "the full run and the class throughput move by at most the
  new exercises' own share", against --compare DIR (a kit before them): the
  full learner run of each kit, and this kit's run of only the exercises the
  other has (--exercise for each); then `grade --jobs 2` on 4 reference copies
  with each kit. The new exercises' share is this kit's full run minus its run
  of the old ones.
lang: the full learner run on the reference and on one submission with every
  exercise wrong (the catalogue's first mistake of each), with --lang en and
  with --lang zh, interleaved: issue 21's "no slower in Chinese". This kit only.
With --compare DIR (a `git worktree` of an earlier commit), that kit is run
too, interleaved with this one, and its figures are printed beside.
Runs start without PYTHONDONTWRITEBYTECODE, as in a learner's shell: pytest
then caches its rewritten modules after the first run.
"""
import argparse
import json
import os
import re
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
from grader.learner.progress import STATE_FILE  # noqa: E402
from tests import wrong  # noqa: E402,F401 - registers the catalogue
from tests.catalogue import WRONG  # noqa: E402
from tests.conftest import PRELUDE, variant_source  # noqa: E402

ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
BARE = [sys.executable, "-c", "import torch, pytest, hypothesis"]
FAILING = f"{len(NAMES)} typical failing"
CPU_BOUND = [sys.executable, "-c", "while True: pass"]
# Issue 34's targets: (the row's name, the bound, True if the figure must be at most it).
TARGETS = {"stubs": ("untouched stubs (x bare)", 1.3, True),
           "reference": ("the reference, --impl solutions (x bare)", 4.0, True),
           "busy": ("the same beside a CPU-bound one (x quiet)", 2.0, True),
           "class": ("grade --jobs 2, 4 reference copies (/min)", 10.0, False)}


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


def beside_cpu_bound(command, kit):
    """Wall time of `command` while CPU_BOUND runs beside it."""
    other = subprocess.Popen(CPU_BOUND, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        return wall(command, kit)
    finally:
        other.kill()
        other.wait()


def target_figures(kit, runs, quick, tmp):
    """{row of TARGETS: (seconds, figure)} of `kit`, and the bare start's seconds,
    all medians of `runs` interleaved runs (the class's of half as many)."""
    reference = pytest_args("--impl", "solutions", *(["--exercise", "sgd"] if quick else []))
    times = {"bare": [], "stubs": [], "reference": [], "busy": []}
    for _ in range(runs):
        for name, command in (("bare", BARE), ("stubs", pytest_args()),
                              ("reference", reference)):
            times[name].append(wall(command, kit))
        times["busy"].append(beside_cpu_bound(reference, kit))
    bare, stubs, ref, busy = (statistics.median(t) for t in times.values())
    size, copied = (1, "exercises") if quick else (4, "solutions")
    for i in range(size):
        shutil.copytree(kit / copied, Path(tmp) / "class" / f"s{i}",
                        ignore=shutil.ignore_patterns(STATE_FILE, "__pycache__", "test_*.py"))
    grade = [sys.executable, "-m", "grader", "grade", f"{tmp}/class", "--out", f"{tmp}/out",
             "--jobs", "2", "--regrade"]
    graded = statistics.median(wall(grade, kit) for _ in range(max(1, runs // 2)))
    return {"stubs": (stubs, stubs / bare), "reference": (ref, ref / bare),
            "busy": (busy, busy / ref), "class": (graded, size * 60 / graded)}, bare


def with_mistakes(folder, variants):
    """The reference in `folder`, with each of `variants` replacing its exercise."""
    shutil.copytree(KIT / "solutions", folder)
    for variant in variants:
        with open(Path(folder) / f"{BY_NAME[variant.exercise].module}.py", "a") as f:
            f.write(PRELUDE + variant_source(variant))


def first_mistakes():
    """The catalogue's first mistake of each exercise."""
    return [next(v for v in WRONG if v.exercise == name) for name in NAMES]


def typical_failing(folder):
    """One submission per exercise: the reference with the exercise's first
    catalogue mistake."""
    for i, variant in enumerate(first_mistakes()):
        with_mistakes(Path(folder) / f"s{i:03d}", [variant])


def batch_medians(kits, runs, tmp):
    """{(class, kit): median seconds} of grading each class with --jobs 2."""
    classes = {"8 reference copies": Path(tmp) / "reference", FAILING: Path(tmp) / "failing"}
    for i in range(8):
        shutil.copytree(KIT / "solutions", classes["8 reference copies"] / f"s{i:03d}")
    typical_failing(classes[FAILING])
    commands = {name: [sys.executable, "-m", "grader", "grade", str(folder), "--out",
                       f"{tmp}/out", "--jobs", "2", "--regrade"] for name, folder in classes.items()}
    return medians(commands, kits, runs)


# (exercise, catalogue mistake) of the failing part: issue 22's slow failures.
FAILING_CASES = (("linreg", "linreg_elementwise_product"),
                 ("squared_loss", "squared_loss_forgets_half"),
                 ("softmax", "softmax_naive_exp"),
                 ("cross_entropy", "cross_entropy_mean"))


def failing_medians(kits, runs, tmp):
    """{(row, kit): median seconds} of `--exercise NAME` on the reference and on the
    reference with NAME's catalogue mistake, for each of FAILING_CASES."""
    commands = {}
    for exercise, name in FAILING_CASES:
        variant = next(v for v in WRONG if v.fn.__name__ == name)
        sub = Path(tmp) / name
        shutil.copytree(KIT / "solutions", sub)
        with open(sub / f"{BY_NAME[exercise].module}.py", "a") as f:
            f.write(PRELUDE + variant_source(variant))
        commands[f"--exercise {exercise}, reference"] = pytest_args(
            "--impl", str(KIT / "solutions"), "--exercise", exercise)
        commands[f"--exercise {exercise}, {name}"] = pytest_args(
            "--impl", str(sub), "--exercise", exercise)
    return medians(commands, kits, runs)


ENDLESS = """
def data_iter(batch_size, features, labels):
    while True:
        yield features[:batch_size], labels[:batch_size]
"""


def endless_times(kits, tmp):
    """{(command, kit): (seconds, data_iter's status, how many others passed)} of
    grading the reference with ENDLESS as its data_iter."""
    sub = Path(tmp) / "endless" / "s000"
    shutil.copytree(KIT / "solutions", sub)
    with open(sub / "linear_regression.py", "a") as f:
        f.write(ENDLESS)
    commands = {"pytest exercises": pytest_args("--impl", str(sub), "--grade-json",
                                                f"{tmp}/endless.json"),
                "grade": [sys.executable, "-m", "grader", "grade", str(sub.parent), "--out",
                          f"{tmp}/out-endless", "--regrade"]}
    result = {}
    for kit in kits:
        for name, command in commands.items():
            seconds = wall(command, kit)
            path = Path(tmp) / ("endless.json" if name == "pytest exercises"
                                else "out-endless/grades.json")
            grades = json.loads(path.read_text())
            exercises = (grades if name == "pytest exercises"
                         else grades["submissions"][0])["exercises"]
            others = sum(e["status"] == "passed" for n, e in exercises.items() if n != "data_iter")
            result[name, kit] = (seconds, exercises["data_iter"]["status"], others)
    return result


def watch_times(runs):
    """{name: median seconds} of watch mode grading each exercise, and "save" for a
    save that grades them all again, over `runs` fresh watch processes."""
    times = {}
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "exercises"
            # Not the progress a run on solutions/ saved there: watch would start
            # with every exercise passed.
            shutil.copytree(KIT / "solutions", folder,
                            ignore=shutil.ignore_patterns(STATE_FILE, "__pycache__"))
            shutil.copy(KIT / "exercises" / "test_chapter3.py", folder)
            watch = subprocess.Popen([sys.executable, "-m", "grader", "watch", str(folder)],
                                     cwd=tmp, env=ENV, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, text=True)
            started = saved = None
            for line in watch.stdout:
                now = time.perf_counter()
                if line.startswith("grading ") and saved is None:
                    started, name = now, line.split()[1]
                elif re.match(r"\w+ passed: ", line):
                    times.setdefault(name, []).append(now - started)
                elif line.startswith("All ") and saved is None:
                    saved = time.perf_counter()
                    source = folder / "linear_regression.py"
                    source.write_text(source.read_text())
                elif line.startswith("All "):
                    times.setdefault("save", []).append(now - saved)
                    break
            watch.terminate()
            watch.wait()
    return {name: statistics.median(t) for name, t in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--compare", metavar="DIR", help="an earlier kit to measure beside this one")
    parser.add_argument("--parts", nargs="+", default=["targets"],
                        choices=["targets", "learner", "busy", "batch", "endless", "watch",
                                 "failing", "lang", "chapter"])
    parser.add_argument("--quick", action="store_true",
                        help="CI's form: one run of the targets part, on small sizes")
    options = parser.parse_args()
    if options.quick:
        options.runs, options.parts = 1, ["targets"]
    kits = [KIT] + ([Path(options.compare).resolve()] if options.compare else [])
    head = f"{'run':<44}" + "".join(f"{'this kit' if k == KIT else 'compared':>22}" for k in kits)
    print(head)
    bare = statistics.median(wall(BARE, KIT) for _ in range(options.runs))
    print(f"{'bare start (s)':<44}{bare:>22.2f}")

    def row(name, values):
        print(f"{name:<44}" + "".join(f"{v:>22}" for v in values))

    if "targets" in options.parts:
        figures, bares = {}, {}
        for kit in kits:
            with tempfile.TemporaryDirectory() as tmp:
                figures[kit], bares[kit] = target_figures(kit, options.runs, options.quick, tmp)
        row("bare start, interleaved with the runs (s)", [f"{bares[k]:.2f}" for k in kits])
        for key, (name, bound, at_most) in TARGETS.items():
            row(name, [f"{figures[k][key][0]:.1f} s = {figures[k][key][1]:.2f}"
                       f" ({'<=' if at_most else '>='} {bound:g}"
                       f"{'' if (figures[k][key][1] <= bound) == at_most else ', MISSED'})"
                       for k in kits])
        row("load average (1 min) at the end", [f"{os.getloadavg()[0]:.2f}"])
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
        for name, size in (("8 reference copies", 8), (FAILING, len(NAMES))):
            row(f"grade --jobs 2, {name} (per min)",
                [f"{times[name, k]:.1f} s = {size * 60 / times[name, k]:.1f}/min" for k in kits])
    if "endless" in options.parts:
        with tempfile.TemporaryDirectory() as tmp:
            times = endless_times(kits, tmp)
        for name in ("pytest exercises", "grade"):
            row(f"endless data_iter, {name}",
                [f"  {t:.1f} s, data_iter {status}, {others} others passed"
                 for t, status, others in (times[name, k] for k in kits)])
    if "failing" in options.parts:
        with tempfile.TemporaryDirectory() as tmp:
            times = failing_medians(kits, options.runs, tmp)
        for exercise, name in FAILING_CASES:
            passing, failing = f"--exercise {exercise}, reference", f"--exercise {exercise}, {name}"
            row(passing, [f"{times[passing, k]:.2f} s" for k in kits])
            row(f"  {name}", [f"{times[failing, k]:.2f} s = {times[failing, k] / times[passing, k]:.2f}"
                              " x passing" for k in kits])
    if "chapter" in options.parts and len(kits) == 2:
        old = kits[1]
        theirs = subprocess.run([sys.executable, "-c", "from grader.exercises import NAMES;"
                                 " print(' '.join(NAMES))"], cwd=old, capture_output=True,
                                text=True, check=True).stdout.split()
        shared = [n for n in NAMES if n in theirs]
        full = pytest_args("--impl", "solutions")
        only_old = pytest_args("--impl", "solutions", *(f"--exercise={n}" for n in shared))
        times = {("full", k): [] for k in kits} | {("old exercises", KIT): []}
        for _ in range(options.runs):
            for kit in kits:
                times["full", kit].append(wall(full, kit))
            times["old exercises", KIT].append(wall(only_old, KIT))
        times = {key: statistics.median(t) for key, t in times.items()}
        row(f"pytest exercises, full ({len(NAMES)} / {len(shared)} exercises)",
            [f"{times['full', k]:.2f} s = {times['full', k] / bare:.2f}x" for k in kits])
        row(f"  this kit, only the {len(shared)} the other has",
            [f"{times['old exercises', KIT]:.2f} s = {times['old exercises', KIT] / bare:.2f}x"])
        share = times["full", KIT] - times["old exercises", KIT]
        moved = times["full", KIT] - times["full", old]
        row("  the new exercises' share / the full run's move",
            [f"{share:.2f} s / {moved:.2f} s"])
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(4):
                shutil.copytree(KIT / "solutions", Path(tmp) / "class" / f"s{i}",
                                ignore=shutil.ignore_patterns(STATE_FILE, "__pycache__"))
            grade = [sys.executable, "-m", "grader", "grade", f"{tmp}/class", "--out",
                     f"{tmp}/out", "--jobs", "2", "--regrade"]
            batch = medians({"grade": grade}, kits, max(1, options.runs // 2))
        row("grade --jobs 2, 4 reference copies (per min)",
            [f"{batch['grade', k]:.1f} s = {4 * 60 / batch['grade', k]:.1f}/min" for k in kits])
    if "lang" in options.parts:
        with tempfile.TemporaryDirectory() as tmp:
            with_mistakes(Path(tmp) / "all wrong", first_mistakes())
            commands = {f"{impl}, --lang {lang}": pytest_args("--impl", folder, "--lang", lang)
                        for impl, folder in (("reference", "solutions"),
                                             ("every exercise wrong", f"{tmp}/all wrong"))
                        for lang in ("en", "zh")}
            times = medians(commands, [KIT], options.runs)
        for impl in ("reference", "every exercise wrong"):
            en, zh = times[f"{impl}, --lang en", KIT], times[f"{impl}, --lang zh", KIT]
            row(f"pytest exercises, {impl}, en", [f"{en:.2f} s = {en / bare:.2f}x"])
            row(f"pytest exercises, {impl}, zh", [f"{zh:.2f} s = {zh / bare:.2f}x,"
                                                  f" {zh / en:.3f}x en"])
    if "watch" in options.parts:
        times = watch_times(options.runs)
        for name in NAMES:
            row(f"watch: {name}", [f"{times[name]:.2f} s = {times[name] / bare:.2f}x"])
        worst = max(times[n] for n in NAMES[1:])
        row("watch: one exercise, worst but the first", [f"{worst / bare:.2f}x"])
        row("watch: a save, all exercises", [f"{times['save']:.2f} s = {times['save'] / bare:.2f}x"])
    print(f"bare start, median of the run: {bare:.2f} s")


if __name__ == "__main__":
    main()
