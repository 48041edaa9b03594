"""The Gradescope autograder end to end: the zip built from this checkout,
unpacked into a fake /autograder tree, its real run_autograder run on six kinds
of upload (and two broken ones), every results.json checked against
Gradescope's fields and the expected statuses.

The tree stands in for the image setup.sh builds: a venv of the system's
Python (readable by an unprivileged user, as /autograder/venv is), whose
site-packages are hard links to this venv's plus the kit unpacked from the zip;
Fashion-MNIST decompressed from the zip and read once, as setup.sh does.
"""
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import textwrap
import tomllib
import zipfile
from pathlib import Path

import pytest

from grader.exercises import BY_NAME, MODULES, NAMES
from grader.classroom.gradescope import bundle, data_files
from grader.grading.grades import parse_points
from tests.conftest import KIT_ROOT
from tests.test_hostile_class import FORGES_NOTES
from tests.test_notebook_submissions import module_cells, notebook, reference_notebook

LINEAR, SOFTMAX, *OTHERS = MODULES
# The user the learner's code runs as here (setup.sh creates a user of its own).
USER = "nobody"
OPTIONS = {"timeout": 300.0, "call_timeout": 5.0, "import_timeout": 10.0, "memory_mb": 2048,
           "allow_builtins": False, "grading_seed": 3, "examples": None}
STUB, REFERENCE = KIT_ROOT / "exercises", KIT_ROOT / "solutions"


def system_python():
    """A Python of this version that any user may run (the kit's own may sit in
    a private home folder)."""
    for candidate in ("/usr/bin/python3", "/usr/local/bin/python3", sys.executable):
        done = subprocess.run([candidate, "-c", "import sys; print(sys.version_info[:2])"],
                              capture_output=True, text=True) if Path(candidate).exists() else None
        if done and done.stdout.strip() == str(sys.version_info[:2]):
            return candidate
    pytest.fail(f"no Python {sys.version_info[:2]} outside a private folder to build the image")


