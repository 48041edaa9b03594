"""What the instructor command writes: grades.json, grades.csv, and for each
submission Gradescope's results.json and the learner's feedback.txt. Every
file is replaced atomically, so an interrupted run leaves whole files."""
import csv
import io
import json
import os
import re
import statistics
import tempfile
from pathlib import Path

from grader.exercises import NAME_WIDTH, NAMES
from grader.feedback import SHORT, code_block, pad
from grader.i18n import N_, _


def atomic_write(path, data):
    """Write `data` (bytes or str) to a temp file beside `path`, then rename it."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_class(out, entries, meta):
    """grades.json ({**meta, "submissions": entries}) and grades.csv."""
    out.mkdir(parents=True, exist_ok=True)
    atomic_write(out / "grades.json", json.dumps({**meta, "submissions": entries}, indent=2) + "\n")
    table = io.StringIO(newline="")
    writer = csv.writer(table)
    writer.writerow(["id", *NAMES, "total", "max_score"])
    for e in entries:
        writer.writerow([e["id"], *(e["exercises"][n]["score"] for n in NAMES),
                         e["score"], e["max_score"]])
    atomic_write(out / "grades.csv", table.getvalue())


def write_submission(out, entry):
    """<out>/<id>/results.json and feedback.txt."""
    folder = out / entry["id"]
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write(folder / "results.json", json.dumps(gradescope(entry), indent=2) + "\n")
    atomic_write(folder / "feedback.txt", feedback_text(entry))


def gradescope(entry, *, visibility="visible", note=""):
    """Gradescope's autograder results.json: a summary, then one test per exercise,
    each with the learner's feedback; Markdown, the feedback in a code block so
    that its tables and tensors keep their layout."""
    tests = [{"name": name, "score": r["score"], "max_score": r["max_score"],
              "status": "passed" if r["status"] == "passed" else "failed",
              "output": f"**{_label(r['status'])}**{_mistake_md(r)}\n\n"
                        f"{code_block(r['feedback'])}",
              "output_format": "md", "visibility": visibility}
             for name, r in entry["exercises"].items()]
    return {"score": entry["score"], "execution_time": entry["seconds"],
            "output": _summary_md(entry, note), "output_format": "md",
            "test_output_format": "md", "visibility": visibility, "tests": tests}


# Each status as Gradescope's page says it, translated where shown.
LABELS = {"passed": N_("passed"), "failed": N_("failed"), "error": N_("error"),
          "timeout": N_("timed out"), "not_attempted": N_("not attempted"),
          "missing": N_("missing")}


def _label(status):
    return _(LABELS[status])


def _mistake_md(result):
    """": the mistake's title", as Markdown text, for an exercise not passed."""
    title = result.get("mistake_title")
    return ": " + re.sub(r"([\\`*_\[\]<>#|~])", r"\\\1", title) if title else ""


def _summary_md(entry, note):
    exercises = entry["exercises"]
    passed = [n for n, r in exercises.items() if r["status"] == "passed"]
    lines = [_("**{score}/{max_score}**: {passed} of {exercises} exercises passed.").format(
        score=entry["score"], max_score=entry["max_score"], passed=len(passed),
        exercises=len(exercises))]
    todo = next(((n, r) for n, r in exercises.items() if r["status"] != "passed"), None)
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
    exercise not passed."""
    lines = [_("d2l chapter 3: {id}: {score}/{max_score}").format(
        id=entry["id"], score=entry["score"], max_score=entry["max_score"]), ""]
    for name, r in entry["exercises"].items():
        lines.append(f"{name:<{NAME_WIDTH}} {pad(_(SHORT[r['status']]), 14)}"
                     f" {r['score']:>3}/{r['max_score']}")
    if entry.get("notes"):
        lines += ["", "--- " + _("about your files"), *entry["notes"]]
    for name, r in entry["exercises"].items():
        if r["status"] != "passed":
            lines += ["", f"--- {name}: {_(SHORT[r['status']])}", r["feedback"]]
    return "\n".join(lines) + "\n"


def summary(entries, *, reused, sandboxed):
    n = len(entries)
    lines = [f"graded {n} submission{'s' * (n != 1)}"
             + (f" ({reused} reused from an earlier run, unchanged)" if reused else ""),
             "sandbox: bubblewrap" if sandboxed else
             "sandbox: NONE (--no-sandbox): the submissions ran with your powers"]
    if n:
        lines.append(f"mean score {statistics.mean(e['score'] for e in entries):.1f}"
                     f" / {entries[0]['max_score']}")
        lines.append("pass rate per exercise:")
        for name in NAMES:
            rate = sum(e["exercises"][name]["status"] == "passed" for e in entries) / n
            lines.append(f"  {name:<{NAME_WIDTH}} {rate:6.1%}")
        slowest = sorted(entries, key=lambda e: -e["seconds"])[:3]
        lines.append("slowest: " + ", ".join(f"{e['id']} ({e['seconds']:.1f} s)" for e in slowest))
    return "\n".join(lines)
