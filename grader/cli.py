"""The instructor command: grade every submission in a folder.

    python -m grader grade SUBMISSIONS --out OUTDIR [--jobs N] [--timeout SECONDS]

Each sub-folder of SUBMISSIONS is one submission (its name is its id), holding
linear_regression.py and softmax_regression.py at its top or in exercises/.
Each submission's code runs in a process of its own (grader.remote); this
process only decides. Exit status 0 whatever the grades; non-zero only when
the command itself cannot run.
"""
import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from tqdm import tqdm

from grader.grades import parse_points
from grader.options import HELP_ALLOW, HELP_EXAMPLES, HELP_SEED
from grader.exercises import NAMES as EXERCISES



def find_submissions(root):
    """(id, folder holding the two modules) for each sub-folder, sorted by id."""
    found = []
    for folder in sorted(p for p in Path(root).iterdir() if p.is_dir()):
        inner = folder / "exercises"
        found.append((folder.name, inner if inner.is_dir() and not any(
            (folder / f"{m}.py").is_file() for m in ("linear_regression", "softmax_regression"))
            else folder))
    return found


def judge(sub_id, folder, points, options):
    """Grade one submission in this process (the judge) against its worker."""
    import torch

    from grader import profiles
    from grader.exercises import seam_spec
    if options["examples"]:
        profiles.use_examples(options["examples"])
    from grader.batch import grade
    from grader.remote import RemoteLearner
    torch.set_num_threads(options["threads"])
    start = time.monotonic()
    learner = RemoteLearner(folder, seam_spec(options["allow_builtins"]),
                            call_timeout=options["call_timeout"],
                            import_timeout=options["import_timeout"],
                            memory_mb=options["memory_mb"], cpu_seconds=options["timeout"] + 60)
    try:
        result = grade(learner, points, budget=options["timeout"],
                       grading_seed=options["grading_seed"])
    finally:
        learner.close()
    return {"id": sub_id, **result, "seconds": round(time.monotonic() - start, 2)}


def grade_one(sub_id, folder, points, options):
    """Run `judge` in a process of its own, so that whatever the submission does to
    its judge costs only this submission's row."""
    config = json.dumps({"id": sub_id, "folder": str(folder), "points": points,
                         "options": options})
    start = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "-m", "grader", "judge", config],
                              capture_output=True, text=True, timeout=options["timeout"] + 120)
        return json.loads(done.stdout.strip().splitlines()[-1])
    except subprocess.TimeoutExpired:
        reason = "it did not finish within its time limit"
    except (json.JSONDecodeError, IndexError):
        reason = f"its judge process ended with exit status {done.returncode}"
    return failed_entry(sub_id, points, reason, time.monotonic() - start)


def failed_entry(sub_id, points, reason, seconds):
    """Every submission gets a row: this one when grading it could not finish."""
    message = f"this submission could not be graded: {reason}"
    exercises = {name: {"status": "error", "score": 0, "max_score": points[name],
                        "feedback": message} for name in EXERCISES}
    return {"id": sub_id, "score": 0, "max_score": sum(points.values()),
            "exercises": exercises, "seconds": round(seconds, 2)}


def write_outputs(out, entries):
    out.mkdir(parents=True, exist_ok=True)
    (out / "grades.json").write_text(json.dumps({"submissions": entries}, indent=2) + "\n")
    with open(out / "grades.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", *EXERCISES, "total", "max_score"])
        for e in entries:
            writer.writerow([e["id"], *(e["exercises"][n]["score"] for n in EXERCISES),
                             e["score"], e["max_score"]])
    for e in entries:
        folder = out / e["id"]
        folder.mkdir(exist_ok=True)
        (folder / "results.json").write_text(json.dumps(gradescope(e), indent=2) + "\n")
        (folder / "feedback.txt").write_text(feedback_text(e))


def gradescope(entry):
    """Gradescope's autograder results.json: one test per exercise."""
    return {"score": entry["score"], "execution_time": entry["seconds"],
            "tests": [{"name": name, "score": r["score"], "max_score": r["max_score"],
                       "status": "passed" if r["status"] == "passed" else "failed",
                       "output": f"{r['status']}\n{r['feedback']}"}
                      for name, r in entry["exercises"].items()]}


