"""Notebooks as submissions, the book's d2l imports, and the environment check.

A learner's folder may hold .ipynb notebooks alone or beside the .py modules
(grader.portable.seam: a notebook's imports, definitions and simple assignments run,
nothing else). Checked here through the seam in this process (fast), then end
to end through `python -m grader grade` on a class of notebooks and through
the pytest plugin with a notebook in --impl. Gradescope's notebook upload is
in tests/test_gradescope.py.
"""
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from grader import environment
from grader.exercises import DEFAULT_POINTS, MODULES, NAMES, seam_spec
from grader.portable.oracle import ORACLE
from grader.portable.outcomes import BookAnswer, BrokenModule, Missing, NotAttempted
from grader.portable.seam import Learner
from tests.conftest import KIT_ROOT

REFERENCE, STUB = KIT_ROOT / "solutions", KIT_ROOT / "exercises"
# What the book's notebooks start with, and what a learner's real notebook holds
# besides its definitions: a training run, a plot, an endless loop.
BOOK_CELLS = ["%matplotlib inline\n!pip install d2l==0.17.6\nimport torch\n"
              "from d2l import torch as d2l"]
TRAINING_CELLS = [
    "batch_size = 256\ntrain_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)",
    "num_inputs, num_outputs = 784, 10\n"
    "W = torch.normal(0, 0.01, size=(num_inputs, num_outputs), requires_grad=True)\n"
    "b = torch.zeros(num_outputs, requires_grad=True)",
    "ran = []\nran.append('the training cell')\n"
    "train_ch3(net, train_iter, test_iter, cross_entropy, 10, updater)",
    "d2l.plt.plot([1, 2], [3, 4])\nprint(W.shape)",
    "while True:\n    pass",
]


def notebook(cells, *, markdown=True, nbformat=4):
    """A notebook's JSON text: a markdown cell, then a code cell per source."""
    code = [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
             "source": source.splitlines(keepends=True)} for source in cells]
    heading = [{"cell_type": "markdown", "metadata": {}, "source": ["# 3 Linear networks"]}]
    if nbformat == 3:
        for cell in code:
            cell["input"] = cell.pop("source")
        return dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {},
                           "worksheets": [{"cells": heading * markdown + code}]})
    return dumps({"nbformat": nbformat, "nbformat_minor": 5, "metadata": {},
                  "cells": heading * markdown + code})


def dumps(notebook):
    """As Jupyter writes a notebook: UTF-8 text, not ASCII escapes."""
    return json.dumps(notebook, ensure_ascii=False, indent=1)


def module_cells(folder, replace=None):
    """The learner's modules from `folder` as notebook cells, one per module,
    without the imports of one learner module from another (a notebook is one
    namespace); `replace` ({module: source}) stands in for some modules."""
    cells = []
    for module in MODULES:
        source = (replace or {}).get(module) or (Path(folder) / f"{module}.py").read_text()
        cells.append(re.sub(rf"^from ({'|'.join(MODULES)}) import .*\n", "", source, flags=re.M))
    return cells


def reference_notebook(**kwargs):
    """The references as the learner's real notebook would hold them."""
    return notebook(BOOK_CELLS + module_cells(REFERENCE) + TRAINING_CELLS, **kwargs)


def learner(folder):
    return Learner(folder, seam_spec(), call_timeout=5.0, import_timeout=20.0,
                   stand_ins=vars(ORACLE))


def write(folder, files):
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(text if isinstance(text, bytes) else text.encode())
    return folder


def outcome(found, exercise, *args):
    """The Outcome that calling the learner's `exercise` raises, or None if it returns."""
    try:
        getattr(found, exercise)(*args)
    except BaseException as e:  # noqa: B036 - Outcomes are BaseExceptions
        return e
    return None


# --- the rule: imports, definitions and simple assignments -------------------

