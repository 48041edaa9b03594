"""A learner's run on GitHub Actions (GITHUB_ACTIONS=true): the grade as the
job's summary (Markdown appended to $GITHUB_STEP_SUMMARY), and one error
annotation per exercise to fix, on the line of the learner's file where its
function is defined, so that the message shows on the code.

Workflow commands are lines of the step's output: `::error file=F,line=N,
title=T::message`. GitHub's escapes: %, CR and LF in the message; also : and
, in a property's value. A step shows at most ten error annotations; the
first ones, in chapter order, are those the learner works on first.
"""
import ast
import os
from pathlib import Path

from grader.learner import feedback
from grader.exercises import BY_NAME
from grader.grading.grades import SHORT, Status
from grader.i18n import N_, _


# The grade table's columns in the job summary (translated where shown).
COLUMNS = (N_("exercise"), N_("status"), N_("points"))


def running_on_github(environ=os.environ):
    return environ.get("GITHUB_ACTIONS") == "true"


def escape_data(text):
    return str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text):
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def job_summary(grade):
    """The grade (GradeBook.as_json()) as Markdown, in the learner's language: the
    total, the grade table, then each exercise to fix with its message."""
    exercises = grade["exercises"]
    passed = sum(r["status"] == Status.PASSED for r in exercises.values())
    heading = _("d2l chapter 3: your grade")
    columns = " | ".join(_(word) for word in COLUMNS)
    lines = [f"## {heading}: {grade['score']}/{grade['max_score']}", "",
             feedback.passed_text(passed, len(exercises)), "",
             f"| {columns} |", "| --- | --- | ---: |"]
    lines += [f"| `{name}` | {_(SHORT[r['status']])} | {r['score']}/{r['max_score']} |"
              for name, r in exercises.items()]
    for name, message in feedback.messages(grade):
        status = _(SHORT[exercises[name]["status"]])
        lines += ["", f"### `{name}`: {status}", "", feedback.code_block(message)]
    return "\n".join(lines) + "\n"


def definition_line(path, name):
    """The line of the top-level `def name` or `class name` in the file `path`,
    the last if several (the one Python keeps); None if it has none, or cannot
    be read."""
    try:
        tree = ast.parse(Path(path).read_bytes())
    except (OSError, SyntaxError, ValueError):
        return None
    lines = [node.lineno for node in tree.body if getattr(node, "name", None) == name
             and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    return lines[-1] if lines else None


def annotations(grade, folder, root):
    """One `::error` workflow command per exercise whose message is to be read,
    at its definition in `folder`/<module>.py, named relative to `root` (the
    repository's folder); without a line if it is not defined there (a
    notebook, a missing function), without a file if that is not under root."""
    commands = []
    for name, message in feedback.messages(grade):
        status = _(SHORT[grade["exercises"][name]["status"]])
        props = {}
        path = Path(folder, f"{BY_NAME[name].module}.py").resolve() if name in BY_NAME else None
        if path is not None and path.is_relative_to(Path(root).resolve()):
            props["file"] = path.relative_to(Path(root).resolve()).as_posix()
            line = definition_line(path, name)
            if line is not None:
                props["line"] = line
        props["title"] = f"{name}: {status}"
        joined = ",".join(f"{key}={escape_property(value)}" for key, value in props.items())
        commands.append(f"::error {joined}::{escape_data(message)}")
    return commands


def report(grade, folder, write_line, environ=os.environ):
    """On GitHub Actions: append the job summary to $GITHUB_STEP_SUMMARY (if set)
    and write the annotations with `write_line`, which prints a line of the
    step's output; the repository is $GITHUB_WORKSPACE (else the working folder)."""
    summary = environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as f:
            f.write(job_summary(grade))
    for command in annotations(grade, folder, environ.get("GITHUB_WORKSPACE") or os.getcwd()):
        write_line(command)
