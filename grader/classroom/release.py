"""`python -m grader release OUTDIR`: the learner's kit, with no answers in it.

It holds the stubs (exercises/), the grader (which needs no solutions: its
truth is grader.portable.oracle), a pyproject.toml whose pytest settings point at
exercises/, the learner's README (docs/learner-readme.md) and docs/checks*.md,
a .gitignore, the GitHub Actions workflow that grades every push, and the same exercises as
a notebook (exercises/chapter3.ipynb: the stubs' own source, cell by cell, each
followed by its grader.check cell). No solutions/, no tests/, no benchmarks, no
instructor or developer documentation.

In another language than English (lang="zh"), the stubs' docstrings, the
notebook's text cells and the README are translated with grader.i18n's
catalogue (grader/locale/<lang>.po, its "Release" section; see grader.classroom.localize);
the code is the same, byte for byte.
"""
import ast
import json
import re
import shutil
from pathlib import Path

from grader.grading import wording
from grader.exercises import DEFAULT_POINTS, MODULES, TABLE
from grader.grading.grades import SHORT, Status
from grader.i18n import LANGUAGES, N_, _, language, set_language
from grader.classroom.localize import translate_markdown, translate_source

KIT_ROOT = Path(__file__).resolve().parents[2]
LEARNER_README = "docs/learner-readme.md"
DOCS = ("docs/checks.md", "docs/checks.zh.md")  # shipped as they are
TEMPLATE_COMMENT = re.compile(r"\A<!--.*?-->\n", re.S)
STATUS_TABLE = "<!-- statuses -->"  # where the README's table of statuses goes
STATUS_HEADER = N_("| status | meaning |")
STATUS_MEANINGS = {
    Status.PASSED: N_("every check passed: the exercise earns its points"),
    Status.FAILED: N_("your function returned a wrong result"),
    Status.ERROR: N_("your code raised an exception, or a file does not import (the line is shown)"),
    Status.TIMEOUT: N_("a call took longer than 10 seconds"),
    Status.NOT_ATTEMPTED: N_("the function still raises `NotImplementedError`"),
    Status.MISSING: N_("there is no such file or function"),
}
PYTEST_SETTINGS = re.compile(r"^\[tool\.pytest\.ini_options\]\n(?:(?!\[).*\n)*", re.M)
LEARNER_PYTEST = """[tool.pytest.ini_options]
testpaths = ["exercises"]
addopts = "-p no:cacheprovider"
"""
GITIGNORE = """__pycache__/
.d2lkit-watch.json
*.egg-info/
.venv/
.hypothesis/
.pytest_cache/
build/
grade.json
*.png
"""


WORKFLOW = ".github/workflows/grade.yml"
# The learner's own command: on GitHub Actions it also writes the job summary and
# the annotations (grader.learner.github).
GRADE_COMMAND = "python -m pytest exercises --grade-json grade.json"
CPU_TORCH = "https://download.pytorch.org/whl/cpu"


NOTEBOOK = "exercises/chapter3.ipynb"
NOTEBOOK_INTRO = N_("""# d2l chapter 3, auto-graded: the notebook

The exercises of `exercises/*.py`, as notebook cells. Write each function in its
cell in place of `raise NotImplementedError`, run the cell, then run the
`grader.check(...)` cell below it: it grades the function as the cells you ran
define it, with the same checks as `pytest exercises`. The last cell grades
everything. Run the cells from the top, in order.

The book's own cells (its demos, its training runs) may go here too, as the
book prints them: after `import grader`, `from d2l import torch as d2l` gives
the kit's d2l (`d2l.plt`, the book's plotting helpers, and your own functions:
`d2l.sgd` is your `sgd`), and Fashion-MNIST is read from this computer. Each
exercise is graded on its definition (its last `def` or `class`), so what later
cells do to its name or to the tensors it uses (training `W` and `b`, 3.7's
`net = nn.Sequential(...)`) does not change its grade.

The notebook and the `.py` files are two places to write the same functions:
`pytest exercises` and watch mode grade the `.py` files, `grader.check` grades
this notebook.""")
SETUP_INTRO = N_("""## Setup

In Jupyter, started from the kit's environment (see the kit's README), there is
nothing to do: skip the next cell. On Colab the kit is not installed yet, and it
is not on PyPI: in the next cell, put your own repository's URL in place of the
placeholder, remove the `# ` in front of its three commands, and run it. (Or
upload the kit's zip to Colab, `!unzip` it and `%cd` into its folder, then run
the `%pip` line.)""")
SETUP_CELL = N_("""# Colab only: remove the "# " in front of the next three lines, use your repository's URL.
# !git clone https://github.com/YOUR-ACCOUNT/YOUR-REPOSITORY.git d2l-kit
# %cd d2l-kit
# %pip install -q -e .""")
CHECK_ALL_INTRO = N_("""## Your grade

Every exercise at once, with the grade table and what to do next.""")
# The book's own imports, which its cells need (3.6's Animator, 3.7's d2l.train_ch3):
# after `import grader`, d2l is the kit's (grader.learner.kernel).
# The notebook's imports cell adds the book's own imports of 3.5 and 3.6, which the
# .py stubs leave to the learner (an untouched stub then grades without loading
# torchvision or pyplot), so that the book's cells run as printed.
BOOK_IMPORTS = ("import matplotlib.pyplot as plt", "import torchvision",
                "from torchvision import transforms", "from d2l import torch as d2l",
                "from IPython import display")
