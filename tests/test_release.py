"""The learner's release: no answers in it, and it grades on its own, installed in
a fresh virtual environment with no solutions/ anywhere it can see."""
import ast
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import tomllib
from pathlib import Path

import pytest

from grader.exercises import MODULES
from grader.grading.grades import SHORT
from grader.i18n import _, language, set_language
from grader.classroom.localize import translate_markdown, translate_source
from grader.classroom.release import (LEARNER_README, NOTEBOOK, STATUS_TABLE, TEMPLATE_COMMENT, WORKFLOW,
                            ReleaseError, release)
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
            "grader/portable/oracle.py"} <= names
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


# --- The release in Chinese (release(lang="zh")) and the learner README ---

# Four or more English words in a row, in prose (code quoted in `...` removed).
ENGLISH_WORDS = re.compile(r"\b[A-Za-z]+(?: [A-Za-z]+){3,}\b")
CJK = re.compile(r"[\u4e00-\u9fff]")


def prose(markdown):
    """`markdown` without its fenced code blocks and `inline code`."""
    return re.sub(r"`[^`]*`", "", re.sub(r"```.*?```", "", markdown, flags=re.S))


def docstrings_of(source):
    return [ast.get_docstring(node) for node in ast.walk(ast.parse(source))
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef))
            and ast.get_docstring(node)]