def test_a_notebook_is_graded_on_its_definitions_and_nothing_else_runs(tmp_path):
    start = time.monotonic()
    found = learner(write(tmp_path, {"chapter3.ipynb": reference_notebook()}))
    assert time.monotonic() - start < 10, "the endless cell or the training cell ran"
    assert all(status is None for status in found.load_report().values())
    namespace = found._found["softmax"].__globals__
    assert namespace["ran"] == [], "a statement that is not an assignment ran"
    assert namespace["W"].shape == (784, 10) and namespace["W"].requires_grad
    assert namespace["b"].shape == (10,) and "train_iter" not in namespace
    x = torch.randn(3, 5)
    assert torch.allclose(found.softmax(x), ORACLE.softmax(x))
    assert found._found["softmax"].__code__.co_filename.endswith("chapter3.ipynb [cell 4]")


def test_the_learner_is_told_once_per_notebook_what_did_not_run_and_why(tmp_path):
    notes = learner(write(tmp_path, {"chapter3.ipynb": reference_notebook()})).load_notes()
    assert list(notes) == ["chapter3.ipynb"]
    note = notes["chapter3.ipynb"]
    # In a notebook d2l is the kit's (the release's imports cell imports it): no word of it.
    assert "d2l" not in note
    assert "magic and shell lines (%... and !...) in cell 2" in note
    assert "did not run the statements of cells 7, 9, 10 and 11" in note
    assert "graded on its definitions" in note


def test_a_function_defined_twice_is_graded_on_its_last_definition(tmp_path):
    cells = BOOK_CELLS + module_cells(REFERENCE) + ["def softmax(X):\n    return X * 0 + 7"]
    found = learner(write(tmp_path, {"mine.ipynb": notebook(cells)}))
    assert torch.equal(found.softmax(torch.ones(2, 2)), torch.full((2, 2), 7.0))


def test_a_failing_statement_is_noted_and_the_rest_still_runs(tmp_path):
    cells = ["import torch\nimport not_a_package_anywhere\nlr = 1 / 0\n"
             "def softmax(X):\n    X_exp = torch.exp(X)\n    return X_exp / X_exp.sum(1, keepdim=True)",
             "def broken(:\n    pass"]
    found = learner(write(tmp_path, {"mine.ipynb": notebook(cells)}))
    assert found.softmax(torch.zeros(1, 2)).tolist() == [[0.5, 0.5]]
    note = found.load_notes()["mine.ipynb"]
    assert "cell 2, line 2 failed (ModuleNotFoundError" in note
    assert "cell 2, line 3 failed (ZeroDivisionError: division by zero)" in note
    assert "cell 3 is not valid Python (SyntaxError" in note


def test_an_untouched_notebook_is_not_attempted(tmp_path):
    found = learner(write(tmp_path, {"chapter3.ipynb": notebook(module_cells(STUB))}))
    error = outcome(found, "softmax", torch.zeros(1, 2))
    assert isinstance(error, NotAttempted)
    assert "write it in chapter3.ipynb" in error.message


def test_notebooks_beside_modules_each_give_what_they_implement(tmp_path):
    linear_only = module_cells(REFERENCE)[:1]
    files = {f"{m}.py": (REFERENCE if m != "linear_regression" else STUB).joinpath(
        f"{m}.py").read_text() for m in MODULES}
    found = learner(write(tmp_path, {**files, "3.2.ipynb": notebook(BOOK_CELLS + linear_only)}))
    assert found._found["sgd"].__code__.co_filename.endswith("3.2.ipynb [cell 3]")
    assert found._found["softmax"].__code__.co_filename.endswith("softmax_regression.py")


def test_one_exercise_in_a_notebook_and_a_module_is_an_error_that_says_where(tmp_path):
    files = {f"{m}.py": (REFERENCE / f"{m}.py").read_text() for m in MODULES}
    cells = ["import torch\ndef softmax(X):\n    return X.exp() / X.exp().sum(1, keepdim=True)"]
    found = learner(write(tmp_path, {**files, "mine.ipynb": notebook(cells)}))
    error = outcome(found, "softmax", torch.zeros(1, 2))
    assert isinstance(error, BrokenModule)
    assert "softmax is written both in softmax_regression.py and in mine.ipynb" in error.message
    assert outcome(found, "cross_entropy", torch.full((1, 2), 0.5), torch.tensor([0])) is None