SAME_STUBS = N_("(`exercises/{module}.py` holds the same stubs.)")


class ReleaseError(Exception):
    """The release cannot be written; str() says why."""


def stub_parts(source, siblings=MODULES):
    """(imports, {name: source}) of a stub module: its import statements but those
    that only join the learner's files (`from softmax_regression import accuracy`),
    and each top-level function or class, decorators included, exactly as written;
    a module-level assignment (net's `W = None`), with the comment above it, goes
    into the cell of the definition that follows it. Anything else at top level
    is an error: the notebook would lose it."""
    tree, lines = ast.parse(source), source.splitlines()
    imports, defs, pending, previous_end = [], {}, [], 0
    for i, node in enumerate(tree.body):
        text = "\n".join(lines[min([node.lineno, *(d.lineno for d in getattr(
            node, "decorator_list", []))]) - 1:node.end_lineno])
        if i == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            pass  # the module's docstring
        elif isinstance(node, ast.ImportFrom) and node.module in siblings:
            pass
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            imports.append(text)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            defs[node.name] = "\n".join(pending) + "\n\n\n" + text if pending else text
            pending = []
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            pending.append("\n".join(lines[previous_end:node.end_lineno]).strip("\n"))
        else:
            raise ReleaseError(f"line {node.lineno} of a stub module is neither an import nor a"
                               " definition, so the notebook cannot hold it")
        previous_end = node.end_lineno
    if pending:
        raise ReleaseError("a stub module ends with an assignment no definition follows")
    return imports, defs


def _cell(kind, source, number):
    cell = {"cell_type": kind, "id": f"cell-{number}", "metadata": {}, "source": source}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def chapter3_notebook(exercises_dir):
    """The notebook (nbformat 4 JSON, as a dict) of the stubs in `exercises_dir`:
    an introduction, the setup cell, one cell of the modules' imports and
    `import grader`, then, module by module in the exercise table's order, a
    heading with its d2l sections and, for each exercise, a heading, the stub's
    own source and its grader.check cell; last, a cell grading everything.
    Texts and docstrings are in the current language (grader.i18n)."""
    cells = [("markdown", _(NOTEBOOK_INTRO)), ("markdown", _(SETUP_INTRO)),
             ("code", _(SETUP_CELL))]
    imports, parts = [], {}
    for module in MODULES:
        path = Path(exercises_dir) / f"{module}.py"
        module_imports, defs = stub_parts(path.read_text())
        imports += [line for line in module_imports if line not in imports]
        docstring = ast.get_docstring(ast.parse(path.read_text())) or module
        parts[module] = (docstring.splitlines()[0], defs)
    cells.append(("code", "\n".join(["import grader", *imports, *BOOK_IMPORTS])))
    for module, (title, defs) in parts.items():
        heading = _(title.replace(": your code goes here", "").rstrip("."))
        cells.append(("markdown", f"## {heading}\n\n" + _(SAME_STUBS).format(module=module)))
        for exercise in (e for e in TABLE if e.module == module):
            if exercise.name not in defs:
                raise ReleaseError(f"{module}.py has no stub for {exercise.name}")
            cells += [("markdown", f"### {wording.heading(exercise.name)}"),
                      ("code", translate_source(defs[exercise.name])),
                      ("code", f'grader.check("{exercise.name}")')]
    cells += [("markdown", _(CHECK_ALL_INTRO)), ("code", "grader.check()")]
    return {"nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                        "language": "python"},
                         "language_info": {"name": "python"}},
            "cells": [_cell(kind, source, i) for i, (kind, source) in enumerate(cells, 1)]}


def learner_readme(template):
    """The learner's README from its template (docs/learner-readme.md) in the
    current language: its leading comment dropped, the table of statuses put in
    (each status as the grade table shows it), every block translated."""
    rows = [_(STATUS_HEADER), "| --- | --- |"] + [
        f"| {_(SHORT[status])} | {_(meaning)} |" for status, meaning in STATUS_MEANINGS.items()]
    text = translate_markdown(TEMPLATE_COMMENT.sub("", template, count=1))
    if STATUS_TABLE not in text:
        raise ReleaseError(f"{LEARNER_README} has no {STATUS_TABLE} line for the statuses")
    return text.replace(STATUS_TABLE, "\n".join(rows))


