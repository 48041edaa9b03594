"""The READMEs show the kit's real output: each example of a grading in README.md
and docs/learner-readme.md (and the learner README's Chinese, from zh.po) is
what `pytest exercises` prints for the case its text describes, line for line.
In an example, a line "  ..." stands for rows cut, and a line ending in "..."
for the rest of a line cut."""
import os
import re
import shutil
import subprocess
import sys

import pytest
import torch

from grader.exercises import BY_NAME
from grader.i18n import _, set_language
from grader.classroom.localize import markdown_blocks
from grader.classroom.release import LEARNER_README, stub_parts
from tests.conftest import KIT_ROOT, THIS_KIT

BOOK_SOFTMAX = """def softmax(X):
    X_exp = torch.exp(X)
    partition = X_exp.sum(1, keepdim=True)
    return X_exp / partition  # the broadcasting mechanism is applied here
"""
NO_RESHAPE = "def squared_loss(y_hat, y):\n    return (y_hat - y) ** 2 / 2\n"
RIGHT_FIRST = ("Timer", "normal", "linreg_closed_form", "synthetic_data", "data_iter", "linreg")


def examples(text):
    """The fenced blocks of `text` that show the kit's messages, fences included."""
    return [block for block, fenced in markdown_blocks(text)
            if fenced and re.search(r"^\s*(hint|提示)\s", block, re.M)]


def inside(block):
    """A fenced block's lines, without its fences."""
    return block.split("\n", 1)[1].rsplit("\n", 1)[0] + "\n"


def shown_as(example, output):
    """Whether `example` is `output` but where it cuts (see the module's docstring)."""
    pattern = ""
    for line in example.rstrip("\n").split("\n"):
        if line.strip() == "...":
            pattern += r"(?:.*\n)+"
        elif line.endswith("..."):
            pattern += re.escape(line[:-3]) + r".*\n"
        else:
            pattern += re.escape(line) + r"\n"
    return re.fullmatch(pattern, output.rstrip("\n") + "\n") is not None


def pytest_exercises(folder, answers, lang):
    """What `pytest exercises` prints after its progress on `folder`, a copy of
    the stubs with `answers` ({exercise: source}) written in, from the kit's
    first section to its last line (pytest's own closing line left out)."""
    shutil.copytree(KIT_ROOT / "exercises", folder)
    for name, source in answers.items():
        with open(folder / f"{BY_NAME[name].module}.py", "a") as f:
            f.write(f"\n\n{source}\n")
    out = subprocess.run([sys.executable, "-m", "pytest", str(folder / "test_chapter3.py"),
                          "--impl", str(folder), "--lang", lang, "-p", "no:cacheprovider"],
                         cwd=folder, capture_output=True, text=True, timeout=600,
                         env={**os.environ, "PYTHONPATH": THIS_KIT}).stdout
    lines = out.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("=")
                 and ("what to fix" in line or "需要修改的地方" in line))
    return "\n".join(lines[first:-1]) + "\n"


def test_the_readmes_example_of_a_run_is_what_pytest_prints(tmp_path):
    """README.md: the first six exercises right, squared_loss without reshape."""
    solutions = stub_parts((KIT_ROOT / "solutions" / "linear_regression.py").read_text())[1]
    answers = {name: solutions[name] for name in RIGHT_FIRST} | {"squared_loss": NO_RESHAPE}
    output = pytest_exercises(tmp_path / "exercises", answers, "en")
    example = next(e for e in examples((KIT_ROOT / "README.md").read_text())
                   if "your grade" in e)
    assert shown_as(inside(example), output), output


def test_the_readmes_example_of_a_message_is_what_the_check_says():
    """README.md's failure of the book's softmax on two rows, its hint cut."""
    from grader.grading.checks.classification import check_softmax_is_stable_for_large_logits
    from grader.portable.oracle import ORACLE
    namespace = {"torch": torch}
    exec(BOOK_SOFTMAX, namespace)
    example = next(e for e in examples((KIT_ROOT / "README.md").read_text())
                   if "your grade" not in e)
    with pytest.raises(AssertionError) as failed:
        check_softmax_is_stable_for_large_logits(
            namespace["softmax"], ORACLE.softmax,
            torch.tensor([[10000., 9999., 9998.], [0., 1., 2.]]))
    assert shown_as(inside(example), str(failed.value)), str(failed.value)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_learner_readmes_example_is_what_pytest_prints(tmp_path, lang):
    """docs/learner-readme.md, and its Chinese: the book's 3.6.2 softmax, nothing
    else written yet."""
    [example] = examples((KIT_ROOT / LEARNER_README).read_text())
    set_language(lang)
    try:
        example = _(example)
    finally:
        set_language("en")
    output = pytest_exercises(tmp_path / "exercises", {"softmax": BOOK_SOFTMAX}, lang)
    assert shown_as(inside(example), output), output