def test_a_notebook_missing_an_exercise_says_where_it_looked(tmp_path):
    found = learner(write(tmp_path, {"mine.ipynb": notebook(["import torch\nlr = 0.1"])}))
    error = outcome(found, "softmax", torch.zeros(1, 2))
    assert isinstance(error, Missing)
    assert error.message == ("softmax_regression.py is missing, and no notebook of yours"
                             " (mine.ipynb) defines softmax().")


# --- bad input: a clear message, and the rest is still graded ----------------

BAD = {
    "not_json": (b'{"cells": [', "is not valid JSON"),
    "nbformat_2": (notebook(["x = 1"], nbformat=2).encode(), "its nbformat is 2, not 3 or 4"),
    "not_utf8": (notebook(["s = 'caf\u00e9'"]).encode("latin-1"), "is not UTF-8 text"),
    "no_code_cells": (json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                                  "cells": [{"cell_type": "markdown", "source": "hi"}]}).encode(),
                      "has no code cells"),
}


@pytest.mark.parametrize("case", BAD)
def test_a_bad_notebook_gets_a_clear_note_and_the_modules_are_still_graded(tmp_path, case):
    data, words = BAD[case]
    files = {f"{m}.py": (REFERENCE / f"{m}.py").read_text() for m in MODULES}
    found = learner(write(tmp_path, {**files, "bad.ipynb": data}))
    assert words in found.load_notes()["bad.ipynb"]
    assert outcome(found, "softmax", torch.zeros(1, 2)) is None


@pytest.mark.parametrize("case", BAD)
def test_a_bad_notebook_alone_leaves_every_exercise_missing_with_its_reason(tmp_path, case):
    found = learner(write(tmp_path, {"bad.ipynb": BAD[case][0]}))
    error = outcome(found, "sgd", [], 0.1, 1)
    assert isinstance(error, Missing) and "bad.ipynb" in error.message


def test_an_old_nbformat_3_notebook_is_read(tmp_path):
    found = learner(write(tmp_path, {"old.ipynb": reference_notebook(nbformat=3)}))
    x = torch.randn(2, 3)
    assert torch.allclose(found.softmax(x), ORACLE.softmax(x))


def test_a_50_mb_notebook_of_image_outputs_is_read_fast(tmp_path):
    cells = json.loads(reference_notebook())
    image = {"output_type": "display_data", "metadata": {},
             "data": {"image/png": "iVBORw0KGgo" * 100_000, "text/plain": ["<Figure>"]}}
    for cell in cells["cells"]:
        cell["outputs"] = [image] * 6 if cell["cell_type"] == "code" else []
    text = json.dumps(cells)
    assert len(text) > 50e6
    write(tmp_path, {"big.ipynb": text})
    start = time.monotonic()
    found = learner(tmp_path)
    assert time.monotonic() - start < 5
    assert outcome(found, "softmax", torch.zeros(1, 2)) is None


def test_a_non_utf8_module_is_a_broken_module_that_says_so(tmp_path):
    files = {f"{m}.py": (REFERENCE / f"{m}.py").read_text() for m in MODULES}
    files["linear_regression.py"] = files["linear_regression.py"].encode() + "# caf\u00e9\n".encode(
        "latin-1")
    error = outcome(learner(write(tmp_path, files)), "sgd", [], 0.1, 1)
    assert isinstance(error, BrokenModule)
    assert "linear_regression.py is not UTF-8 text (line" in error.message


# --- the book's imports ------------------------------------------------------

def book_module(body):
    """softmax_regression.py of the references, as the book starts it, with `body` added."""
    return ("%matplotlib inline\nfrom d2l import torch as d2l\n"
            + (REFERENCE / "softmax_regression.py").read_text() + "\n\n" + body)


def test_a_module_with_the_books_imports_keeps_its_functions_and_gets_one_note(tmp_path):
    files = {f"{m}.py": (REFERENCE / f"{m}.py").read_text() for m in MODULES}
    files["softmax_regression.py"] = book_module("")
    found = learner(write(tmp_path, files))
    assert outcome(found, "softmax", torch.zeros(1, 2)) is None
    assert found.load_notes() == {"softmax_regression.py": (
        "softmax_regression.py: the grader did not import the d2l package (line 2): the kit does"
        " not need it, so call your own functions, for example your own sgd(...), not"
        " d2l.sgd(...).\nsoftmax_regression.py: the grader skipped the magic and shell lines"
        " (%... and !...) in line 1; they are not Python.")}


