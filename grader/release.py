"""`python -m grader release OUTDIR`: the learner's kit, with no answers in it.

It holds the stubs (exercises/), the grader (which needs no solutions: its
truth is grader.oracle), a pyproject.toml whose pytest settings point at
exercises/, a README made of the kit README's learner sections, a
.gitignore, and GitHub Classroom's autograding workflow. No solutions/, no tests/, no benchmarks, no instructor or
developer documentation.
"""
import re
import shutil
from pathlib import Path

from grader.exercises import DEFAULT_POINTS

KIT_ROOT = Path(__file__).resolve().parent.parent
LEARNER_SECTIONS = re.compile(r"<!-- learner -->\n(.*?)<!-- /learner -->\n", re.S)
PYTEST_SETTINGS = re.compile(r"^\[tool\.pytest\.ini_options\]\n(?:(?!\[).*\n)*", re.M)
LEARNER_PYTEST = """[tool.pytest.ini_options]
testpaths = ["exercises"]
addopts = "-p no:cacheprovider"
"""
QUICK_START = """## Quick start

Install and grade, from this folder, with Python 3.10 or newer (the first run
installs PyTorch, which takes a few minutes):

```bash
python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/python -m pytest exercises
```

Grade again after each change:

```bash
.venv/bin/python -m pytest exercises
```

The softmax checks train on the real Fashion-MNIST data set: see
[Fashion-MNIST](#fashion-mnist) for where the kit finds it.

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


WORKFLOW = ".github/workflows/classroom.yml"
# GitHub Classroom's autograding actions; the command grader's timeout is in minutes.
COMMAND_GRADER = "classroom-resources/autograding-command-grader@v1"
REPORTER = "classroom-resources/autograding-grading-reporter@v1"
STEP_MINUTES = 10
CPU_TORCH = "https://download.pytorch.org/whl/cpu"


class ReleaseError(Exception):
    """The release cannot be written; str() says why."""


def learner_readme(kit_readme):
    """The title and intro of the kit's README, the learner's quick start, then
    every section the kit's README marks with <!-- learner --> ... <!-- /learner -->."""
    sections = LEARNER_SECTIONS.findall(kit_readme)
    if len(sections) < 2:
        raise ReleaseError("README.md has no <!-- learner --> sections to hand out")
    intro, *rest = sections
    return intro.rstrip() + "\n\n" + QUICK_START + "\n".join(s.rstrip() + "\n" for s in rest)


def learner_pyproject(kit_pyproject):
    """The kit's pyproject.toml with pytest pointed at exercises/ (and no time-out
    settings: the grader gives each check its own)."""
    if not PYTEST_SETTINGS.search(kit_pyproject):
        raise ReleaseError("pyproject.toml has no [tool.pytest.ini_options] table")
    return PYTEST_SETTINGS.sub(LEARNER_PYTEST, kit_pyproject)


def classroom_workflow(points, pins):
    """GitHub Classroom's workflow: install the kit (`pins`: the `name==version`
    lines of CI's constraints), then one command-grader step per exercise, worth
    its `points`, whose command passes iff the exercise does; then the reporter."""
    steps = [(name, name.replace("_", "-")) for name in points]
    lines = [
        "# GitHub Classroom's autograding, written by `python -m grader release`:",
        "# one step per exercise, worth its points; learners can run each step's",
        "# command themselves.",
        "name: Autograding Tests",
        "'on': [push, repository_dispatch]",
        "permissions:",
        "  checks: write",
        "  actions: read",
        "  contents: read",
        "jobs:",
        "  run-autograding-tests:",
        "    runs-on: ubuntu-latest",
        "    if: github.actor != 'github-classroom[bot]'",
        "    steps:",
        "      - name: Checkout code",
        "        uses: actions/checkout@v4",
        "      - uses: actions/setup-python@v5",
        "        with:",
        "          python-version: '3.11'",
        "      - name: Install the kit, PyTorch (CPU build) and Fashion-MNIST",
        "        run: |",
        "          sudo apt-get update -qq",
        "          sudo apt-get install -y -qq dataset-fashion-mnist || echo 'no Debian package:"
        " the kit downloads Fashion-MNIST itself'",
        f"          pip install --extra-index-url {CPU_TORCH} -e . {' '.join(pins)}",
    ]
    for name, step in steps:
        lines += [f"      - name: {name}",
                  f"        id: {step}",
                  f"        uses: {COMMAND_GRADER}",
                  "        with:",
                  f"          test-name: {name}",
                  f"          command: python -m pytest exercises --exercise {name}",
                  f"          timeout: {STEP_MINUTES}",
                  f"          max-score: {points[name]}"]
    lines += ["      - name: Autograding Reporter",
              f"        uses: {REPORTER}",
              "        env:"]
    lines += [f'          {step.upper()}_RESULTS: "${{{{steps.{step}.outputs.result}}}}"'
              for _, step in steps]
    lines += ["        with:",
              f"          runners: {','.join(step for _, step in steps)}"]
    return "\n".join(lines) + "\n"


def constraint_pins(kit=KIT_ROOT):
    """The `name==version` lines of CI's constraints file."""
    return [line.strip() for line in (kit / ".ci" / "constraints.txt").read_text().splitlines()
            if "==" in line and not line.lstrip().startswith("#")]


def release(outdir, *, force=False, kit=KIT_ROOT, points=DEFAULT_POINTS):
    """Write the learner's kit into `outdir` (which must not exist unless `force`);
    `points` are the workflow's."""
    outdir, kit = Path(outdir).resolve(), Path(kit).resolve()
    if not (kit / "exercises").is_dir() or not (kit / "README.md").is_file():
        raise ReleaseError(f"{kit} is not a checkout of the kit (no exercises/ or README.md):"
                           " run the release command from the kit's own folder")
    if outdir == kit or kit in outdir.parents or outdir in kit.parents:
        raise ReleaseError(f"{outdir}: refusing to write the release into the kit itself"
                           " (or a folder holding it); choose a folder outside the kit")
    if outdir.exists():
        if not force:
            raise ReleaseError(f"{outdir} exists: pass --force to overwrite it")
        shutil.rmtree(outdir)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(kit / "exercises", outdir / "exercises", ignore=ignore)
    shutil.copytree(kit / "grader", outdir / "grader", ignore=ignore)
    (outdir / "pyproject.toml").write_text(learner_pyproject((kit / "pyproject.toml").read_text()))
    (outdir / "README.md").write_text(learner_readme((kit / "README.md").read_text()))
    (outdir / ".gitignore").write_text(GITIGNORE)
    (outdir / WORKFLOW).parent.mkdir(parents=True)
    (outdir / WORKFLOW).write_text(classroom_workflow(points, constraint_pins(kit)))
    return outdir