def code_of(source):
    """The ast of `source` without its docstrings (comments are not in it)."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and \
                ast.get_docstring(node) is not None:
            node.body = node.body[1:]
    return ast.dump(tree)


@pytest.fixture(scope="module")
def released_zh(tmp_path_factory):
    return release(tmp_path_factory.mktemp("release-zh") / "kit", lang="zh")


def test_release_in_chinese_leaves_the_language_shown_as_it_was(released_zh):
    assert language() == "en"
    with pytest.raises(ReleaseError, match="--lang xx"):
        release(released_zh.parent / "other", lang="xx")


def test_a_chinese_release_grades_in_chinese_whatever_the_machines_locale(released, released_zh):
    """Its pytest settings say so (d2l_lang), for GitHub's runner too."""
    def settings(kit):
        return tomllib.loads((kit / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert settings(released_zh)["d2l_lang"] == "zh" and "d2l_lang" not in settings(released)


@pytest.mark.parametrize("module", [*MODULES, "test_chapter3"])
def test_chinese_stubs_have_chinese_docstrings_and_the_english_code(released, released_zh,
                                                                   module):
    english = (released / "exercises" / f"{module}.py").read_text()
    chinese = (released_zh / "exercises" / f"{module}.py").read_text()
    assert code_of(chinese) == code_of(english)
    assert english == (KIT_ROOT / "exercises" / f"{module}.py").read_text()
    pairs = list(zip(docstrings_of(english), docstrings_of(chinese), strict=True))
    assert pairs
    for en, zh in pairs:
        assert CJK.search(zh) and zh.splitlines()[0] != en.splitlines()[0], zh
        assert not ENGLISH_WORDS.search(zh), (ENGLISH_WORDS.search(zh), zh)
        sections = re.search(r"^d2l: (.*)$", en, re.M)
        if sections:  # the same section numbers, the titles in Chinese
            numbers = re.findall(r"\d+(?:\.\d+)*", sections[1])
            assert re.findall(r"\d+(?:\.\d+)*", re.search(r"^d2l: (.*)$", zh, re.M)[1]) == numbers
    assert ENGLISH_WORDS.search(docstrings_of(english)[0] + " ".join(docstrings_of(english)))
    comments = [line for line in chinese.splitlines() if line.lstrip().startswith("# ")]
    assert all(CJK.search(line) for line in comments), comments


def test_chinese_stubs_import(released_zh):
    done = subprocess.run([sys.executable, "-c", "import linear_regression, softmax_regression,"
                           " training, concise; print(softmax_regression.softmax.__doc__)"],
                          cwd=released_zh / "exercises", capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert done.returncode == 0, done.stderr
    assert "数值稳定" in done.stdout


def test_chinese_notebook_has_chinese_text_cells_and_the_english_code(released, released_zh):
    def cells(folder):
        return json.loads((folder / NOTEBOOK).read_text())["cells"]

    english, chinese = cells(released), cells(released_zh)
    assert [c["cell_type"] for c in chinese] == [c["cell_type"] for c in english]
    headings = [c["source"] for c in chinese if c["source"].startswith("### ")]
    assert "### linreg_closed_form（d2l 3.1 节练习 2）" in headings
    assert all("（d2l " in h and "exercise" not in h for h in headings), headings
    for en, zh in zip(english, chinese):
        if zh["cell_type"] == "markdown" and not zh["source"].startswith("### "):
            assert CJK.search(zh["source"]) and not ENGLISH_WORDS.search(prose(zh["source"])), \
                zh["source"]
        elif zh["cell_type"] == "code":
            assert code_of(zh["source"]) == code_of(en["source"])
            if en["source"].startswith(("def ", "class ", "#")):
                assert CJK.search(zh["source"]), zh["source"][:200]


def release_texts(folder, monkeypatch, lang="zh"):
    """Every text a release of the kit in `lang` into `folder` asks the catalogue for."""
    import grader.classroom.localize
    import grader.classroom.release
    asked = []

    def recording(text):
        asked.append(text)
        return _(text)

    monkeypatch.setattr(grader.classroom.localize, "_", recording)
    monkeypatch.setattr(grader.classroom.release, "_", recording)
    release(folder, lang=lang)
    monkeypatch.undo()
    return asked


def test_every_text_of_the_chinese_release_has_its_chinese(tmp_path, monkeypatch):
    """Each text the release translates (docstrings, comments, notebook cells, README
    blocks) has a translation in zh.po with the same placeholders; only commands
    (fenced blocks) and the statuses (the grade table's words) are not the
    release's own."""
    asked = release_texts(tmp_path / "kit", monkeypatch)
    set_language("zh")
    try:
        own = [t for t in asked if t not in SHORT.values() and t != STATUS_TABLE
               and (not t.startswith("```") or "what to fix" in t)]
        assert len(own) > 60
        missing = [t for t in own if _(t) == t]
        assert not missing, missing
        for text in own:
            assert re.findall(r"\{\w*\}", _(text)) == re.findall(r"\{\w*\}", text), text
    finally:
        set_language("en")


LEARNER_COMMANDS = ("python3 -m venv .venv", "source .venv/bin/activate", ".venv\\Scripts\\activate",
                    "pip install -e .", "pytest exercises\n", "pytest exercises --exercise softmax",
                    "python -m grader watch", "exercises/chapter3.ipynb", 'grader.check("softmax")',
                    "(docs/checks.md)")
INSTRUCTOR_WORDS = ("--impl", "--grading-seed", "--examples", "Hypothesis", "seed", "instructor",
                    "solutions", "--grade-json", "<!--")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_learner_readme_says_install_activate_grade_watch_and_the_statuses(released, released_zh,
                                                                           lang):
    readme = ((released_zh if lang == "zh" else released) / "README.md").read_text()
    for command in LEARNER_COMMANDS:
        assert command in readme, command
    order = [readme.index(c) for c in ("python3 -m venv", "source .venv/bin/activate",
                                       "pip install -e .", "pytest exercises\n",
                                       "python -m grader watch")]
    assert order == sorted(order), "install, activate, grade, watch: in that order"
    assert "  called   softmax(X)" in readme or "softmax(X)\n           X = tensor" in readme
    set_language(lang)
    try:
        for status, word in SHORT.items():
            assert re.search(rf"^\| {re.escape(_(word))} \| [^|]+ \|$", readme, re.M), status
    finally:
        set_language("en")
    for word in INSTRUCTOR_WORDS:
        assert word not in readme, word
    assert len(readme.splitlines()) < 160
    if lang == "zh":
        assert not ENGLISH_WORDS.search(prose(readme)), ENGLISH_WORDS.search(prose(readme))
        assert "(docs/checks.zh.md)" in readme and (released_zh / "docs" / "checks.zh.md").is_file()


def test_help_starts_with_the_learners_commands(capsys):
    from grader.cli import main
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    assert text.index("pytest exercises") < text.index("python -m grader watch") \
        < text.index("\nFor instructors:\n") < text.index("python -m grader grade")
    assert "SUPPRESS" not in text and "judge" not in text


def test_help_is_in_the_learners_language(capsys, monkeypatch):
    from grader import i18n
    from grader.cli import main
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    try:
        with pytest.raises(SystemExit):
            main(["--help"])
        with pytest.raises(SystemExit):
            main(["watch", "--help"])
    finally:
        i18n.set_language("en")
    text = capsys.readouterr().out
    assert text.index("学习者请在套件的文件夹中") < text.index("python -m grader watch") \
        < text.index("\n给教师：\n") < text.index("python -m grader grade")
    assert "从这道练习开始" in text and "start with this exercise" not in text


def test_localize_gives_the_english_back_unchanged():
    same = str
    for path in (KIT_ROOT / "exercises").glob("*.py"):
        assert translate_source(path.read_text(), same) == path.read_text()
    template = (KIT_ROOT / LEARNER_README).read_text()
    body = TEMPLATE_COMMENT.sub("", template, count=1)
    assert translate_markdown(body, same) == body
