"""Grading a class: this process copies each submission's files into a folder
of its own (grader.classroom.submission) for a judge (grader.classroom.judges)
to grade, folds the judge's lines into the submission's grade, so a submission
stopped for time keeps the verdicts of the checks it finished, and writes every
submission's files as soon as it is graded. Nothing one submission holds stops
the run: a judge that dies or reports what it should not is replaced and the
submission graded once more; if that fails too, or anything else goes wrong
with it, its row says the grader failed, counts as no score, and is graded
again on the next run. A rerun reuses the row of every submission whose files
and grading options are unchanged, if the row is as the command wrote it.

Torch-free.
"""
import functools
import hashlib
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from tqdm import tqdm

from grader.exercises import NAMES, TABLE
from grader.grading.grades import STATUSES, CheckResult, GradeBook, Status
from grader.i18n import _
from grader.classroom.judges import FAILURE, UNREADABLE, GraderFault, Interrupted, Judges
from grader.classroom.outputs import (MAX_NOTES, capped, failure, prepare_out, sealed,
                                      well_formed, write_class, write_submission)
from grader.grading.files import GRADER_DIGEST
from grader.classroom.submission import stage, submission_files
from grader.classroom.mistake_report import write_report
from grader.grading.mistakes import identify, status_cause

# Options that do not change a verdict, left out of a submission's key.
NOT_IN_KEY = ("threads",)


def find_submissions(root):
    """(id, folder) for each sub-folder of `root`, sorted by id (a link to a
    folder too: grader.classroom.submission then reads nothing through it, and says so)."""
    return [(p.name, p) for p in sorted(Path(root).iterdir()) if p.is_dir()]


def submission_key(digest, points, options):
    """What a stored row was graded from: the submission's files (their `digest`,
    grader.classroom.submission.Found.digest), the points, the options that can change a
    verdict, and the grader's own source."""
    graded_with = {k: v for k, v in options.items() if k not in NOT_IN_KEY}
    return hashlib.sha256(json.dumps([digest, points, graded_with, GRADER_DIGEST],
                                     sort_keys=True).encode()).hexdigest()


def grade_one(sub_id, stage, judges):
    """The row of one submission for grades.json, whatever happens:
    `stage(folder)` writes its files into a `folder` of the grader's own and
    returns them (grader.classroom.submission.Staged); this thread's judge grades them,
    once more by a fresh judge if it fails. If that fails too, or anything
    else goes wrong, the row is a failure (grader.classroom.outputs.failure)."""
    start = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix=f"d2lkit-{os.getpid()}-") as tmp:
            os.chmod(tmp, 0o755)  # for the user the code runs as (Gradescope)
            staged = stage(Path(tmp))
            row = _judged(staged, judges)
    except Interrupted:
        raise
    except Exception as e:  # noqa: BLE001 - whatever it is, the run goes on
        row = failure(judges.points, _("the grader could not grade this submission:"
                                       " {error}").format(error=_describe(e)))
    return {"id": sub_id, **row, "seconds": round(time.monotonic() - start, 2)}


def _judged(staged, judges):
    """The row of a Staged submission: judged, folded, overruled by its problems,
    with its notes and key; a failure if two judges fail on it."""
    for _attempt in range(2):
        try:
            messages, unfinished = judges.grade(staged.folder)
            row = fold(messages, judges.points, unfinished)
            break
        except Interrupted:
            raise
        except Exception as e:  # noqa: BLE001 - a fault of the grader's, whatever it is
            judges.replace()
            fault = e
    else:
        return failure(judges.points, _("the grader failed on this submission, twice: {error}")
                       .format(error=_describe(fault)))
    row = overrule(row, staged.problems)
    return {**row, "notes": [*staged.notes, *row["notes"]][:MAX_NOTES],
            "key": submission_key(staged.digest, judges.points, judges.options)}


def _describe(error):
    return str(error) if isinstance(error, GraderFault) else f"{type(error).__name__}: {error}"


def fold(messages, points, unfinished):
    """The grade from a judge's messages: each check's verdict, its message and
    notes capped (grader.classroom.outputs.capped), and the learner's notes. Checks it
    never reported get `unfinished` (status, message) if it ran out of time;
    raises GraderFault if it finished without reporting one, or reported
    something that is not a check's verdict."""
    messages = [m for m in messages if isinstance(m, dict)]
    failed = next((m[FAILURE] for m in messages if FAILURE in m), None)
    if failed is not None:  # the judge says the grader failed on it
        raise GraderFault(capped(str(failed)))
    checks = next((m["checks"] for m in messages if "checks" in m), None)
    if checks is None and unfinished:  # out of time before it could list the checks
        checks = [(f"grading {name}", name) for name in NAMES]  # names, never shown
    if not (isinstance(checks, list) and all(
            isinstance(c, list) and len(c) == 2 and isinstance(c[0], str) and c[1] in points
            for c in checks)):
        raise GraderFault(_("its judge did not list the checks"))
    results = {}
    for message in messages:
        if message == UNREADABLE:
            raise GraderFault(_("its judge wrote a line too long to read"))
        if "check" in message:
            result = _check_result(message["check"])
            results[result.name] = result
    book = GradeBook(points)
    for name, exercise in checks:
        if name not in results and unfinished is None:
            raise GraderFault(_("its judge did not report the check {check}").format(check=name))
        book.record(exercise, results.get(name) or CheckResult(name, *unfinished))
    notes = next((m["notes"] for m in messages if "notes" in m), {})
    notes = notes.values() if isinstance(notes, dict) else notes if isinstance(notes, list) \
        else [notes]
    return {**book.as_json(), "notes": [capped(n) for n in list(notes)[:MAX_NOTES]]}


