"""The instructor command on a class whose folders and files are hostile or odd:
links to the kit's solutions, to a classmate's folder and to /proc, a pipe, a
folder named like the class's own outputs, names that are terminal escapes,
spreadsheet formulas or not UTF-8, a submission that makes its notes something else than
text, and one whose exceptions carry 20 MB messages. With the sandbox on,
graded once: nothing is followed or read that is not the learner's own
regular file, the run goes on to the end, every submission has its row, and
the kit, the submissions and the output folder hold what they should. Also the
pieces on their own: what is read of a submission, what is kept of what a judge
reports, what a rerun trusts, and what is written for a spreadsheet."""
import csv
import hashlib
import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grader.classroom import outputs
from grader.classroom import submission
from grader.exercises import DEFAULT_POINTS, MODULES, NAMES
from grader.classroom.class_run import fold
from grader.classroom.judges import GraderFault
from grader.portable.sources import SourceProblem, notebook_cells
from grader.classroom.submission import stage, submission_files
from tests.conftest import KIT_ROOT

LINEAR, SOFTMAX, TRAINING, CONCISE = MODULES
SOLUTIONS = KIT_ROOT / "solutions"
ESCAPED = "e\x1b[31mred"
FORMULA = '=HYPERLINK("evil.example")'
NOT_UTF8 = os.fsdecode(b"caf\xe9")  # a Latin-1 name on a UTF-8 file system
FORGES_NOTES = """
import sys
seam = sys.modules.get("grader.portable.seam")
if seam:
    seam.Learner.load_notes = lambda self: {"forged.py": {"not": "text"}, "more": [1, 2]}
"""
HUGE_MESSAGES = "".join(f"""
def {name}(*args):
    raise ValueError("x" * 20_000_000)
""" for name in ("linreg", "squared_loss", "sgd"))


def stubs(folder, additions=None):
    """The kit's stubs in `folder`, `additions` ({module: source}) appended."""
    folder.mkdir(parents=True)
    for module in MODULES:
        text = (KIT_ROOT / "exercises" / f"{module}.py").read_text()
        extra = textwrap.dedent((additions or {}).get(module, ""))
        (folder / f"{module}.py").write_text(text + "\n\nimport torch\n" + extra)


def build_class(subs):
    """The hostile class; {id: what it is}."""
    (subs / "right").mkdir(parents=True)
    for module in MODULES:
        (subs / "right" / f"{module}.py").write_text((SOLUTIONS / f"{module}.py").read_text())
    (subs / "links_to_solutions").mkdir()
    (subs / "links_to_solutions" / "exercises").symlink_to(SOLUTIONS)
    (subs / "links_to_classmate").mkdir()
    (subs / "links_to_classmate" / "exercises").symlink_to("../right")
    (subs / "is_a_link").symlink_to(SOLUTIONS)
    links = subs / "links_its_files"
    stubs(links)
    for module in (LINEAR, SOFTMAX, TRAINING):
        (links / f"{module}.py").unlink()
    (links / f"{LINEAR}.py").symlink_to(SOLUTIONS / f"{LINEAR}.py")
    os.mkfifo(links / f"{SOFTMAX}.py")  # reading it would wait for ever
    (links / f"{TRAINING}.py").symlink_to("/proc/self/mem")
    (links / "chapter3.ipynb").symlink_to("/dev/zero")
    (links / "notes.txt").symlink_to("/proc/self/mem")
    stubs(subs / "grades.json")
    stubs(subs / ESCAPED)
    stubs(subs / FORMULA)
    stubs(subs / NOT_UTF8)
    stubs(subs / "forges_notes", {LINEAR: FORGES_NOTES})
    stubs(subs / "huge_messages", {LINEAR: HUGE_MESSAGES})


def tree(folder, skip=(".venv", "__pycache__", ".pytest_cache", ".hypothesis", ".git")):
    """{relative path: what it is} under `folder`, links and pipes not followed:
    a file's sha256, a link's target, a pipe's "fifo"."""
    found = {}
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in skip]
        for name in names + [d for d in dirs if os.path.islink(Path(root, d))]:
            path = Path(root, name)
            mode = os.lstat(path).st_mode
            found[str(path.relative_to(folder))] = (
                "-> " + os.readlink(path) if stat.S_ISLNK(mode) else
                "fifo" if stat.S_ISFIFO(mode) else hashlib.sha256(path.read_bytes()).hexdigest())
    return found


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile-class")
    subs, out = root / "subs", root / "out"
    build_class(subs)
    before = {"kit": tree(KIT_ROOT), "subs": tree(subs)}
    done = subprocess.run([sys.executable, "-m", "grader", "grade", str(subs), "--out", str(out),
                           "--jobs", "2", "--call-timeout", "3", "--import-timeout", "20",
                           "--timeout", "300"], capture_output=True, text=True, timeout=1800)
    after = {"kit": tree(KIT_ROOT), "subs": tree(subs)}
    rows = {e["id"]: e for e in json.loads((out / "grades.json").read_text())["submissions"]}
    return done, out, rows, before, after


