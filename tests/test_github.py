"""GitHub without Classroom: the release's workflow grades every push with the
learner's own command and keeps the grade as an artifact; run as GitHub
Actions runs it, that command writes the job summary and one annotation per
exercise to fix, on the line where the learner's function is defined."""
import json
import os
import re
import shlex
import shutil
import subprocess
import sys

import pytest
import yaml

from grader.exercises import DEFAULT_POINTS, MODULES, NAMES
from grader.learner.github import escape_data, escape_property
from grader.classroom.release import GRADE_COMMAND, WORKFLOW, constraint_pins, release
from tests.conftest import KIT_ROOT

LINEAR = next(iter(MODULES))
NO_HALF = "\n\ndef squared_loss(y_hat, y):\n    return (y_hat - y.reshape(y_hat.shape)) ** 2\n"


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    return release(tmp_path_factory.mktemp("release") / "kit")


def test_workflow_grades_every_push_and_keeps_the_grade_with_no_classroom(released):
    text = (released / WORKFLOW).read_text()
    assert "classroom" not in text.lower()
    workflow = yaml.safe_load(text)
    assert "push" in workflow["on"]
    steps = workflow["jobs"]["grade"]["steps"]
    assert all(s["uses"].split("@")[0] in ("actions/checkout", "actions/setup-python",
                                           "actions/upload-artifact") for s in steps if "uses" in s)
    install = next(s["run"] for s in steps if "pip install" in s.get("run", ""))
    assert all(pin in install for pin in constraint_pins())
    assert [s["run"] for s in steps if "pytest" in s.get("run", "")] == [GRADE_COMMAND]
    keep = steps[-1]
    assert keep["uses"].startswith("actions/upload-artifact@") and keep["if"] == "always()"
    assert keep["with"]["path"] == shlex.split(GRADE_COMMAND)[-1]


def test_points_of_a_release_are_its_grading_points(tmp_path):
    """`release --points` goes into the learner's pytest settings (d2l_points),
    which the workflow's command and the learner's own runs read."""
    kit = release(tmp_path / "kit", points={**DEFAULT_POINTS, "softmax": 40})
    assert 'd2l_points = ["softmax=40"]' in (kit / "pyproject.toml").read_text()
    done = run_as_github_actions(kit, tmp_path, "--exercise", "softmax")
    assert done["grade"]["max_score"] == 40


def run_as_github_actions(folder, tmp_path, *args):
    """The workflow's grading command, run in `folder` as GitHub Actions runs it:
    GITHUB_ACTIONS=true, the step's summary file, the repository's workspace."""
    summary = tmp_path / "step_summary.md"
    summary.write_text("# an earlier step's summary\n")
    command = shlex.split(GRADE_COMMAND)
    assert command[0] == "python"
    done = subprocess.run([sys.executable, *command[1:], *args], cwd=folder,
                          capture_output=True, text=True, timeout=900,
                          env={**os.environ, "GITHUB_ACTIONS": "true",
                               "GITHUB_STEP_SUMMARY": str(summary),
                               "GITHUB_WORKSPACE": str(folder), "PYTHONDONTWRITEBYTECODE": "1"})
    return {"returncode": done.returncode, "stdout": done.stdout,
            "summary": summary.read_text(),
            "grade": json.loads((folder / command[-1]).read_text()),
            "commands": [line for line in done.stdout.splitlines() if line.startswith("::")]}


def test_the_stubs_get_a_summary_of_exercises_not_attempted_and_no_annotation(released,
                                                                             tmp_path):
    """Not attempted is no error to point at: the learner has not begun."""
    done = run_as_github_actions(released, tmp_path)
    assert done["returncode"] == 1 and done["commands"] == []
    summary = done["summary"]
    assert summary.startswith("# an earlier step's summary\n## d2l chapter 3: your grade: 0/100")
    for name in NAMES:
        assert f"| `{name}` | not attempted | 0/{DEFAULT_POINTS[name]} |" in summary
    assert "###" not in summary
    assert {r["mistake"] for r in done["grade"]["exercises"].values()} == \
        {f"{name}/not-attempted" for name in NAMES}


def test_a_wrong_function_gets_its_message_in_the_summary_and_on_its_line(released, tmp_path):
    kit = tmp_path / "kit"
    shutil.copytree(released, kit)
    for module in MODULES:
        shutil.copy(KIT_ROOT / "solutions" / f"{module}.py", kit / "exercises")
    source = kit / "exercises" / f"{LINEAR}.py"
    source.write_text(source.read_text() + NO_HALF)
    line = max(i for i, text in enumerate(source.read_text().splitlines(), 1)
               if text == "def squared_loss(y_hat, y):")  # the last: the one Python keeps

    done = run_as_github_actions(kit, tmp_path)
    grade = done["grade"]
    assert done["returncode"] == 1
    assert grade["score"] == 100 - DEFAULT_POINTS["squared_loss"]
    message = grade["exercises"]["squared_loss"]["feedback"]
    assert "| `squared_loss` | FAILED | 0/4 |" in done["summary"]
    assert f"### `squared_loss`: FAILED\n\n```text\n{message}\n```" in done["summary"]
    assert done["commands"] == [
        f"::error file=exercises/{LINEAR}.py,line={line},title=squared_loss%3A FAILED::"
        + message.replace("%", "%25").replace("\n", "%0A")]
    assert "hint     half the square of the difference" in message


def test_workflow_commands_are_escaped_as_github_reads_them():
    assert escape_data("50% done\r\nnext: a, b") == "50%25 done%0D%0Anext: a, b"
    assert escape_property("exercises/a.py: 3, 4%") == "exercises/a.py%3A 3%2C 4%25"
    assert not re.search(r"[\r\n]", escape_property("a\nb\rc"))
