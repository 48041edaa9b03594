"""The learner's view, end to end through pytest: statuses, the grade table,
--grade-json, -k, --impl, --points, and broken, missing or hanging code."""
import json
import shutil

import pytest

from grader.grading.session import suite_tests_of
from grader.exercises import DEFAULT_POINTS, MODULES, NAMES as EXERCISES
from tests.conftest import KIT_ROOT, THIS_KIT

pytest_plugins = ["pytester"]


@pytest.fixture
def kit(pytester, monkeypatch):
    """A learner's folder: the kit's test entry and a copy of the stubs; pytest
    runs there with this checkout's grader."""
    monkeypatch.setenv("PYTHONPATH", THIS_KIT)
    shutil.copy(KIT_ROOT / "exercises" / "test_chapter3.py", pytester.path)
    shutil.copytree(KIT_ROOT / "exercises", pytester.path / "mine",
                    ignore=shutil.ignore_patterns("test_*", "__pycache__"))
    return pytester


def run_grading(kit, *args):
    result = kit.runpytest_subprocess("test_chapter3.py", "--grade-json", "grade.json", *args)
    return result, json.loads((kit.path / "grade.json").read_text())


def write(kit, module, source):
    (kit.path / "mine" / f"{module}.py").write_text(source)


def test_untouched_stubs_are_not_attempted_without_tracebacks(kit):
    result, grade = run_grading(kit, "--impl", "mine", "--data-dir", "data")
    assert {e["status"] for e in grade["exercises"].values()} == {"not_attempted"}
    # The raw files are fetched before load_data_fashion_mnist's first call (the
    # book's code needs them to be there), but nothing is decoded or trained on.
    assert not (kit.path / "data" / "fashion-mnist.pt").exists(), \
        "Fashion-MNIST was loaded for checks that end at once"
    assert (grade["score"], grade["max_score"]) == (0, 100)
    assert result.ret == 1
    assert "Traceback" not in result.stdout.str()
    result.stdout.fnmatch_lines([f"*softmax*not attempted*0/{DEFAULT_POINTS['softmax']}*",
                                 "*total*0/100*",
                                 f"*next: {EXERCISES[0]}* still raises NotImplementedError*",
                                 f"*pytest exercises --exercise {EXERCISES[0]}*"])


def test_learner_outcomes_are_reported_without_building_tracebacks(pytestconfig):
    """The plugin's first-try report hook is in effect: pytest registers only hook
    functions whose names start with pytest_, whatever their specname says."""
    from grader.learner import plugin
    impls = pytestconfig.pluginmanager.hook.pytest_runtest_makereport.get_hookimpls()
    assert plugin.pytest_runtest_makereport_for_learner_outcomes in [i.function for i in impls]


def test_reference_solutions_score_full_marks(kit):
    result, grade = run_grading(kit, "--impl", str(KIT_ROOT / "solutions"),
                                "--fashion-plot-dir", "plots")
    assert {name: e["status"] for name, e in grade["exercises"].items()} == \
        {name: "passed" for name in EXERCISES}
    assert (grade["score"], grade["max_score"], result.ret) == (100, 100, 0)
    assert "Fashion-MNIST, trained with your softmax" in grade["exercises"]["softmax"]["feedback"]
    assert "trained with your softmax_concise" in grade["exercises"]["softmax_concise"]["feedback"]
    for name in ("softmax", "cross_entropy", "sgd", "softmax_concise"):
        png = kit.path / "plots" / f"fashion-mnist-{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_unusable_fashion_mnist_is_an_error_with_instructions(kit):
    raw = kit.path / "data" / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                 "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (raw / name).write_bytes(b"not an IDX file")
    shutil.copy(KIT_ROOT / "solutions" / "softmax_regression.py", kit.path / "mine")
    _, grade = run_grading(kit, "--impl", "mine", "-k", "softmax", "--data-dir", "data")
    softmax = grade["exercises"]["softmax"]
    assert softmax["status"] == "error"
    assert "is corrupt" in softmax["feedback"]
    assert "apt install dataset-fashion-mnist" in softmax["feedback"]