def test_the_run_ends_sandboxed_with_a_row_for_every_submission(graded):
    done, out, rows, before, after = graded
    assert done.returncode == 0, done.stderr
    assert "sandbox: bubblewrap" in done.stdout
    assert sorted(rows) == sorted(os.listdir(out.parent / "subs"))
    assert before == after
    # OUT holds the class's files and two files per submission, nothing else, none large
    expected = {"grades.json", "grades.csv", "mistakes.csv", "report.html"} | {
        f"submissions/{i}/{f}" for i in rows
                                                for f in ("results.json", "feedback.txt")}
    assert set(tree(out)) == expected
    assert all((out / name).stat().st_size < 2 << 20 for name in expected)


def test_no_link_is_followed(graded):
    _, _, rows, _, _ = graded
    assert rows["right"]["score"] == 100
    for sub_id, shown in (("links_to_solutions", "exercises"), ("links_to_classmate", "exercises"),
                          ("is_a_link", "is_a_link")):
        assert rows[sub_id]["score"] == 0, sub_id
        for result in rows[sub_id]["exercises"].values():
            assert result["status"] == "error"
            assert result["feedback"].startswith(f"{shown} is a symbolic link: the grader reads"
                                                 " only folders themselves"), sub_id
    files = rows["links_its_files"]
    assert files["score"] == 0
    said = {f"{LINEAR}.py is a symbolic link": LINEAR, f"{TRAINING}.py is a symbolic link":
            TRAINING, f"{SOFTMAX}.py is not a regular file": SOFTMAX}
    for start, module in said.items():
        for name in MODULES[module]:
            assert files["exercises"][name]["status"] == "error"
            assert files["exercises"][name]["feedback"].startswith(start)
    assert files["exercises"]["linreg_concise"]["status"] == "not_attempted"
    assert any(note.startswith("chapter3.ipynb is a symbolic link") for note in files["notes"])


def test_odd_names_are_escaped_where_printed_and_in_the_spreadsheet(graded):
    done, out, rows, _, _ = graded
    assert rows["grades.json"]["exercises"]["softmax"]["status"] == "not_attempted"
    assert (out / "submissions" / "grades.json" / "feedback.txt").is_file()
    assert "\x1b" not in done.stdout and "\x1b" not in (out / "grades.csv").read_text()
    ids = [row["id"] for row in csv.DictReader((out / "grades.csv").open())]
    assert "'" + FORMULA in ids and "e\\x1b[31mred" in ids and "caf\\udce9" in ids
    assert not any(i.startswith(("=", "+", "-", "@")) for i in ids)
    feedback = (out / "submissions" / ESCAPED / "feedback.txt").read_text()
    assert feedback.startswith("d2l chapter 3: e\\x1b[31mred: 0/100")


def test_what_a_submission_makes_of_its_texts_is_kept_as_capped_text(graded):
    _, out, rows, _, _ = graded
    assert all(isinstance(note, str) for note in rows["forges_notes"]["notes"])
    assert rows["forges_notes"]["exercises"]["softmax"]["status"] == "not_attempted"
    huge = rows["huge_messages"]["exercises"]
    for name in ("linreg", "squared_loss", "sgd"):
        assert huge[name]["status"] == "error"
        assert len(huge[name]["feedback"]) < 3 * outputs.MAX_TEXT
        assert "more characters not kept" in huge[name]["feedback"]


# What is read of a submission

def test_submission_files_reads_regular_files_and_says_why_it_skips_the_rest(tmp_path):
    folder = tmp_path / "alice"
    folder.mkdir()
    (folder / f"{LINEAR}.py").write_text("x = 1\n")
    (folder / f"{SOFTMAX}.py").symlink_to(SOLUTIONS / f"{SOFTMAX}.py")
    os.mkfifo(folder / f"{TRAINING}.py")
    (folder / "nb.ipynb").symlink_to("/proc/self/mem")
    (folder / "notes.txt").symlink_to("/proc/self/mem")  # not the learner's kind of file
    found = submission_files(folder)
    assert found.files == {f"{LINEAR}.py": b"x = 1\n"}
    assert set(found.refused) == {f"{SOFTMAX}.py", f"{TRAINING}.py", "nb.ipynb"}
    assert found.refused[f"{SOFTMAX}.py"].startswith(f"{SOFTMAX}.py is a symbolic link")
    assert "not a regular file" in found.refused[f"{TRAINING}.py"]
    (tmp_path / "staged").mkdir()
    staged = stage(folder, tmp_path / "staged")
    assert staged.files == [f"{LINEAR}.py"]
    assert staged.problems[SOFTMAX][0] == "error" and staged.problems[TRAINING][0] == "error"
    assert CONCISE not in staged.problems  # missing: grading says so
    assert staged.notes == [found.refused["nb.ipynb"]]
    assert os.listdir(tmp_path / "staged") == [f"{LINEAR}.py"]


