"""The kit's command, `python -m grader` (also `d2lkit`); its --help is
LEARNER_HELP, in the learner's language, then the instructor's commands.

Each sub-folder of SUBMISSIONS is one submission (its name is its id), holding
the learner's files (linear_regression.py, softmax_regression.py, training.py,
concise.py) at its top or in exercises/.
Submissions are judged in processes of their own (a judge per job, grading one
submission after another), the code of each runs in a further, sandboxed
process (grader.classroom.judges, grader.classroom.remote, grader.classroom.sandbox); this process only
collects the grades. Exit status 0 whatever the grades; non-zero only when
the command itself cannot run (or is interrupted: rerun it to resume).
"""
import argparse
import json
import os
import sys
from pathlib import Path

from grader import i18n
from grader.classroom import sandbox
from grader.exercises import NAMES
from grader.grading.grades import parse_points
from grader.i18n import N_, _
from grader.options import HELP_ALLOW, HELP_EXAMPLES, HELP_LANG, HELP_SEED

# `python -m grader --help`: the learner's commands first, then the instructor's.
LEARNER_HELP = N_("""The kit's command. For learners: grade the exercise you are working on each
time you save (watch; `pytest exercises` grades them all). For instructors:
grade every submission in a folder, write the learner's release, or write
Gradescope's autograder.

For learners, in the kit's folder with its environment activated:

    pytest exercises                          grade every exercise
    pytest exercises --exercise NAME          grade one
    python -m grader watch [FOLDER] [--exercise NAME]   grade again on every save""")
INSTRUCTOR_HELP = """

    python -m grader grade SUBMISSIONS --out OUTDIR [--jobs N] [--timeout SECONDS]
    python -m grader report OUTDIR [--lang zh]
    python -m grader release OUTDIR [--force] [--lang zh]
    python -m grader gradescope OUT.zip [--points NAME=POINTS] [--visibility after_published]"""
COMMANDS = "{watch,grade,report,release,gradescope}"


