"""What a submission that knows the grader's source can do to its grade, with the
sandbox on: hand its exercises to the grader's own functions, switch the
from-scratch rule off, forge the grader's outcomes, hold memory no limit sees,
fill the disk, fork without end, flood the judge. None of it earns a point or
stops the class; each ends as that exercise's error with a message that says why."""
import json
import subprocess
import sys
import textwrap

import pytest

from grader.exercises import MODULES, NAMES
from tests.conftest import KIT_ROOT

# A submission with no code of its own: each exercise looks for the grader's
# function of the same name among what its process holds (the oracle's module,
# a stand-in, anything the grader made) and hands the call to it; its import
# switches the from-scratch rule's monitor off.
FORGER = '''
import gc
import sys


def _oracle(name):
    for module in list(sys.modules.values()):
        table = vars(module).get("ORACLE") if hasattr(module, "__dict__") else None
        if getattr(table, name, None) is not None:
            return getattr(table, name)
    for obj in gc.get_objects():
        if callable(obj) and getattr(obj, "__qualname__", None) == name \\
                and str(getattr(obj, "__module__", "")).startswith(("d2lkit_", "grader")) \\
                and getattr(obj, "__module__", "") != "grader.portable.seam":
            return obj
    raise LookupError(f"no grader's {name} in this process")


for _module in list(sys.modules.values()):
    if hasattr(_module, "__dict__") and "FromScratch" in vars(_module):
        _module.FromScratch.__torch_function__ = \\
            lambda self, func, types, args=(), kwargs=None: func(*args, **(kwargs or {}))


def _handed(name):
    def handed(*args):
        return _oracle(name)(*args)
    return handed


class _Handed:
    def __new__(cls, *args):
        return _oracle(cls.__name__)(*args)


for _name in {names}:
    globals()[_name] = type(_name, (_Handed,), {}) if _name[0].isupper() else _handed(_name)
'''