def test_a_changed_link_changes_the_key(tmp_path):
    folder = tmp_path / "bob"
    folder.mkdir()
    (folder / f"{LINEAR}.py").symlink_to(SOLUTIONS / f"{LINEAR}.py")
    linked = submission_files(folder).digest()
    (folder / f"{LINEAR}.py").unlink()
    (folder / f"{LINEAR}.py").write_bytes((SOLUTIONS / f"{LINEAR}.py").read_bytes())
    assert submission_files(folder).digest() != linked


def test_size_caps_per_file_and_in_all(tmp_path, monkeypatch):
    monkeypatch.setattr(submission, "MAX_FILE_MB", 2)
    monkeypatch.setattr(submission, "MAX_TOTAL_MB", 3)
    folder = tmp_path / "carol"
    folder.mkdir()
    (folder / "a.ipynb").write_bytes(b"x" * (3 << 20))
    (folder / "b.ipynb").write_bytes(b"x" * (2 << 20))
    (folder / "c.ipynb").write_bytes(b"x" * (2 << 20))
    found = submission_files(folder)
    assert list(found.files) == ["b.ipynb"]
    assert found.refused["a.ipynb"].startswith("a.ipynb is over the 2 MB")
    assert found.refused["c.ipynb"].startswith("c.ipynb was not read: your files come to over"
                                               " the 3 MB")


def test_an_upload_is_searched_without_following_links(tmp_path):
    """Gradescope: anywhere in the upload, a linked folder is not entered."""
    upload = tmp_path / "upload"
    (upload / "repo" / "exercises").mkdir(parents=True)
    (upload / "repo" / "exercises" / f"{LINEAR}.py").write_text("x = 1\n")
    (upload / "linked").symlink_to(SOLUTIONS)
    (upload / "repo" / f"{SOFTMAX}.py").symlink_to(SOLUTIONS / f"{SOFTMAX}.py")
    found = submission_files(upload, anywhere=True)
    assert list(found.files) == [f"repo/exercises/{LINEAR}.py"]
    assert list(found.refused) == [f"repo/{SOFTMAX}.py"]


# What is kept of what a judge reports

CHECKS = {"checks": [[f"test_{name}", name] for name in NAMES]}


def reported(**changes):
    """A judge's messages on a submission whose every check is not attempted,
    with `changes` ({exercise: fields of its check's message})."""
    return [CHECKS, {"notes": {}}] + [
        {"check": {"name": f"test_{name}", "status": "not_attempted", "message": "not yet",
                   "notes": [], **changes.get(name, {})}} for name in NAMES]


def test_fold_keeps_what_a_judge_reports_as_capped_text():
    messages = reported(softmax={"message": {"a dict": 1}},
                        linreg={"status": "error", "message": "x" * 20_000_000},
                        sgd={"status": "passed", "message": "", "notes": [7] * 1000})
    messages[1] = {"notes": {"forged.py": {"not": "text"}, "x.ipynb": "fine"}}
    row = fold(messages, DEFAULT_POINTS, None)
    assert row["exercises"]["softmax"]["feedback"] == "{'a dict': 1}"
    assert row["exercises"]["linreg"]["feedback"].startswith("x" * outputs.MAX_TEXT + "\n[")
    assert row["exercises"]["linreg"]["feedback"].endswith(
        f"[{20_000_000 - outputs.MAX_TEXT} more characters not kept]")
    assert row["notes"] == ["{'not': 'text'}", "fine"]
    assert row["exercises"]["sgd"]["feedback"].count("\n\n7") == outputs.MAX_NOTES
    outputs.feedback_text({"id": "x", **row, "seconds": 1.0})
    outputs.gradescope({"id": "x", **row, "seconds": 1.0})


@pytest.mark.parametrize("broken", ["unknown status", "unreported", "no checks", "too long"])
def test_fold_blames_the_grader_for_what_no_judge_should_report(broken):
    messages = {"unknown status": reported(softmax={"status": "passed!"}),
                "unreported": reported()[:-1],
                "no checks": reported()[1:],
                "too long": reported() + [{"unreadable": True}]}[broken]
    with pytest.raises(GraderFault):
        fold(messages, DEFAULT_POINTS, None)