def main(argv=None):
    i18n.set_language(i18n.language_from_environment())  # --help's; --lang sets a command's
    parser = argparse.ArgumentParser(prog="python -m grader",
                                     description=_(LEARNER_HELP) + "\n\n" + _("For instructors:")
                                     + INSTRUCTOR_HELP,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar=COMMANDS)
    g = commands.add_parser("grade", help="grade every submission in a folder")
    g.add_argument("submissions", help="folder with one sub-folder per submission")
    g.add_argument("--out", required=True, help="folder for grades.json, grades.csv, the"
                                                " mistake report (mistakes.csv, report.html) and"
                                                " submissions/ID/, each submission's results")
    g.add_argument("--jobs", type=int, default=1, help="submissions graded at once (default 1)")
    _grading_options(g, timeout=600.0)
    g.add_argument("--no-sandbox", action="store_true",
                   help="run the submissions' code without the bubblewrap sandbox (it then has"
                        " every power of the user running the grader)")
    g.add_argument("--regrade", action="store_true",
                   help="grade every submission again, even those unchanged since the last run")
    rp = commands.add_parser("report", help="build the mistake report (mistakes.csv,"
                                            " report.html) again from OUTDIR/grades.json")
    rp.add_argument("out", metavar="OUTDIR", help="the folder `grade --out` wrote")
    rp.add_argument("--lang", choices=i18n.LANGUAGES, help="the language of the report's own"
                    " texts (default: the one the class was graded in)")
    gs = commands.add_parser("gradescope", help="write Gradescope's autograder zip")
    gs.add_argument("zip", help="the zip file to write (e.g. autograder.zip)")
    _grading_options(gs, timeout=480.0)
    gs.add_argument("--visibility", choices=("visible", "after_published"), default="visible",
                    help="when learners see their results (default visible: at once)")
    gs.add_argument("--no-data", action="store_true",
                    help="leave Fashion-MNIST out of the zip (30 MB): setup.sh then installs"
                         " Debian's dataset-fashion-mnist package instead")
    gs.add_argument("--data-dir", metavar="DIR",
                    help="take Fashion-MNIST from DIR/FashionMNIST/raw when Debian's package"
                         " is not installed here")
    r = commands.add_parser("release", help="write the learner's kit (no solutions, no tests)")
    r.add_argument("outdir", help="folder to write the learner's kit into")
    r.add_argument("--force", action="store_true", help="overwrite OUTDIR if it exists")
    r.add_argument("--points", action="append", default=[], metavar="NAME=POINTS",
                   help="points of one exercise, in the learner's grading and on GitHub"
                        " (repeatable)")
    _language_option(r)
    w = commands.add_parser("watch", help=_("grade the exercise you are working on each time"
                                            " you save (keys: h hint, n next, l list, a all,"
                                            " q quit)"))
    w.add_argument("folder", nargs="?", default="exercises",
                   help=_("the folder holding your exercises (default exercises)"))
    w.add_argument("--exercise", choices=NAMES, help=_("start with this exercise"))
    _language_option(w)
    j = commands.add_parser("judge")  # internal: no help, so --help does not list it
    j.add_argument("config")
    commands.add_parser("autograde")  # internal, as judge
    args = parser.parse_args(argv)
    if args.command == "report":
        return _report(parser, args)
    if hasattr(args, "lang"):
        i18n.set_language(args.lang)
    if args.command in ("grade", "watch"):
        from grader.environment import BrokenEnvironment, check
        try:  # a broken torch/numpy/torchvision would fail correct code
            check()
        except BrokenEnvironment as e:
            parser.exit(2, f"python -m grader {args.command}: {e}\n")
    if args.command == "judge":
        from grader.classroom.judges import judge
        config = json.loads(args.config)
        judge(config["points"], config["options"], config["parent"])
        return 0
    if args.command == "watch":
        from grader.learner.watch import main as watch
        return watch(args.folder, args.exercise, lang=args.lang)
    if args.command == "autograde":
        from grader.classroom.gradescope import ROOT_ENV, SetupBroken, run
        try:
            run(os.environ.get(ROOT_ENV) or "/autograder")
        except SetupBroken as e:
            parser.exit(1, f"python -m grader autograde: {e}\n")
        return 0
    try:
        points = parse_points(args.points, "--points")
    except ValueError as e:
        parser.error(str(e))
    if args.command == "release":
        from grader.classroom.release import ReleaseError, release
        try:
            release(Path(args.outdir), force=args.force, points=points, lang=args.lang)
        except ReleaseError as e:
            parser.error(str(e))
        print(f"wrote the learner's kit to {args.outdir}")
        return 0
    if args.examples is not None and args.examples < 1:
        parser.error(f"--examples {args.examples}: must be at least 1")
    if args.command == "gradescope":
        return _gradescope(parser, args, points)
    if not Path(args.submissions).is_dir():
        parser.error(f"{args.submissions}: no such folder")
    jobs = max(1, args.jobs)
    if not args.no_sandbox:
        try:
            sandbox.check()
        except sandbox.SandboxUnavailable as e:
            parser.exit(2, f"python -m grader grade: cannot grade safely: {e}\n")
    options = {**_options(args), "sandbox": not args.no_sandbox,
               "threads": max(1, (os.cpu_count() or 1) // jobs)}
    from grader.classroom.class_run import grade_all
    from grader.classroom.outputs import OutUnusable, summary
    try:
        entries, reused = grade_all(args.submissions, args.out, jobs=jobs, points=points,
                                    options=options, regrade=args.regrade)
    except OutUnusable as e:
        parser.exit(2, f"python -m grader grade: {e}\n")
    except KeyboardInterrupt:
        print(f"interrupted: the submissions graded so far are in {args.out};"
              " run the same command again to grade the rest", file=sys.stderr)
        return 130
    print(summary(entries, reused=reused, sandboxed=options["sandbox"]))
    print(f"the class's mistakes: {Path(args.out) / 'report.html'} (and mistakes.csv)")
    return 0


def _report(parser, args):
    """`report OUTDIR`: mistakes.csv and report.html again from grades.json, in
    --lang, else in the language the class was graded in."""
    from grader.classroom.mistake_report import rebuild
    try:
        graded_in = json.loads((Path(args.out) / "grades.json").read_text()).get("lang")
    except (OSError, ValueError, AttributeError):
        graded_in = None
    lang = args.lang or (graded_in if graded_in in i18n.LANGUAGES else None)
    i18n.set_language(lang or i18n.language_from_environment())
    try:
        count = rebuild(args.out)
    except (OSError, ValueError) as e:
        parser.exit(2, f"python -m grader report: cannot read {Path(args.out) / 'grades.json'}:"
                       f" {e}\n")
    print(f"wrote {Path(args.out) / 'mistakes.csv'} and {Path(args.out) / 'report.html'}"
          f" ({count} submission{'s' * (count != 1)})")
    return 0


def _grading_options(parser, *, timeout):
    """The options that say how a submission is graded, shared by grade and gradescope."""
    parser.add_argument("--timeout", type=float, default=timeout,
                        help=f"seconds one submission may take in all (default {timeout:g})")
    parser.add_argument("--call-timeout", type=float, default=10.0,
                        help="seconds one call of a submission's function may take (default 10)")
    parser.add_argument("--import-timeout", type=float, default=60.0,
                        help="seconds importing a submission's module may take (default 60)")
    parser.add_argument("--memory-mb", type=int, default=2048,
                        help="memory a submission's process may add (default 2048 MB)")
    parser.add_argument("--points", action="append", default=[], metavar="NAME=POINTS",
                        help="points of one exercise (repeatable)")
    parser.add_argument("--allow-builtins", action="store_true", help=HELP_ALLOW)
    parser.add_argument("--grading-seed", type=int, metavar="N", help=HELP_SEED)
    parser.add_argument("--examples", type=int, metavar="K", help=HELP_EXAMPLES)
    _language_option(parser)


def _language_option(parser):
    """--lang: the language of what learners read (for a class: of its feedback)."""
    parser.add_argument("--lang", choices=i18n.LANGUAGES, help=HELP_LANG,
                        default=i18n.language_from_environment())


def _options(args):
    return {"timeout": args.timeout, "call_timeout": args.call_timeout,
            "import_timeout": args.import_timeout, "memory_mb": args.memory_mb,
            "allow_builtins": args.allow_builtins, "grading_seed": args.grading_seed,
            "examples": args.examples, "lang": args.lang}


def _gradescope(parser, args, points):
    from grader.classroom.gradescope import bundle, data_files
    data = {} if args.no_data else data_files(args.data_dir)
    if not args.no_data and not data:
        parser.error("Fashion-MNIST is not here to put in the zip: install Debian's"
                     " dataset-fashion-mnist, pass --data-dir DIR (with DIR/FashionMNIST/raw),"
                     " or pass --no-data to have setup.sh install the package on Gradescope")
    bundle(args.zip, points=points, options=_options(args), visibility=args.visibility, data=data)
    print(f"wrote {args.zip}: upload it as the autograder of a programming assignment"
          " (README: For instructors: Gradescope)")
    return 0
