"""The learner's release: no answers in it, and it grades on its own, installed in
a fresh virtual environment with no solutions/ anywhere it can see."""
import ast
import json
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest
import yaml

from grader.exercises import DEFAULT_POINTS, MODULES, NAMES
from grader.release import (COMMAND_GRADER, REPORTER, WORKFLOW, ReleaseError, classroom_workflow,
                            constraint_pins, release)
from tests.conftest import KIT_ROOT


# The modules built from scratch. The helpers of training.py and the concise
# models are printed whole in the book (and shipped by the d2l package); the
# grader holds working versions of them to stand in for the learner's
# (attribution), so they are not secrets the release could keep.
FROM_SCRATCH = ("linear_regression", "softmax_regression")


def reference_statements():
    """The simple statements (assignments, returns, calls) of every reference
    function built from scratch, one stripped line each: the code that answers
    an exercise."""
    lines = set()
    for path in (KIT_ROOT / "solutions" / f"{m}.py" for m in FROM_SCRATCH):
        source = path.read_text()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.Assign, ast.AugAssign, ast.Return, ast.Expr)) \
                    and not isinstance(getattr(node, "value", None), ast.Constant):
                lines.add(" ".join(ast.get_source_segment(source, node).split()))
    return lines


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    return release(tmp_path_factory.mktemp("release") / "kit")


def test_release_holds_no_answers(released):
    names = {p.relative_to(released).as_posix() for p in released.rglob("*") if p.is_file()}
    assert not any(n.startswith(("solutions/", "tests/", ".ci/")) for n in names)
    assert {"README.md", "pyproject.toml", ".gitignore", WORKFLOW, "exercises/test_chapter3.py",
            "exercises/linear_regression.py", "exercises/softmax_regression.py",
            "grader/oracle.py"} <= names
    answers = reference_statements()
    assert len(answers) > 15
    for name in names:
        lines = {" ".join(line.split()) for line in (released / name).read_text().splitlines()}
        assert not lines & answers, f"{name} holds reference code: {lines & answers}"


def test_learner_readme_has_the_learners_commands_and_nothing_for_instructors(released):
    readme = (released / "README.md").read_text()
    assert "pip install -e . && .venv/bin/python -m pytest exercises" in readme
    assert "## Grade your exercises" in readme and "## Watch mode" in readme
    assert (released / "docs" / "checks.md").is_file() and "(docs/checks.md)" in readme
    for word in ("instructor", "solutions", "grader grade", "For developers", "--grading-seed",
                 "constraints", "<!--"):
        assert word not in readme, word


def test_release_refuses_the_kit_itself_and_an_existing_folder(tmp_path):
    for target in (KIT_ROOT, KIT_ROOT / "release", KIT_ROOT.parent):
        with pytest.raises(ReleaseError, match="refusing"):
            release(target, force=True)
    (tmp_path / "kit").mkdir()
    with pytest.raises(ReleaseError, match="--force"):
        release(tmp_path / "kit")
    assert release(tmp_path / "kit", force=True) == (tmp_path / "kit").resolve()


@pytest.fixture
def installed(tmp_path):
    """(python, release folder): a fresh release installed in a fresh virtual
    environment. PyTorch and the other requirements are not downloaded again: a
    .pth file lends it this environment's site-packages, where the kit's own
    grader is not importable (its editable-install hook is not run from there)."""
    released = release(tmp_path / "kit")
    env = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    python = env / "bin" / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "lent.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--no-index", "-e", str(released)], check=True, capture_output=True)
    return python, released


def grade(python, released, *args):
    done = subprocess.run([python, "-m", "pytest", "exercises", "--grade-json", "grade.json",
                           *args], cwd=released, capture_output=True, text=True, timeout=900,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    return done, json.loads((released / "grade.json").read_text())


def test_release_grades_on_its_own(installed):
    venv, released = installed
    where = subprocess.run([venv, "-c", "import grader; print(grader.__file__)"],
                           capture_output=True, text=True, cwd="/", check=True).stdout
    assert Path(where.strip()).is_relative_to(released)
    assert not list(released.rglob("solutions")) and not (KIT_ROOT / "grader" / "solutions").exists()

    done, result = grade(venv, released)
    assert {e["status"] for e in result["exercises"].values()} == {"not_attempted"}, done.stdout
    assert done.returncode == 1 and "Traceback" not in done.stdout
    header = done.stdout.split("d2l chapter 3: your grade")[0]
    assert "timeout:" not in header and "timeout method" not in header, header

    for module in MODULES:
        shutil.copy(KIT_ROOT / "solutions" / f"{module}.py", released / "exercises")
    done, result = grade(venv, released)
    assert (result["score"], result["max_score"], done.returncode) == (100, 100, 0), \
        textwrap.shorten(done.stdout, 3000)


def test_classroom_workflow_has_one_step_per_exercise_worth_its_points(released):
    workflow = yaml.safe_load((released / WORKFLOW).read_text())
    assert set(workflow["on"]) == {"push", "repository_dispatch"}
    steps = workflow["jobs"]["run-autograding-tests"]["steps"]
    graders = [s for s in steps if s.get("uses") == COMMAND_GRADER]
    assert [s["with"]["test-name"] for s in graders] == list(NAMES)
    assert [s["with"]["max-score"] for s in graders] == [DEFAULT_POINTS[n] for n in NAMES]
    assert sum(s["with"]["max-score"] for s in graders) == 100
    assert {s["with"]["timeout"] for s in graders} == {10}  # minutes, the action's unit
    assert [s["with"]["command"] for s in graders] == \
        [f"python -m pytest exercises --exercise {n}" for n in NAMES]
    reporter = steps[-1]
    ids = [s["id"] for s in graders]
    assert reporter["uses"] == REPORTER and reporter["with"]["runners"] == ",".join(ids)
    assert reporter["env"] == {f"{i.upper()}_RESULTS": f"${{{{steps.{i}.outputs.result}}}}"
                               for i in ids}
    install = next(s["run"] for s in steps if "pip install" in s.get("run", ""))
    assert all(pin in install for pin in constraint_pins())
    points = {**DEFAULT_POINTS, "softmax": 40}
    custom = yaml.safe_load(classroom_workflow(points, []))
    assert [s["with"]["max-score"] for s in custom["jobs"]["run-autograding-tests"]["steps"]
            if s.get("uses") == COMMAND_GRADER] == [points[n] for n in NAMES]


def test_classroom_commands_pass_on_the_reference_and_fail_on_the_stubs(released, tmp_path):
    """The first and the last exercise's commands, run as the action runs them.
    Each command is a pytest start of its own (seconds); the workflow test checks
    that every step's command is the same one with its exercise's name."""
    reference = tmp_path / "reference"
    shutil.copytree(released, reference)
    for module in MODULES:
        shutil.copy(KIT_ROOT / "solutions" / f"{module}.py", reference / "exercises")
    steps = yaml.safe_load((released / WORKFLOW).read_text())["jobs"]["run-autograding-tests"]["steps"]
    commands = [s["with"]["command"] for s in steps if s.get("uses") == COMMAND_GRADER]
    commands = [commands[0], commands[-1]]

    def exit_status(folder, command):
        args = shlex.split(command)
        assert args[0] == "python"
        return subprocess.run([sys.executable, *args[1:]], cwd=folder, capture_output=True,
                              timeout=600, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
                              ).returncode

    on_reference = [exit_status(reference, c) for c in commands]
    on_stubs = [exit_status(released, c) for c in commands]
    assert on_reference == [0, 0]
    assert 0 not in on_stubs, on_stubs
