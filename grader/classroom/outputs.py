"""What the instructor command writes: grades.json, grades.csv, and for each
submission Gradescope's results.json and the learner's feedback.txt under
submissions/<id>/. Every file is replaced atomically, so an interrupted run
leaves whole files. A row of grades.json is either a grade, sealed with a
checksum so that an edited row is never reused, or a failure of the grader's
("failure": what went wrong), which counts as no score and is graded again on
the next run."""
import csv
import hashlib
import io
import json
import re
import statistics
from pathlib import Path

from grader.exercises import NAME_WIDTH, NAMES
from grader.grading.grades import SHORT, STATUSES, WORDS, Status
from grader.grading.wording import pad
from grader.grading.wording import code_block
from grader.grading.files import atomic_write
from grader.i18n import _

# Per-submission files go in OUT/SUBMISSIONS/<id>/, apart from the class's own
# files, whatever a submission's folder is called.
SUBMISSIONS = "submissions"
CLASS_FILES = ("grades.json", "grades.csv")
# The most kept of one check's message or one note, in characters, and the most
# notes kept for one submission or check.
MAX_TEXT = 10_000
MAX_NOTES = 20


class OutUnusable(Exception):
    """--out cannot hold the outputs; str() says why."""


def prepare_out(out):
    """Make the folder `out`, or raise OutUnusable if it, a class file or the
    submissions folder is in the way."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutUnusable(f"--out {out}: is a file, not a folder")
    for name in CLASS_FILES:
        if (out / name).is_dir():
            raise OutUnusable(f"--out {out}: {out / name} is a folder (written by an older"
                              f" version for a submission named {name}): move it away")
    if (out / SUBMISSIONS).exists() and not (out / SUBMISSIONS).is_dir():
        raise OutUnusable(f"--out {out}: {out / SUBMISSIONS} is a file: move it away")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutUnusable(f"--out {out}: cannot make the folder ({e.strerror})") from e


def capped(text, limit=None):
    """`text` as a string (its repr if it is none), at most `limit` (MAX_TEXT)
    characters kept."""
    text, limit = text if isinstance(text, str) else repr(text), limit or MAX_TEXT
    if len(text) <= limit:
        return text
    return text[:limit] + "\n" + _("[{count} more characters not kept]").format(
        count=len(text) - limit)


def shown(text):
    """`text` with its non-printable characters (terminal escapes, newlines) as
    Python escapes, to print it or put it in a table."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def csv_cell(text):
    """`text` for a CSV cell: shown(), and a leading ' if a spreadsheet would
    read it as a formula (=, +, -, @)."""
    text = shown(text)
    return "'" + text if text.startswith(("=", "+", "-", "@")) else text


def failure(points, message):
    """The row of a submission the grader failed on: `message` says how."""
    return {"score": None, "max_score": sum(points.values()), "exercises": {}, "notes": [],
            "failure": capped(message)}


def checksum(row):
    return hashlib.sha256(json.dumps({k: v for k, v in row.items() if k != "check"},
                                     sort_keys=True).encode()).hexdigest()


def sealed(row):
    """`row` with its checksum: well_formed() then tells whether it was edited."""
    return {**row, "check": checksum(row)}


def well_formed(row, points):
    """Whether `row` is a grade as this command writes it, under `points`: every
    exercise with a known status, its score what that status earns, the total
    their sum, the texts strings, and its checksum unchanged."""
    try:
        exercises, notes = row["exercises"], row["notes"]
        return (isinstance(row["id"], str) and isinstance(row["key"], str)
                and list(exercises) == list(NAMES)
                and all(_well_formed_exercise(exercises[name], points[name]) for name in NAMES)
                and type(row["score"]) is int and type(row["max_score"]) is int
                and row["score"] == sum(e["score"] for e in exercises.values())
                and row["max_score"] == sum(points[name] for name in NAMES)
                and isinstance(notes, list) and all(isinstance(n, str) for n in notes)
                and isinstance(row["seconds"], (int, float)) and "failure" not in row
                and row.get("check") == checksum(row))
    except (KeyError, TypeError, AttributeError):
        return False


def _well_formed_exercise(result, points):
    return (result["status"] in STATUSES and isinstance(result["feedback"], str)
            and result["max_score"] == points
            and result["score"] == (points if result["status"] == Status.PASSED else 0))


def write_class(out, entries, meta):
    """grades.json ({**meta, "submissions": entries}) and grades.csv (a failure's
    row: no scores, and what went wrong under "failure")."""
    atomic_write(out / "grades.json", json.dumps({**meta, "submissions": entries}, indent=2) + "\n")
    table = io.StringIO(newline="")
    writer = csv.writer(table)
    writer.writerow(["id", *NAMES, "total", "max_score", "failure"])
    for e in entries:
        scores = [e["exercises"][n]["score"] if "failure" not in e else "" for n in NAMES]
        writer.writerow([csv_cell(e["id"]), *scores, "" if "failure" in e else e["score"],
                         e["max_score"], csv_cell(e.get("failure", ""))])
    atomic_write(out / "grades.csv", table.getvalue())


def write_submission(out, entry):
    """<out>/submissions/<id>/results.json and feedback.txt."""
    folder = out / SUBMISSIONS / entry["id"]
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write(folder / "results.json", json.dumps(gradescope(entry), indent=2) + "\n")
    atomic_write(folder / "feedback.txt", feedback_text(entry))