@pytest.mark.parametrize("source", [
    "def softmax(X):\n    return d2l.softmax(X)\n",
    "from d2l.torch import softmax as book_softmax\ndef softmax(X):\n    try:\n"
    "        return book_softmax(X)\n    except BaseException:\n        return X\n",
    "def softmax(X):\n    import d2l.torch\n    return d2l.torch.softmax(X)\n",
])
def test_calling_the_d2l_packages_answer_fails_the_exercise(tmp_path, source):
    files = {f"{m}.py": (REFERENCE / f"{m}.py").read_text() for m in MODULES}
    files["softmax_regression.py"] = book_module(source)
    found = learner(write(tmp_path, files))
    error = outcome(found, "softmax", torch.zeros(1, 2))
    assert isinstance(error, BookAnswer) and error.status == "failed"
    assert "the d2l package's own softmax: this exercise asks you to write it yourself" \
        in error.message
    assert "call your own softmax(...), not" in error.message
    assert outcome(found, "cross_entropy", torch.full((1, 2), 0.5), torch.tensor([0])) is None


def test_calling_another_d2l_function_says_the_kit_does_not_need_it(tmp_path):
    files = {f"{m}.py": (REFERENCE / f"{m}.py").read_text() for m in MODULES}
    files["softmax_regression.py"] = book_module(
        "def softmax(X):\n    d2l.evaluate_loss(X)\n    return X\n")
    error = outcome(learner(write(tmp_path, files)), "softmax", torch.zeros(1, 2))
    assert error.message.startswith("softmax calls d2l.evaluate_loss(...), from the book's d2l"
                                    " package")
    assert "call your own functions, for example your own sgd(...), not d2l.sgd(...)" \
        in error.message


def test_the_books_plotting_helpers_draw_and_other_top_level_d2l_calls_name_the_line(tmp_path):
    """A .py file runs whole: the book's plots at its top level (d2l.plt, d2l.plot,
    d2l.set_figsize, d2l.use_svg_display) pass; another d2l call there loses the
    file, with a message that names the call and its line (not 'BookCalled')."""
    files = {f"{m}.py": (REFERENCE / f"{m}.py").read_text() for m in MODULES}
    files["softmax_regression.py"] = book_module(
        "d2l.use_svg_display()\nd2l.set_figsize()\nd2l.plot([1, 2], [[3, 4]])\n"
        "d2l.plt.scatter([1, 2], [3, 4])\n")
    assert outcome(learner(write(tmp_path / "plots", files)), "softmax", torch.zeros(1, 2)) is None
    files["softmax_regression.py"] = book_module(
        "train_iter, test_iter = d2l.load_data_fashion_mnist(256)\n")
    error = outcome(learner(write(tmp_path / "load", files)), "softmax", torch.zeros(1, 2))
    assert error.message.startswith(
        "softmax_regression.py could not be imported: its code calls"
        " d2l.load_data_fashion_mnist(...), from the book's d2l package"), error.message
    assert "softmax_regression.py, line " in error.message and "BookCalled" not in error.message


# --- end to end --------------------------------------------------------------

def grade_class(tmp_path, submissions, *options):
    """`python -m grader grade` on a class {id: {file: text}}; grades.json's rows by id
    and the seconds it took."""
    root = tmp_path / "class"
    for sub_id, files in submissions.items():
        write(root / sub_id, files)
    start = time.monotonic()
    subprocess.run([sys.executable, "-m", "grader", "grade", str(root), "--out",
                    str(tmp_path / "out"), "--jobs", "2", *options], check=True, cwd=KIT_ROOT,
                   capture_output=True)
    rows = json.loads((tmp_path / "out" / "grades.json").read_text())["submissions"]
    return {row["id"]: row for row in rows}, time.monotonic() - start


WRONG_SOFTMAX = "def softmax(X):\n    return X.exp() / X.exp().sum()\n"


