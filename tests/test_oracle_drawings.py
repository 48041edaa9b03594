"""The oracle's drawings kept in the data root (grader/grading/drawings.py): the
same as drawn, drawn again for another version, and read by a judge that then
needs no matplotlib."""
import subprocess
import sys

import torch

from grader.grading import drawings as od
from tests.conftest import KIT_ROOT


def same(a, b):
    """Whether two drawing results are equal, tensors by value."""
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and torch.equal(a, b)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def test_the_kept_drawings_are_the_oracle_s_and_read_without_matplotlib(tmp_path):
    drawn = od.compute()
    assert set(drawn) == {"draw_images:tensors", "draw_images:pil", "drive_animator:book",
                          "drive_animator:scales"}
    assert same(od.oracle_drawings.__wrapped__(tmp_path), drawn)
    saved = torch.load(tmp_path / od.FILE_NAME, weights_only=True)
    assert saved["key"] == od.version_key() and same(saved["drawings"], drawn)
    read = subprocess.run(
        [sys.executable, "-c", "import sys; from grader.grading.drawings import oracle_drawings;"
         f" print(len(oracle_drawings({str(tmp_path)!r})), 'matplotlib' in sys.modules)"],
        cwd=KIT_ROOT, capture_output=True, text=True, check=True)
    assert read.stdout.split() == ["4", "False"]


def test_drawings_kept_for_another_version_are_drawn_again(tmp_path):
    torch.save({"key": "another version", "drawings": {"draw_images:tensors": "forged"}},
               tmp_path / od.FILE_NAME)
    assert same(od.oracle_drawings.__wrapped__(tmp_path), od.compute())
    assert torch.load(tmp_path / od.FILE_NAME, weights_only=True)["key"] == od.version_key()


def test_an_unwritable_root_still_gives_the_drawings(tmp_path):
    root = tmp_path / "a file"
    root.write_text("")
    assert same(od.oracle_drawings.__wrapped__(root), od.compute())


def test_a_class_of_one_graded_on_its_drawings_imports_no_matplotlib_in_the_judge():
    """Once the drawings are kept (setup.sh does it on Gradescope), only the
    submission's process draws."""
    od.oracle_drawings()
    graded = subprocess.run(
        [sys.executable, "-c", """
import sys
from grader.grading import session as batch
from grader.exercises import DEFAULT_POINTS, seam_spec
from pathlib import Path
from grader.classroom.remote import RemoteLearner
from grader.classroom.submission import read_submission
from grader.classroom.zygote import Sandbox
box = Sandbox()
learner = RemoteLearner(read_submission(Path("solutions")), seam_spec(), box)
graded = batch.grade(learner, DEFAULT_POINTS, exercises=["show_images", "Animator"])
learner.close()
box.kill()
print(graded["score"] == graded["max_score"] > 0, "matplotlib" in sys.modules)
"""], cwd=KIT_ROOT, capture_output=True, text=True, check=True)
    assert graded.stdout.split() == ["True", "False"]