def learner_pyproject(kit_pyproject, points=DEFAULT_POINTS):
    """The kit's pyproject.toml with pytest pointed at exercises/ (and no time-out
    settings: the grader gives each check its own). A release in another
    language than English grades in it (ini option d2l_lang), whatever the
    locale of the machine: the learner's, GitHub's runner; one with other
    `points` than the defaults grades with them (ini option d2l_points)."""
    if not PYTEST_SETTINGS.search(kit_pyproject):
        raise ReleaseError("pyproject.toml has no [tool.pytest.ini_options] table")
    settings = LEARNER_PYTEST + (f'd2l_lang = "{language()}"\n' if language() != "en" else "")
    changed = [f"{name}={value}" for name, value in points.items()
               if value != DEFAULT_POINTS[name]]
    if changed:
        settings += f"d2l_points = {json.dumps(changed)}\n"
    return PYTEST_SETTINGS.sub(settings, kit_pyproject)


def github_workflow(pins):
    """The learner's repository's GitHub Actions workflow: on every push (or by
    hand, workflow_dispatch), install the kit (`pins`: the `name==version` lines
    of CI's constraints), grade with the learner's own command, which on
    Actions also writes the job summary and the annotations (grader.learner.github),
    and keep the --grade-json file as the run's artifact, whatever the grade.
    It needs no GitHub Classroom, which closed on 2026-08-28."""
    lines = [
        "# Grades the exercises on every push; written by `python -m grader release`.",
        "# The run's summary page shows the grade and what to fix; each message also",
        "# shows on the line of the code it is about. grade.json is the run's artifact.",
        "name: Grade",
        "'on': [push, workflow_dispatch]",
        "permissions:",
        "  contents: read",
        "jobs:",
        "  grade:",
        "    runs-on: ubuntu-latest",
        "    timeout-minutes: 30",
        "    steps:",
        "      - uses: actions/checkout@v4",
        "      - uses: actions/setup-python@v5",
        "        with:",
        "          python-version: '3.11'",
        "      - name: Install the kit, PyTorch (CPU build) and Fashion-MNIST",
        "        run: |",
        "          sudo apt-get update -qq",
        "          sudo apt-get install -y -qq dataset-fashion-mnist || echo 'no Debian package:"
        " the kit downloads Fashion-MNIST itself'",
        f"          pip install --extra-index-url {CPU_TORCH} -e . {' '.join(pins)}",
        "      - name: Grade the exercises",
        f"        run: {GRADE_COMMAND}",
        "      - name: Keep the grade",
        "        if: always()",
        "        uses: actions/upload-artifact@v4",
        "        with:",
        "          name: grade",
        "          path: grade.json",
    ]
    return "\n".join(lines) + "\n"


def constraint_pins(kit=KIT_ROOT):
    """The `name==version` lines of CI's constraints file."""
    return [line.strip() for line in (kit / ".ci" / "constraints.txt").read_text().splitlines()
            if "==" in line and not line.lstrip().startswith("#")]


def release(outdir, *, force=False, kit=KIT_ROOT, points=DEFAULT_POINTS, lang="en"):
    """Write the learner's kit into `outdir` (which must not exist unless `force`),
    its texts in `lang` (one of grader.i18n.LANGUAGES; the language shown
    afterwards is the one before); `points` are those it grades with."""
    outdir, kit = Path(outdir).resolve(), Path(kit).resolve()
    if lang not in LANGUAGES:
        raise ReleaseError(f"--lang {lang}: no such language (one of {', '.join(LANGUAGES)})")
    if not (kit / "exercises").is_dir() or not (kit / LEARNER_README).is_file():
        raise ReleaseError(f"{kit} is not a checkout of the kit (no exercises/ or"
                           f" {LEARNER_README}): run the release command from the kit's own folder")
    if outdir == kit or kit in outdir.parents or outdir in kit.parents:
        raise ReleaseError(f"{outdir}: refusing to write the release into the kit itself"
                           " (or a folder holding it); choose a folder outside the kit")
    if outdir.exists():
        if not force:
            raise ReleaseError(f"{outdir} exists: pass --force to overwrite it")
        shutil.rmtree(outdir)
    shown = language()
    set_language(lang)
    try:
        _write(outdir, kit, points)
    finally:
        set_language(shown)
    return outdir


def _write(outdir, kit, points):
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(kit / "exercises", outdir / "exercises", ignore=ignore)
    for stub in (outdir / "exercises").glob("*.py"):
        stub.write_text(translate_source(stub.read_text()))
    shutil.copytree(kit / "grader", outdir / "grader", ignore=ignore)
    (outdir / "docs").mkdir()
    for page in DOCS:
        if (kit / page).is_file():
            shutil.copy(kit / page, outdir / page)
    (outdir / "pyproject.toml").write_text(learner_pyproject((kit / "pyproject.toml").read_text(),
                                                             points))
    (outdir / "README.md").write_text(learner_readme((kit / LEARNER_README).read_text()))
    (outdir / ".gitignore").write_text(GITIGNORE)
    (outdir / NOTEBOOK).write_text(json.dumps(chapter3_notebook(kit / "exercises"), indent=1)
                                   + "\n")
    (outdir / WORKFLOW).parent.mkdir(parents=True)
    (outdir / WORKFLOW).write_text(github_workflow(constraint_pins(kit)))