def test_a_judge_out_of_time_leaves_its_unreported_checks_timed_out():
    row = fold(reported()[:3], DEFAULT_POINTS, ("timeout", "used up"))
    assert row["exercises"][NAMES[0]]["status"] == "not_attempted"
    assert row["exercises"][NAMES[-1]] == {
        "status": "timeout", "score": 0, "max_score": DEFAULT_POINTS[NAMES[-1]],
        "feedback": "used up", "mistake": f"{NAMES[-1]}/timeout",
        "mistake_title": "a call took too long, or the submission's time ran out"}


# What a rerun trusts, and what is written

def a_row():
    row = fold(reported(), DEFAULT_POINTS, None)
    return outputs.sealed({"id": "alice", **row, "seconds": 3.5, "key": "k"})


@pytest.mark.parametrize("edit", ["score", "status", "feedback", "exercises", "notes", "unsealed"])
def test_an_edited_or_broken_row_is_not_well_formed(edit):
    row = a_row()
    assert outputs.well_formed(row, DEFAULT_POINTS)
    if edit == "score":  # a score its statuses do not give, checksum and all
        row = outputs.sealed({**row, "score": 100})
    elif edit == "status":
        row["exercises"] = {**row["exercises"], "softmax": {**row["exercises"]["softmax"],
                                                            "status": "passed"}}
        row = outputs.sealed(row)
    elif edit == "feedback":
        row["exercises"]["softmax"]["feedback"] = "edited"
    elif edit == "exercises":
        del row["exercises"]
    elif edit == "notes":
        row = outputs.sealed({**row, "notes": [{"not": "text"}]})
    else:
        del row["check"]
    assert not outputs.well_formed(row, DEFAULT_POINTS)


def test_a_failure_of_the_grader_is_no_score_anywhere(tmp_path):
    failed = {"id": "bob", **outputs.failure(DEFAULT_POINTS, "the grader failed on this"
                                                              " submission, twice: boom"),
              "seconds": 1.0}
    outputs.write_class(tmp_path, [a_row(), failed], {"sandbox": True})
    rows = {r["id"]: r for r in csv.DictReader((tmp_path / "grades.csv").open())}
    assert rows["bob"]["total"] == "" and rows["bob"]["softmax"] == ""
    assert rows["bob"]["failure"].startswith("the grader failed") and rows["alice"]["failure"] == ""
    results = outputs.gradescope(failed)
    assert results["score"] == 0 and results["tests"] == []
    assert "not of your code" in results["output"]
    assert outputs.feedback_text(failed).startswith("d2l chapter 3: bob: not graded\n\nthe grader")
    said = outputs.summary([a_row(), failed], reused=0, sandboxed=True)
    assert "NOT GRADED: the grader failed on 1" in said and "mean score 0.0 / 100" in said
    assert not outputs.well_formed({**failed, "key": "k"}, DEFAULT_POINTS)


def test_an_out_folder_that_cannot_hold_the_outputs_is_one_clear_message(tmp_path):
    (tmp_path / "subs" / "alice").mkdir(parents=True)
    (tmp_path / "a file").write_text("")
    (tmp_path / "old" / "grades.json").mkdir(parents=True)
    for out, said in (("a file", "is a file, not a folder"),
                      ("old", "grades.json is a folder")):
        done = subprocess.run([sys.executable, "-m", "grader", "grade", str(tmp_path / "subs"),
                               "--out", str(tmp_path / out)], capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 2
        assert done.stderr.startswith("python -m grader grade: --out") and said in done.stderr
        assert "Traceback" not in done.stderr


# Messages

def test_a_notebook_without_cells_says_so(tmp_path):
    path = tmp_path / "chapter3.ipynb"
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}}))
    with pytest.raises(SourceProblem) as raised:
        notebook_cells(path)
    assert str(raised.value).startswith("chapter3.ipynb is not a notebook the grader can read:"
                                        " it says nbformat 4 but has no list of cells")


def test_a_bad_impl_is_one_usage_error_at_once(tmp_path):
    done = subprocess.run([sys.executable, "-m", "pytest", str(KIT_ROOT / "exercises"),
                           "--impl", str(tmp_path / "nonexistent"), "-p", "no:cacheprovider"],
                          capture_output=True, text=True, timeout=300, cwd=KIT_ROOT)
    lines = (done.stdout + done.stderr).strip().splitlines()
    assert done.returncode == 4 and len(lines) == 1
    assert lines[0].startswith(f"ERROR: --impl {tmp_path / 'nonexistent'}: no such folder")