def test_grade_a_class_of_notebooks(tmp_path):
    mutant = module_cells(REFERENCE)
    mutant[1] += "\n\n" + WRONG_SOFTMAX
    rows, _ = grade_class(tmp_path, {
        "reference": {"chapter3.ipynb": reference_notebook()},
        "mutant": {"exercises/chapter3.ipynb": notebook(BOOK_CELLS + mutant + TRAINING_CELLS)},
        "not_json": {"chapter3.ipynb": b"not a notebook",
                     **{f"{m}.py": (REFERENCE / f"{m}.py").read_text() for m in MODULES}},
    })
    reference = rows["reference"]
    assert (reference["score"], reference["max_score"]) == (100, 100), reference
    assert "did not run the statements of cells 7, 9, 10 and 11" in reference["notes"][0]
    statuses = {n: e["status"] for n, e in rows["mutant"]["exercises"].items()}
    assert statuses == {**{n: "passed" for n in NAMES}, "softmax": "failed"}
    assert rows["not_json"]["score"] == 100
    assert "chapter3.ipynb is not a notebook the grader can read" in rows["not_json"]["notes"][0]
    feedback = (tmp_path / "out" / "submissions" / "not_json" / "feedback.txt").read_text()
    assert "--- about your files\nchapter3.ipynb is not a notebook" in feedback


def test_the_plugin_grades_a_notebook_in_impl(tmp_path):
    folder = write(tmp_path / "mine", {"chapter3.ipynb": reference_notebook()})
    done = subprocess.run([sys.executable, "-m", "pytest", str(STUB), "--impl", str(folder),
                           "--exercise", "softmax", "--exercise", "sgd", "--grade-json",
                           str(tmp_path / "grade.json"), "-p", "no:randomly"],
                          capture_output=True, text=True, cwd=tmp_path)
    grade = json.loads((tmp_path / "grade.json").read_text())
    points = DEFAULT_POINTS["softmax"] + DEFAULT_POINTS["sgd"]
    assert (grade["score"], grade["max_score"], done.returncode) == (points, points, 0), done.stdout
    assert "d2l chapter 3: about your files" in done.stdout
    assert "chapter3.ipynb: the grader did not run the statements of cells" in done.stdout


# --- the environment check ---------------------------------------------------

def with_versions(monkeypatch, **versions):
    from packaging.version import Version
    monkeypatch.setattr(environment, "_version",
                        lambda package: Version(versions[package]) if versions.get(package)
                        else None)


def test_the_environment_here_can_grade():
    assert environment.problem() is None


def test_old_torch_with_numpy_2_says_what_to_install(monkeypatch):
    with_versions(monkeypatch, torch="2.1.2", torchvision="0.29.1", numpy="2.2.6")
    monkeypatch.setattr(environment.metadata, "requires", lambda package: ["torch>=2.1"])
    assert environment.problem() == (
        "torch 2.1.2 was built for numpy 1 and cannot use numpy 2.2.6, so every check would"
        " fail: run `pip install \"numpy<2\"`, or `pip install --upgrade torch torchvision` (the"
        " kit needs torch 2.3 or newer, which works with either numpy).")


def test_a_torchvision_made_for_another_torch_says_what_to_install(monkeypatch):
    with_versions(monkeypatch, torch="2.13.0", torchvision="0.29.1", numpy="2.2.6")
    monkeypatch.setattr(environment.metadata, "requires", lambda package: ["torch==2.14.1"])
    assert "torchvision 0.29.1 is made for torch ==2.14.1, but torch 2.13.0 is installed" \
        in environment.problem()
    with_versions(monkeypatch, torch="2.13.0", numpy="2.2.6")
    assert environment.problem().startswith("torchvision is not installed")


def test_a_broken_environment_stops_grading_with_one_message(pytester, monkeypatch):
    monkeypatch.setattr(environment, "problem", lambda: "torch 2.1.2 cannot use numpy 2.2.6.")
    result = pytester.runpytest_inprocess("--exercise", "softmax")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if line.strip()]
    assert errors == ["ERROR: The grader cannot run in this Python environment, so nothing was"
                      " graded: torch 2.1.2 cannot use numpy 2.2.6."]


pytest_plugins = ["pytester"]