# Each attack: (exercise, its module's extra source, what its message must say).
ATTACKS = {
    "rule_off": ("softmax", '''
import sys
for _module in list(sys.modules.values()):
    if hasattr(_module, "__dict__") and "FromScratch" in vars(_module):
        _module.FromScratch.__torch_function__ = \\
            lambda self, func, types, args=(), kwargs=None: func(*args, **(kwargs or {}))


def softmax(X):
    return torch.softmax(X, dim=1)
''', "softmax calls torch.softmax"),
    "rule_off_by_name": ("cross_entropy", '''
import sys
for _module in list(sys.modules.values()):
    if hasattr(_module, "__dict__") and "FromScratch" in vars(_module):
        _module.FromScratch.__torch_function__ = \\
            lambda self, func, types, args=(), kwargs=None: func(*args, **(kwargs or {}))


def cross_entropy(y_hat, y):
    loss = getattr(torch.nn.functional, "nll" + "_loss")
    return loss(torch.log(y_hat), y, reduction="none")
''', "looks a function up by a name built while it runs"),
    "forged_not_attempted": ("Timer", '''
import sys


class Timer:
    def __init__(self):
        raise sys.modules["grader.portable.outcomes"].NotAttempted("Timer", {"score": 100})
''', "NotAttempted: {'score': 100}"),
    "forged_pass": ("accuracy", '''
import sys


def accuracy(y_hat, y):
    outcomes = sys.modules["grader.portable.outcomes"]
    raise type("Passed", (outcomes.Outcome,), {"status": "passed"})("accuracy", "all checks passed")
''', "Passed: all checks passed"),
    "exits": ("linreg", '''
def linreg(X, w, b):
    raise SystemExit(0)
''', "SystemExit"),
    "memfd": ("squared_loss", '''
import os


def squared_loss(y_hat, y):
    fd = os.memfd_create("hoard")
    for _ in range(3 * 1024):
        os.write(fd, b"x" * (1 << 20))
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2
''', "Operation not permitted"),
    "fills_the_root": ("huber_loss", '''
def huber_loss(y_hat, y, delta=1.0):
    with open("/big", "wb") as f:
        for _ in range(1024):
            f.write(b"x" * (1 << 20))
''', "Read-only file system"),
    "forks": ("sgd", '''
import os
import time


def sgd(params, lr, batch_size):
    for _ in range(300):
        os.posix_spawn("/bin/sleep", ["sleep", "60"], {})
    time.sleep(60)
''', "more than 256 processes and threads"),
    "floods_the_judge": ("net", '''
import os
import struct


def net(X):
    for fd in range(3, 64):
        try:
            os.write(fd, struct.pack("<Q", 500 << 20) + b"x" * 4096)
        except OSError:
            pass
    return X
''', "too large to be a reply"),
    "long_messages": ("cross_entropy_from_logits", '''
def cross_entropy_from_logits(o, y):
    raise ValueError("x" * (20 << 20))
''', "more characters not kept"),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """grades.json of a class of attacks, the reference and a forger, graded
    with the sandbox on."""
    subs = tmp_path_factory.mktemp("attacks") / "subs"
    out = subs.parent / "out"
    stubs = {m: (KIT_ROOT / "exercises" / f"{m}.py").read_text() for m in MODULES}
    prelude = "\n\nimport torch\n"
    for sub_id, (exercise, source, _) in ATTACKS.items():
        (subs / sub_id).mkdir(parents=True)
        module = next(m for m, names in MODULES.items() if exercise in names)
        for m in MODULES:
            extra = prelude + textwrap.dedent(source) if m == module else ""
            (subs / sub_id / f"{m}.py").write_text(stubs[m] + extra)
    for sub_id, source in (("forger", FORGER.replace("{names}", repr(list(NAMES)))), ("right", None)):
        (subs / sub_id).mkdir()
        for m in MODULES:
            text = source or (KIT_ROOT / "solutions" / f"{m}.py").read_text()
            (subs / sub_id / f"{m}.py").write_text(text)
    done = subprocess.run([sys.executable, "-m", "grader", "grade", str(subs), "--out", str(out),
                           "--jobs", "2", "--call-timeout", "3", "--timeout", "300"],
                          capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr
    grades = json.loads((out / "grades.json").read_text())
    assert grades["sandbox"] is True
    return {e["id"]: e for e in grades["submissions"]}, out


def test_a_submission_that_hands_its_exercises_to_the_grader_earns_nothing(graded):
    entries, _ = graded
    assert entries["forger"]["score"] == 0
    assert all(e["status"] != "passed" for e in entries["forger"]["exercises"].values())


def test_the_reference_graded_beside_the_attacks_passes(graded):
    entries, _ = graded
    assert entries["right"]["score"] == entries["right"]["max_score"]


@pytest.mark.parametrize("attack", ATTACKS)
def test_each_attack_is_its_exercise_s_failure_with_the_reason(graded, attack):
    entries, _ = graded
    exercise, _, said = ATTACKS[attack]
    result = entries[attack]["exercises"][exercise]
    assert result["status"] in ("failed", "error", "timeout"), result
    assert said in result["feedback"], result["feedback"]
    assert entries[attack]["score"] == 0


def test_what_the_attacks_wrote_stays_small(graded):
    _, out = graded
    assert (out / "grades.json").stat().st_size < 2 << 20
    for path in out.rglob("*"):
        if path.is_file():
            assert path.stat().st_size < 1 << 20, path


# --- faults and contexts, with the grader's objects at hand ------------------------

def _processes(learner):
    """(the zygote, its children: the contexts' processes) of `learner`'s sandbox."""
    import psutil
    tree = psutil.Process(learner.sandbox.proc.pid).children(recursive=True)
    zygote = next(p for p in tree if "-c" in p.cmdline() and p.parent().pid not in
                  {q.pid for q in tree if "-c" in q.cmdline()})
    return zygote, zygote.children()


@pytest.mark.parametrize("victim", ["context", "zygote"])
def test_a_process_killed_from_outside_is_graded_again_not_blamed(tmp_path, request, victim):
    """kill -9 of the process running a right function, or of the sandbox's
    zygote, in the middle of its check: the check runs again in a fresh process
    and passes; nothing says the learner's code ended it."""
    import os
    import signal

    from grader.classroom.remote import RemoteLearner
    from tests.conftest import make_impl, run
    learner = make_impl(tmp_path / "impl", {}, request)
    killed = []
    call = RemoteLearner.call

    def killing_once(self, exercise, *args):
        if not killed:
            zygote, contexts = _processes(self)
            target = zygote if victim == "zygote" else contexts[0]
            os.kill(target.pid, signal.SIGKILL)
            killed.append(target.pid)
        return call(self, exercise, *args)
    request.getfixturevalue("monkeypatch").setattr(RemoteLearner, "call", killing_once)
    assert run("test_softmax_rows_sum_to_one", learner, request) == ("passed", "")
    assert killed


def test_a_module_whose_import_hangs_says_so_for_each_of_its_exercises(tmp_path, request):
    from grader.grading.session import grade
    from grader.exercises import DEFAULT_POINTS, seam_spec
    from grader.classroom.remote import RemoteLearner
    from grader.classroom.submission import read_submission
    folder = tmp_path / "impl"
    folder.mkdir()
    for m in MODULES:
        text = (KIT_ROOT / "solutions" / f"{m}.py").read_text()
        (folder / f"{m}.py").write_text(text + ("\nwhile True:\n    pass\n" if m == "concise"
                                                else ""))
    learner = RemoteLearner(read_submission(folder), seam_spec(),
                            request.getfixturevalue("sandbox"), call_timeout=5.0,
                            import_timeout=3.0)
    request.addfinalizer(learner.close)
    graded = grade(learner, DEFAULT_POINTS, exercises=MODULES["concise"] + ("softmax",))
    for name in MODULES["concise"]:
        assert graded["exercises"][name]["status"] == "error"
        assert graded["exercises"][name]["feedback"].startswith(
            "importing concise.py did not finish within 3 s")
    assert graded["exercises"]["softmax"]["status"] == "passed"


def test_no_context_is_sent_the_grader_s_function_of_an_exercise_it_runs(tmp_path, request,
                                                                         monkeypatch):
    """Grading the reference in its processes: every stand-in and recipe a context
    is sent (with all the oracle's code they need) is none of the exercises whose
    functions that context has called or will call."""
    from grader.grading.session import grade
    from grader.exercises import DEFAULT_POINTS
    from grader.classroom.remote import RemoteLearner
    from tests.conftest import make_impl
    learner = make_impl(tmp_path / "impl", {}, request)
    seen, ready = [], RemoteLearner._ready

    def watched(self, exercise, calls, stand_ins, recipes):
        channel = ready(self, exercise, calls, stand_ins, recipes)
        seen.append((set(self.context), set(self.shipped)))
        return channel
    monkeypatch.setattr(RemoteLearner, "_ready", watched)
    assert grade(learner, DEFAULT_POINTS)["score"] == 100
    assert all(not context & shipped for context, shipped in seen)
    assert any("softmax" in shipped for _, shipped in seen)  # net's context uses it


def test_the_worker_is_sent_its_modules_but_never_the_oracle_or_the_recipes_whole():
    """What the zygote imports as grader.portable is the closure of serving's
    imports; the oracle and the recipes reach a context only in slices."""
    from grader.classroom.replies import TEMPLATES
    from grader.classroom.zygote import RUNTIME, WITHHELD
    assert {"grader.portable.serving", "grader.portable.seam", "grader.portable.wire"} <= set(RUNTIME)
    assert not [name for name in RUNTIME if name.startswith(WITHHELD)]
    assert "{file} could not be imported: {error}" in TEMPLATES  # loading's, not seam's


@pytest.mark.parametrize("raised", [
    "grader.portable.outcomes.NotAttempted('softmax', {'score': 100})",
    "grader.portable.outcomes.Missing('softmax', 'all checks passed')",
    "SystemExit(0)", "GeneratorExit()"])
def test_the_grader_s_outcomes_raised_by_the_learner_are_its_errors(tmp_path, request, raised):
    """In the learner's own process (pytest, the notebook) too: whatever the
    learner's function raises is its error, named, never an outcome it chose."""
    from tests.conftest import make_impl, run
    learner = make_impl(tmp_path / "impl", {
        "softmax": f"import grader.portable.outcomes\n\n\ndef softmax(X):\n    raise {raised}\n"})
    status, message = run("test_softmax_rows_sum_to_one", learner, request)
    assert status == "error"
    assert message.startswith("softmax raised an error"), message


@pytest.mark.parametrize("parts", [
    {"score": 100},                                   # not a message
    [["all checks passed", {}]],                      # no template of the kit's
    [["{label}() still raises NotImplementedError: write it in {file}", {"label": "x"}]],
    [["{label}() still raises NotImplementedError: write it in {file}",
      {"label": "x", "file": {"a": 1}}]],             # a value that is no text
])
def test_a_message_from_a_submission_s_process_is_the_kit_s_or_refused(parts):
    from grader.classroom.replies import words
    with pytest.raises(ValueError):
        words(parts)
    assert words([["{label}() still raises NotImplementedError: write it in {file}",
                    {"label": "x", "file": "y.py"}]]) == \
        "x() still raises NotImplementedError: write it in y.py"