# The first exercise of each module: the selection is one rule for all, and
# each run is a pytest start of its own.
@pytest.mark.parametrize("exercise", [names[0] for names in MODULES.values()])
def test_exercise_option_selects_exactly_that_exercise(kit, exercise):
    result = kit.runpytest_subprocess("test_chapter3.py", "--collect-only", "-q",
                                      "--exercise", exercise)
    selected = {line.split("::")[1] for line in result.outlines if "::test_" in line}
    assert selected == set(suite_tests_of(exercise))


def test_exercise_option_grades_only_that_exercise_and_sets_the_exit_status(kit):
    shutil.copy(KIT_ROOT / "solutions" / "linear_regression.py", kit.path / "mine")
    result, grade = run_grading(kit, "--impl", "mine", "--exercise", "linreg")
    assert (list(grade["exercises"]), grade["score"], result.ret) == (["linreg"], DEFAULT_POINTS["linreg"], 0)
    result, grade = run_grading(kit, "--impl", "mine", "--exercise", "linreg",
                                "--exercise", "softmax", "-k", "not fashion")
    assert list(grade["exercises"]) == ["linreg", "softmax"] and result.ret == 1
    result = kit.runpytest_subprocess("test_chapter3.py", "--exercise", "softmx")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--exercise softmx: no such exercise*"])


def test_wrong_function_shows_call_expected_got_and_hint(kit):
    write(kit, "softmax_regression", "import torch\n\ndef softmax(X):\n"
                                     "    X_exp = torch.exp(X)\n"
                                     "    return X_exp / X_exp.sum(1, keepdim=True)\n")
    result, grade = run_grading(kit, "--impl", "mine", "-k", "softmax and not fashion")
    softmax = grade["exercises"]["softmax"]
    assert (softmax["status"], softmax["score"]) == ("failed", 0)
    assert softmax["feedback"].startswith("softmax: every value must be finite")
    for part in ("  called   softmax(X)", "  expected ", "  got      ",
                 "  hint     exp() of a logit", "subtract each row's max first"):
        assert part in softmax["feedback"]
    out = result.stdout.str()
    assert "Traceback" not in out and str(KIT_ROOT / "grader") not in out
    # No pytest or grader internals: test ids, the short summary, plugin headers.
    for internal in ("test_softmax", "::", "short test summary", "timeout:", "platform ",
                     "rootdir", "plugins:"):
        assert internal not in out, internal
    result.stdout.fnmatch_lines(["*d2l chapter 3: what to fix*", "softmax: every value must be*",
                                 "*d2l chapter 3: your grade*"])


def test_broken_module_costs_only_its_own_exercises(kit):
    shutil.copy(KIT_ROOT / "solutions" / "linear_regression.py", kit.path / "mine")
    write(kit, "softmax_regression", "def softmax(X:\n    pass\n")
    result, grade = run_grading(kit, "--impl", "mine", "-k", "linreg or softmax and not fashion")
    assert grade["exercises"]["linreg"]["status"] == "passed"
    softmax = grade["exercises"]["softmax"]
    assert softmax["status"] == "error"
    assert "softmax_regression.py could not be imported: SyntaxError" in softmax["feedback"]
    assert "also" not in softmax["feedback"]
    # One message for each exercise of the module (softmax, net), not one per check.
    blocks = [line for line in result.stdout.lines
              if line.startswith("softmax_regression.py could not be imported")]
    assert len(blocks) == sum(e["status"] == "error" for e in grade["exercises"].values()) == 2, \
        result.stdout.str()


def test_missing_module_and_function_are_reported(kit):
    (kit.path / "mine" / "softmax_regression.py").unlink()
    write(kit, "linear_regression", "def linreg(X, w, b):\n    return X @ w + b\n")
    _, grade = run_grading(kit, "--impl", "mine", "-k", "accuracy or sgd and not fashion")
    assert grade["exercises"]["accuracy"]["status"] == "missing"
    assert "softmax_regression.py is missing" in grade["exercises"]["accuracy"]["feedback"]
    assert grade["exercises"]["sgd"]["status"] == "missing"
    assert "has no function sgd()" in grade["exercises"]["sgd"]["feedback"]


