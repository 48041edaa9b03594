"""The layout of grader/ keeps its shape: the layers of pyproject.toml's
import-linter contracts (each imports only those below it; portable/ never the
test machinery, since it runs in the learner's process and the sandboxed worker),
and modules short enough to read at once."""
import subprocess
import sys
from pathlib import Path

KIT_ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 400


def test_the_layers_import_only_the_layers_below_them():
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--no-cache"], cwd=KIT_ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "BROKEN" not in done.stdout and "0 broken" in done.stdout, done.stdout


def test_no_module_of_the_grader_is_over_400_lines():
    long = {str(path.relative_to(KIT_ROOT)): lines
            for path in (KIT_ROOT / "grader").rglob("*.py")
            if (lines := len(path.read_text().splitlines())) > MAX_LINES}
    assert not long, long


def test_no_two_modules_of_a_layer_share_a_name():
    """One name per concept: a second training.py (or grade.py) in a layer is a
    second idea under the same word. Across layers a name may mirror a topic (the
    recipe of linear regression, grading/checks' checks of it)."""
    seen = {}
    for path in (KIT_ROOT / "grader").rglob("*.py"):
        if path.name != "__init__.py":
            layer = path.relative_to(KIT_ROOT / "grader").parts[0]
            seen.setdefault((layer, path.name), []).append(str(path.relative_to(KIT_ROOT)))
    assert not {name: paths for name, paths in seen.items() if len(paths) > 1}