def feedback_text(entry):
    lines = [f"d2l chapter 3: {entry['id']}: {entry['score']}/{entry['max_score']}", ""]
    for name, r in entry["exercises"].items():
        lines.append(f"{name:<15} {r['status']:<14} {r['score']:>3}/{r['max_score']}")
    for name, r in entry["exercises"].items():
        if r["status"] != "passed":
            lines += ["", f"--- {name}: {r['status']}", r["feedback"]]
    return "\n".join(lines) + "\n"


def summary(entries):
    n = len(entries)
    lines = [f"graded {n} submission{'s' * (n != 1)}"]
    if n:
        lines.append(f"mean score {statistics.mean(e['score'] for e in entries):.1f}"
                     f" / {entries[0]['max_score']}")
        lines.append("pass rate per exercise:")
        for name in EXERCISES:
            rate = sum(e["exercises"][name]["status"] == "passed" for e in entries) / n
            lines.append(f"  {name:<15} {rate:6.1%}")
        slowest = sorted(entries, key=lambda e: -e["seconds"])[:3]
        lines.append("slowest: " + ", ".join(f"{e['id']} ({e['seconds']:.1f} s)" for e in slowest))
    return "\n".join(lines)


def grade_all(root, out, *, jobs, points, options):
    submissions = find_submissions(root)
    entries = {}
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(grade_one, sub_id, folder, points, options): sub_id
                   for sub_id, folder in submissions}
        for future in tqdm(as_completed(futures), total=len(futures), unit="submission",
                           desc="grading", file=sys.stderr):
            entries[futures[future]] = future.result()
    ordered = [entries[sub_id] for sub_id, _ in submissions]
    write_outputs(Path(out), ordered)
    return ordered


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m grader", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    g = commands.add_parser("grade", help="grade every submission in a folder")
    g.add_argument("submissions", help="folder with one sub-folder per submission")
    g.add_argument("--out", required=True, help="folder for grades.json, grades.csv and one"
                                                " folder of results per submission")
    g.add_argument("--jobs", type=int, default=1, help="submissions graded at once (default 1)")
    g.add_argument("--timeout", type=float, default=600.0,
                   help="seconds one submission may take in all (default 600)")
    g.add_argument("--call-timeout", type=float, default=10.0,
                   help="seconds one call of a submission's function may take (default 10)")
    g.add_argument("--import-timeout", type=float, default=60.0,
                   help="seconds importing a submission's module may take (default 60)")
    g.add_argument("--memory-mb", type=int, default=2048,
                   help="memory a submission's process may add (default 2048 MB)")
    g.add_argument("--points", action="append", default=[], metavar="NAME=POINTS",
                   help="points of one exercise (repeatable)")
    g.add_argument("--allow-builtins", action="store_true", help=HELP_ALLOW)
    g.add_argument("--grading-seed", type=int, metavar="N", help=HELP_SEED)
    g.add_argument("--examples", type=int, metavar="K", help=HELP_EXAMPLES)
    r = commands.add_parser("release", help="write the learner's kit (no solutions, no tests)")
    r.add_argument("outdir", help="folder to write the learner's kit into")
    r.add_argument("--force", action="store_true", help="overwrite OUTDIR if it exists")
    j = commands.add_parser("judge", help=argparse.SUPPRESS)
    j.add_argument("config")
    args = parser.parse_args(argv)
    if args.command == "judge":
        config = json.loads(args.config)
        print(json.dumps(judge(config["id"], config["folder"], config["points"],
                               config["options"])))
        return 0
    if args.command == "release":
        from grader.release import ReleaseError, release
        try:
            release(Path(args.outdir), force=args.force)
        except ReleaseError as e:
            parser.error(str(e))
        print(f"wrote the learner's kit to {args.outdir}")
        return 0
    if not Path(args.submissions).is_dir():
        parser.error(f"{args.submissions}: no such folder")
    try:
        points = parse_points(args.points, "--points")
    except ValueError as e:
        parser.error(str(e))
    jobs = max(1, args.jobs)
    if args.examples is not None and args.examples < 1:
        parser.error(f"--examples {args.examples}: must be at least 1")
    options = {"timeout": args.timeout, "call_timeout": args.call_timeout,
               "import_timeout": args.import_timeout, "memory_mb": args.memory_mb,
               "allow_builtins": args.allow_builtins, "grading_seed": args.grading_seed,
               "examples": args.examples,
               "threads": max(1, (os.cpu_count() or 1) // jobs)}
    entries = grade_all(args.submissions, args.out, jobs=jobs, points=points, options=options)
    print(summary(entries))
    return 0