def test_endless_loop_ends_as_timeout(kit):
    write(kit, "softmax_regression", "def softmax(X):\n    while True:\n        pass\n")
    result, grade = run_grading(kit, "--impl", "mine", "-k", "softmax and not fashion",
                          "--call-timeout", "0.2")
    assert grade["exercises"]["softmax"]["status"] == "timeout"
    assert "did not finish within 0.2 s" in grade["exercises"]["softmax"]["feedback"]
    result.stdout.fnmatch_lines(["*not run, as softmax did not finish within 0.2 s*"])


def test_points_are_configurable(kit):
    _, grade = run_grading(kit, "--impl", "mine", "--exercise", "softmax", "-k", "not fashion",
                           "--points", "softmax=40")
    assert grade["max_score"] == 40


def test_bad_points_and_impl_are_usage_errors(kit):
    result = kit.runpytest_subprocess("test_chapter3.py", "--points", "softmx=4")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--points: bad points entry 'softmx=4'*"])
    result = kit.runpytest_subprocess("test_chapter3.py", "--impl", "nowhere", "-k", "linreg")
    assert result.ret != 0
    assert "--impl nowhere: no such folder or package" in result.stdout.str() + result.stderr.str()


def test_from_scratch_rule_and_allow_builtins(kit):
    shutil.copy(KIT_ROOT / "solutions" / "softmax_regression.py", kit.path / "mine")
    with open(kit.path / "mine" / "softmax_regression.py", "a") as f:
        f.write("\n\ndef softmax(X):\n    return X.softmax(dim=1)\n")
    args = ("--impl", "mine", "--exercise", "softmax", "-k", "not fashion")
    result, grade = run_grading(kit, *args)
    softmax = grade["exercises"]["softmax"]
    assert (softmax["status"], result.ret) == ("failed", 1)
    assert softmax["feedback"].startswith("softmax calls Tensor.softmax: this exercise asks you"
                                          " to build it from exp and sum (d2l 3.6.2). Your"
                                          " values were right")
    result, grade = run_grading(kit, *args, "--allow-builtins")
    assert (grade["exercises"]["softmax"]["status"], result.ret) == ("passed", 0)
    kit.makeini("[pytest]\nd2l_allow_builtins = true\n")
    result, grade = run_grading(kit, *args, "--examples", "5")
    assert (grade["exercises"]["softmax"]["status"], result.ret) == ("passed", 0)
    result.stdout.fnmatch_lines(["*5 examples per check, derandomized; built-ins allowed*"])


def test_warnings_and_dataloader_workers_do_not_bury_the_messages(kit):
    """A normal whose np.exp of a tensor makes NumPy warn at each call, and a
    loader without ToTensor() whose DataLoader workers fail: each message is
    read once, the warning said once under it with its count, the loader's
    error by its own last line; no worker traceback, no pytest warnings
    summary or count."""
    from tests.test_notebook import NO_TO_TENSOR
    for module, source in (("linear_regression", "def normal(x, mu, sigma):\n"
                                                  "    return np.exp(-0.5 / sigma**2 * (x - mu)**2)\n"),
                           ("training", NO_TO_TENSOR)):
        shutil.copy(KIT_ROOT / "solutions" / f"{module}.py", kit.path / "mine")
        with open(kit.path / "mine" / f"{module}.py", "a") as f:
            f.write(f"\n\n{source}")
    result, grade = run_grading(kit, "--impl", "mine", "--exercise", "normal",
                                "--exercise", "load_data_fashion_mnist")
    out = result.stdout.str() + result.stderr.str()
    warned = [line for line in out.splitlines() if "__array_wrap__" in line]
    assert len(warned) == 1 and warned[0].startswith("  warning  normal raised this "), out
    assert warned[0] in grade["exercises"]["normal"]["feedback"]
    assert out.count("found <class 'PIL.Image.Image'>") == 1, out  # the message's got line
    rest = "\n".join(line for line in out.splitlines() if "__array_wrap__" not in line)
    for noise in ("Traceback", "worker process", "Exception ignored", "site-packages",
                  "warnings summary", "Warning", " warning"):
        assert noise not in rest, noise