def _check_result(reported):
    """The CheckResult a judge reported, its texts capped; GraderFault if it is not one."""
    if not (isinstance(reported, dict) and isinstance(reported.get("name"), str)
            and reported.get("status") in (*STATUSES, Status.SKIPPED)):
        raise GraderFault(_("its judge reported a check's verdict in a form the grader does"
                            " not know"))
    notes, warned = reported.get("notes"), reported.get("warned")
    warned = [[capped(str(w[0])), capped(str(w[1])), w[2]] for w in warned[:MAX_NOTES]
              if isinstance(w, list) and len(w) == 3 and type(w[2]) is int] \
        if isinstance(warned, list) else []
    cause, words = reported.get("cause"), reported.get("cause_words")
    return CheckResult(reported["name"], reported["status"], capped(reported.get("message", "")),
                       [capped(n) for n in notes[:MAX_NOTES]] if isinstance(notes, list) else [],
                       warned, capped(cause) if isinstance(cause, str) else "",
                       capped(words) if isinstance(words, str) else "")


def overrule(entry, problems):
    """The entry with every exercise of a module in `problems` given its (status,
    message) and the mistake it is (a module missing, or a file that could not be
    read as handed in), and the score summed again."""
    exercises = dict(entry["exercises"])
    for e in TABLE:
        if e.module in problems:
            status, message = problems[e.module]
            mistake, title = identify(e.name, status, *status_cause(
                "missing" if status == Status.MISSING else "file-not-read"), "", "")
            exercises[e.name] = {**exercises[e.name], "status": status, "score": 0,
                                 "feedback": message, "mistake": mistake,
                                 "mistake_title": title}
    return {**entry, "exercises": exercises,
            "score": sum(r["score"] for r in exercises.values())}


def grade_all(root, out, *, jobs, points, options, regrade=False):
    """Grade every submission under `root` into `out` (OutUnusable if it cannot
    hold them); returns (entries, reused)."""
    out = Path(out)
    prepare_out(out)
    submissions = find_submissions(root)
    keys = {sub_id: _key(folder, points, options) for sub_id, folder in submissions}
    stored = {} if regrade else _stored(out, points)
    entries = {sub_id: stored[sub_id] for sub_id in keys
               if sub_id in stored and stored[sub_id]["key"] == keys[sub_id]}
    reused = len(entries)
    meta = {"sandbox": options["sandbox"], "lang": options.get("lang", "en")}

    def save():
        write_class(out, [entries[s] for s, _folder in submissions if s in entries], meta)

    save()
    judges = Judges(points, options)
    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        futures = {pool.submit(grade_one, sub_id, functools.partial(stage, folder), judges):
                   sub_id for sub_id, folder in submissions if sub_id not in entries}
        for future in tqdm(as_completed(futures), total=len(futures), unit="submission",
                           desc="grading", file=sys.stderr):
            entries[futures[future]] = _written(out, future.result(), points)
            save()
    except BaseException:
        judges.stop()
        raise
    finally:
        judges.close()  # before the pool's threads end: each judge dies with its thread
        pool.shutdown(wait=True, cancel_futures=True)
    ordered = [entries[sub_id] for sub_id, _folder in submissions]
    write_report(out, ordered)  # once, at the end: it is of the whole class
    return ordered, reused


def _key(folder, points, options):
    """The key of the submission in `folder` as it is now (None if it cannot be
    read: grading it then says why)."""
    try:
        return submission_key(submission_files(folder).digest(), points, options)
    except Exception:  # noqa: BLE001 - nothing one submission holds stops the run
        return None


def _written(out, entry, points):
    """`entry`, its submission's files written, sealed; a failure if they could
    not be written."""
    try:
        write_submission(out, entry)
    except OSError as e:
        entry = {**entry, **failure(points, _("the grader could not write this submission's"
                                              " files: {error}").format(error=e))}
        entry.pop("key", None)
    return sealed(entry)


def _stored(out, points):
    """The well-formed rows of an earlier run's grades.json, by id (none if unreadable)."""
    try:
        rows = json.loads((out / "grades.json").read_text())["submissions"]
        return {row["id"]: row for row in rows if well_formed(row, points)}
    except (OSError, ValueError, KeyError, TypeError):
        return {}