@pytest.fixture(scope="module")
def image():
    """(folder of the shared image: source/, venv/, data/; the zip's path)."""
    base = Path(tempfile.mkdtemp(prefix="d2lkit-gradescope-"))
    os.chmod(base, 0o755)
    zip_path = bundle(base / "autograder.zip", points=parse_points([], "test"), options=OPTIONS,
                      visibility="after_published", data=data_files())
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(base / "source")
    for script in ("setup.sh", "run_autograder"):
        os.chmod(base / "source" / script, 0o755)
    venv = base / "venv"
    subprocess.run([system_python(), "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next(venv.glob("lib/python3*/site-packages"))
    shutil.rmtree(site)
    shutil.copytree(sysconfig.get_paths()["purelib"], site, copy_function=os.link, ignore=shutil.ignore_patterns(
        "__editable__*", "d2l_ch3_kit*", "__pycache__"))
    (site / "d2lkit.pth").write_text(f"{base / 'source' / 'kit'}\n")
    data = base / "data"
    raw = data / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for gz in (base / "source" / "data").glob("*.gz"):
        subprocess.run(f"gunzip -c {gz} > {raw / gz.stem}", shell=True, check=True)
    subprocess.run([str(venv / "bin" / "python"), "-c", "from grader.classroom.gradescope import"
                    " prepare_data; prepare_data()"],
                   env={**os.environ, "D2LKIT_DATA": str(data)}, check=True, cwd="/")
    subprocess.run(["chmod", "-R", "u=rwX,go=rX", str(base)], check=True)
    yield base, zip_path
    shutil.rmtree(base)


def write(folder, module, text):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{module}.py").write_text(text)


def reference_with(exercise, source):
    """The reference module holding `exercise`, with `exercise` redefined by `source`."""
    module = BY_NAME[exercise].module
    return (REFERENCE / f"{module}.py").read_text() + "\n\n" + textwrap.dedent(source)


def write_others(folder, source):
    """The modules after softmax_regression.py (training.py, concise.py) from `source`."""
    for m in OTHERS:
        write(folder, m, (source / f"{m}.py").read_text())


def upload_reference(up):
    for m in MODULES:
        write(up, m, (REFERENCE / f"{m}.py").read_text())


def upload_stubs(up):
    for m in MODULES:
        write(up / "exercises", m, (STUB / f"{m}.py").read_text())


def upload_one_wrong(up):
    write(up / "exercises", LINEAR, reference_with("squared_loss", """
        def squared_loss(y_hat, y):
            return (y_hat - y) ** 2 / 2
        """))
    write(up / "exercises", SOFTMAX, (REFERENCE / f"{SOFTMAX}.py").read_text())
    write_others(up / "exercises", REFERENCE)


def upload_zipped_repository(up):
    """GitHub's "Download ZIP" of a learner's copy, unpacked by Gradescope (with a
    macOS resource folder): the kit's own grader/grading/suite has modules of the same names."""
    repo = up / "d2l-ch3-main"
    write(repo / "exercises", LINEAR, (REFERENCE / f"{LINEAR}.py").read_text())
    write(repo / "exercises", SOFTMAX, (STUB / f"{SOFTMAX}.py").read_text())
    write_others(repo / "exercises", STUB)
    for m in MODULES:
        write(repo / "grader" / "suite", m, "raise SystemExit('not the learner file')\n")
        write(up / "__MACOSX" / "d2l-ch3-main" / "exercises", m, "\x00\x05\x16\x07")


def upload_syntax_error(up):
    write(up, LINEAR, (STUB / f"{LINEAR}.py").read_text() + "\ndef linreg(X, w, b:\n")
    write(up, SOFTMAX, (STUB / f"{SOFTMAX}.py").read_text())
    write_others(up, STUB)


def upload_hang(up):
    write(up, LINEAR, (STUB / f"{LINEAR}.py").read_text())
    write(up, SOFTMAX, (STUB / f"{SOFTMAX}.py").read_text()
          + "\n\ndef softmax(X):\n    while True:\n        pass\n")
    write_others(up, STUB)


def upload_two_copies(up):
    upload_stubs(up)
    write(up, LINEAR, (STUB / f"{LINEAR}.py").read_text())


def upload_tampering(up):
    """Right answers from code that also tries to write the grader's files."""
    root = up.parent
    write(up, LINEAR, (STUB / f"{LINEAR}.py").read_text())
    write(up, SOFTMAX, (REFERENCE / f"{SOFTMAX}.py").read_text() + textwrap.dedent(f"""
        import pathlib
        _softmax = softmax
        def softmax(X):
            for target in ("results/results.json", "results/forged.json",
                           "source/d2lkit-autograder.json", "submission/forged.json"):
                try:
                    pathlib.Path({str(root)!r}, target).write_text('{{"score": 100}}')
                except OSError:
                    pass
            return _softmax(X)
        """))
    write_others(up, REFERENCE)


def upload_notebook(up):
    """The learner's notebook alone, with Jupyter's checkpoint copy (hidden, so
    ignored: its softmax would make two implementations)."""
    up.mkdir(parents=True, exist_ok=True)
    (up / "chapter3.ipynb").write_text(reference_notebook())
    checkpoints = up / ".ipynb_checkpoints"
    checkpoints.mkdir()
    (checkpoints / "chapter3-checkpoint.ipynb").write_text(
        notebook(module_cells(REFERENCE) + ["def softmax(X):\n    return X\n"]))


def upload_nothing(up):
    (up / "notes.txt").write_text("forgot the files")


def upload_forged_notes(up):
    """Stubs whose import makes the notes on its files something else than text."""
    upload_stubs(up)
    with open(up / "exercises" / f"{LINEAR}.py", "a") as f:
        f.write(FORGES_NOTES)


def upload_linked_file(up):
    """linear_regression.py a link to the reference's (which the image does not hold)."""
    upload_stubs(up)
    (up / "exercises" / f"{LINEAR}.py").unlink()
    (up / "exercises" / f"{LINEAR}.py").symlink_to(REFERENCE / f"{LINEAR}.py")


LINEAR_NAMES = [n for n in NAMES if BY_NAME[n].module == LINEAR]
REST_NAMES = [n for n in NAMES if BY_NAME[n].module != LINEAR]
CASES = {
    "reference": (upload_reference, {n: "passed" for n in NAMES}),
    "stubs": (upload_stubs, {n: "not attempted" for n in NAMES}),
    "one_wrong": (upload_one_wrong, {**{n: "passed" for n in NAMES}, "squared_loss": "failed"}),
    "zipped_repository": (upload_zipped_repository, {**{n: "passed" for n in LINEAR_NAMES},
                                                     **{n: "not attempted" for n in REST_NAMES}}),
    "syntax_error": (upload_syntax_error, {**{n: "error" for n in LINEAR_NAMES},
                                           **{n: "not attempted" for n in REST_NAMES}}),
    "hang": (upload_hang, {**{n: "not attempted" for n in NAMES}, "softmax": "timed out"}),
    "two_copies": (upload_two_copies, {**{n: "error" for n in LINEAR_NAMES},
                                       **{n: "not attempted" for n in REST_NAMES}}),
    "nothing": (upload_nothing, {n: "missing" for n in NAMES}),
    "notebook": (upload_notebook, {n: "passed" for n in NAMES}),
    "forged_notes": (upload_forged_notes, {n: "not attempted" for n in NAMES}),
    "linked_file": (upload_linked_file, {**{n: "error" for n in LINEAR_NAMES},
                                         **{n: "not attempted" for n in REST_NAMES}}),
    # in a container where bubblewrap cannot start (here: it is not on PATH)
    "tampering_without_sandbox": (upload_tampering, {**{n: "not attempted" for n in LINEAR_NAMES},
                                                     **{n: "passed" for n in REST_NAMES}}),
}


def autograde(image, case, tmp_root, upload=None, **environ):
    """Run the real run_autograder on the case's upload (or `upload`'s) in a
    fresh tree, with `environ` over the usual environment; its results."""
    base, _ = image
    root = tmp_root / case
    root.mkdir()
    (root / "source").symlink_to(base / "source")
    (root / "submission").mkdir()
    (upload or CASES[case][0])(root / "submission")
    subprocess.run(["chmod", "-R", "u=rwX,go=rX", str(root)], check=True)
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "D2LKIT_USER": USER,
           "D2LKIT_PYTHON": str(base / "venv" / "bin" / "python"),
           "D2LKIT_DATA": str(base / "data")}
    if case.endswith("without_sandbox"):
        env["PATH"] = "/nonexistent"
    env.update(environ)
    done = subprocess.run([shutil.which("bash"), str(root / "source" / "run_autograder")], env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    return json.loads((root / "results" / "results.json").read_text())


def assert_gradescope_fields(results):
    assert isinstance(results["score"], (int, float)) and results["execution_time"] > 0
    assert results["output_format"] in ("md", "text") and results["output"]
    assert [t["name"] for t in results["tests"]] == list(NAMES)
    for t in results["tests"]:
        assert set(t) >= {"name", "score", "max_score", "status", "output", "visibility"}
        assert t["status"] in ("passed", "failed") and t["visibility"] == "after_published"
        assert t["score"] == (t["max_score"] if t["status"] == "passed" else 0)
    assert results["score"] == sum(t["score"] for t in results["tests"])


@pytest.fixture(scope="module")
def tmp_root():
    root = Path(tempfile.mkdtemp(prefix="d2lkit-autograder-"))
    os.chmod(root, 0o755)
    yield root
    shutil.rmtree(root)


@pytest.mark.parametrize("case", CASES)
def test_run_autograder_grades_the_upload(image, tmp_root, case):
    results = autograde(image, case, tmp_root)
    assert_gradescope_fields(results)
    labels = {t["name"]: t["output"].split("**")[1] for t in results["tests"]}
    assert labels == CASES[case][1]
    if os.geteuid() == 0:
        assert f"as the unprivileged user {USER}" in results["output"]
    if case.endswith("without_sandbox"):
        assert "without the bubblewrap sandbox (bwrap is not installed" in results["output"]
        root = tmp_root / case
        assert not list(root.rglob("forged.json"))
        assert "score" not in (root / "source" / "d2lkit-autograder.json").read_text()
    outputs = {t["name"]: t["output"] for t in results["tests"]}
    if case == "two_copies":
        assert "2 files named linear_regression.py" in outputs["linreg"]
        assert "exercises/linear_regression.py, linear_regression.py" in outputs["linreg"]
        assert outputs["linreg"].startswith("**error**: its file was not read as handed in")
    if case == "nothing":
        assert "upload linear_regression.py, softmax_regression.py, training.py and concise.py" \
            in outputs["softmax"]
        assert outputs["softmax"].startswith("**missing**: there is no such file or function")
    if case == "syntax_error":
        assert "SyntaxError" in outputs["linreg"]
    if case == "notebook":
        assert "About your files" in results["output"]
        assert "chapter3.ipynb: the grader did not run the statements of cells" \
            in results["output"]
    if case == "hang":
        assert "softmax did not finish within 5 s" in outputs["softmax"]
    if case == "linked_file":
        assert f"{LINEAR}.py is a symbolic link: the grader reads only the files themselves" \
            in outputs["linreg"]


def test_data_the_grading_user_cannot_read_is_said_before_anything_is_graded(image, tmp_root):
    """A folder above the data closed to others: bubblewrap could not bind it,
    and every submission would fail. setup.sh runs the same check."""
    if os.geteuid() != 0:
        pytest.skip("the code runs as another user only when the autograder is root")
    base, _ = image
    check = [str(base / "venv" / "bin" / "python"), "-c", "import sys; from pathlib import Path;"
             " from grader.classroom.gradescope import unreadable_data;"
             " print(unreadable_data(sys.argv[1], Path(sys.argv[2])))", USER]
    assert subprocess.run(check + [str(base / "data")], capture_output=True, text=True,
                          check=True, cwd="/").stdout == "None\n"
    private = tmp_root / "private"
    shutil.copytree(base / "data", private / "inner" / "data")
    os.chmod(private, 0o700)
    results = autograde(image, "unreadable_data", tmp_root, upload_stubs,
                        D2LKIT_DATA=str(private / "inner" / "data"))
    assert results["score"] == 0 and results["tests"] == []
    assert results["output"].startswith(
        f"The autograder is not set up right: the user {USER}, whom the submissions' code runs"
        f" as, cannot read the data in {private / 'inner' / 'data'} (PermissionError")


@pytest.mark.parametrize("lang, said", [("en", "autograder failed"), ("zh", "自动评分器")])
def test_a_run_that_cannot_start_still_writes_results(image, tmp_root, lang, said):
    """In the class's language, read from the bundle's configuration."""
    base, _ = image
    root = tmp_root / f"broken_python_{lang}"
    (root / "submission").mkdir(parents=True)
    (root / "source").mkdir()
    config = json.loads((base / "source" / "d2lkit-autograder.json").read_text())
    config["options"]["lang"] = lang
    (root / "source" / "d2lkit-autograder.json").write_text(json.dumps(config, indent=2))
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "D2LKIT_PYTHON": "/bin/false"}
    subprocess.run(["bash", str(base / "source" / "run_autograder")], env=env, check=True)
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 0 and said in results["output"] and "1" in results["output"]


def test_setup_script_parses_and_installs_what_the_kit_declares(image):
    base, zip_path = image
    source = base / "source"
    subprocess.run(["bash", "-n", str(source / "setup.sh")], check=True)
    script = (source / "setup.sh").read_text()
    assert "pip\" install -c \"$source/constraints.txt\" \"$source/kit\"" in script
    assert (source / "constraints.txt").read_text() == \
        (KIT_ROOT / ".ci" / "constraints.txt").read_text()
    declared = {d.split(">")[0].split("=")[0].split("<")[0].strip()
                for d in tomllib.loads((KIT_ROOT / "pyproject.toml").read_text())
                ["project"]["dependencies"]}
    pinned = {line.split("==")[0] for line in (source / "constraints.txt").read_text().splitlines()
              if "==" in line and not line.startswith("#")}
    assert pinned <= declared and {"torch", "torchvision"} <= pinned
    shipped = tomllib.loads((source / "kit" / "pyproject.toml").read_text())["project"]
    assert shipped["dependencies"] == \
        tomllib.loads((KIT_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    names = zipfile.ZipFile(zip_path).namelist()
    assert not any(n.startswith(("kit/solutions", "kit/tests")) for n in names)
    assert sorted(n for n in names if n.startswith("data/")) == \
        sorted(f"data/{n}" for n in data_files())


def test_without_its_grading_user_the_autograder_grades_nothing_as_root(image, tmp_root):
    base, _ = image
    root = tmp_root / "no_user"
    (root / "submission").mkdir(parents=True)
    upload_reference(root / "submission")
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "D2LKIT_USER": "d2lkit-no-such-user",
           "D2LKIT_PYTHON": str(base / "venv" / "bin" / "python")}
    (root / "source").symlink_to(base / "source")
    subprocess.run([shutil.which("bash"), str(root / "source" / "run_autograder")], env=env,
                   capture_output=True, timeout=900)
    results = json.loads((root / "results" / "results.json").read_text())
    if os.geteuid() == 0:
        assert results["score"] == 0 and results["tests"] == []
        assert "the user d2lkit-no-such-user does not exist" in results["output"]
    else:  # not root: the code runs as the autograder's own user, and is graded
        assert results["score"] == 100