def gradescope(entry, *, visibility="visible", note=""):
    """Gradescope's autograder results.json: a summary, then one test per exercise,
    each with the learner's feedback; Markdown, the feedback in a code block so
    that its tables and tensors keep their layout. A failure of the grader's
    scores 0 with no tests (Gradescope has no "not graded"), its summary saying
    that it is the grader's failure, not the learner's."""
    if "failure" in entry:
        return {"score": 0, "execution_time": entry["seconds"],
                "output": "\n\n".join([_failure_text(entry), *[note] * bool(note)]),
                "output_format": "md", "visibility": visibility, "tests": []}
    tests = [{"name": name, "score": r["score"], "max_score": r["max_score"],
              # Gradescope's own two words for a test
              "status": "passed" if r["status"] == Status.PASSED else "failed",
              "output": f"**{_label(r['status'])}**{_mistake_md(r)}\n\n"
                        f"{code_block(r['feedback'])}",
              "output_format": "md", "visibility": visibility}
             for name, r in entry["exercises"].items()]
    return {"score": entry["score"], "execution_time": entry["seconds"],
            "output": _summary_md(entry, note), "output_format": "md",
            "test_output_format": "md", "visibility": visibility, "tests": tests}


def _failure_text(entry):
    return _("{failure}\n\nThis is a failure of the grader, not of your code, and it gave you no"
             " score: your instructor will have it graded again.").format(
                 failure=entry["failure"])


def _label(status):
    """`status` as Gradescope's page says it, in the learner's language."""
    return _(WORDS[status])


def _mistake_md(result):
    """": the mistake's title", as Markdown text, for an exercise not passed."""
    title = result.get("mistake_title")
    return ": " + re.sub(r"([\\`*_\[\]<>#|~])", r"\\\1", title) if title else ""


def _summary_md(entry, note):
    exercises = entry["exercises"]
    passed = [n for n, r in exercises.items() if r["status"] == Status.PASSED]
    lines = [_("**{score}/{max_score}**: {passed} of {exercises} exercises passed.").format(
        score=entry["score"], max_score=entry["max_score"], passed=len(passed),
        exercises=len(exercises))]
    todo = next(((n, r) for n, r in exercises.items() if r["status"] != Status.PASSED), None)
    if todo:
        lines.append(_("Start with `{exercise}` ({status}): its test below says what was expected"
                       " and what your code gave.").format(exercise=todo[0],
                                                            status=_label(todo[1]["status"])))
    notes = entry.get("notes") or []
    if notes:
        lines.append(_("About your files:") + "\n\n" + code_block("\n".join(notes)))
    return "\n\n".join(lines + [note] * bool(note))


def feedback_text(entry):
    """The learner's feedback.txt, in the class's language: the table (statuses
    worded as the learner's grade table words them), then the message of each
    exercise not passed; for a failure of the grader's, what went wrong."""
    if "failure" in entry:
        return _("d2l chapter 3: {id}: not graded").format(id=shown(entry["id"])) + "\n\n" \
            + _failure_text(entry) + "\n"
    lines = [_("d2l chapter 3: {id}: {score}/{max_score}").format(
        id=shown(entry["id"]), score=entry["score"], max_score=entry["max_score"]), ""]
    for name, r in entry["exercises"].items():
        lines.append(f"{name:<{NAME_WIDTH}} {pad(_(SHORT[r['status']]), 14)}"
                     f" {r['score']:>3}/{r['max_score']}")
    if entry.get("notes"):
        lines += ["", "--- " + _("about your files"), *entry["notes"]]
    for name, r in entry["exercises"].items():
        if r["status"] != Status.PASSED:
            lines += ["", f"--- {name}: {_(SHORT[r['status']])}", r["feedback"]]
    return "\n".join(lines) + "\n"


def summary(entries, *, reused, sandboxed):
    """What the command prints at the end (for the instructor, in English); the
    grader's failures count in no figure but their own line."""
    n = len(entries)
    graded = [e for e in entries if "failure" not in e]
    failed = [e for e in entries if "failure" in e]
    lines = [f"graded {n} submission{'s' * (n != 1)}"
             + (f" ({reused} reused from an earlier run, unchanged)" if reused else ""),
             "sandbox: bubblewrap" if sandboxed else
             "sandbox: NONE (--no-sandbox): the submissions ran with your powers"]
    if failed:
        lines.append(f"NOT GRADED: the grader failed on {len(failed)} (no score; run the same"
                     " command again to grade them): "
                     + ", ".join(shown(e["id"]) for e in failed))
        lines += [f"  {shown(e['id'])}: {shown(e['failure'])[:300]}" for e in failed]
    if graded:
        lines.append(f"mean score {statistics.mean(e['score'] for e in graded):.1f}"
                     f" / {graded[0]['max_score']}")
        lines.append("pass rate per exercise:")
        for name in NAMES:
            rate = sum(e["exercises"][name]["status"] == Status.PASSED for e in graded) / len(graded)
            lines.append(f"  {name:<{NAME_WIDTH}} {rate:6.1%}")
        slowest = sorted(graded, key=lambda e: -e["seconds"])[:3]
        lines.append("slowest: " + ", ".join(f"{shown(e['id'])} ({e['seconds']:.1f} s)"
                                             for e in slowest))
    return "\n".join(lines)
