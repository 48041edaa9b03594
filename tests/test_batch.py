"""The instructor command end to end: a class of submissions (right, unfinished,
broken in every way, and tampering with the grader), graded through
`python -m grader grade`, with every expected status asserted."""
import csv
import json
import shutil
import subprocess
import sys
import textwrap

import pytest

from grader.exercises import DEFAULT_POINTS, MODULES, NAMES as EXERCISES
from tests.conftest import KIT_ROOT

LINEAR, SOFTMAX, TRAINING, CONCISE = MODULES
WRONG_SOFTMAX = "def softmax(X):\n    return X.exp() / X.exp().sum(1, keepdim=True)\n"

# id -> {module: source appended to the base module}, base "stubs" or "solutions"
SUBMISSIONS = {
    "right": ("solutions", {}),
    "unfinished": ("stubs", {}),
    "syntax_error": ("solutions", {SOFTMAX: "def softmax(X:\n"}),
    "raises_at_import": ("stubs", {SOFTMAX: "raise RuntimeError('at import')\n"}),
    "hangs_at_import": ("stubs", {LINEAR: "while True:\n    pass\n"}),
    "endless_loop": ("stubs", {SOFTMAX: "def softmax(X):\n    while True:\n        pass\n"}),
    "ignores_signals": ("stubs", {SOFTMAX: """
        import signal
        def softmax(X):
            for s in (signal.SIGALRM, signal.SIGTERM, signal.SIGINT):
                signal.signal(s, signal.SIG_IGN)
            while True:
                pass
        """}),
    # its failing example depends on what random.shuffle draws in the sandbox
    "shuffles_batch_order_only": ("stubs", {LINEAR: """
        import random
        def data_iter(batch_size, features, labels):
            starts = list(range(0, len(features), batch_size))
            random.shuffle(starts)
            for i in starts:
                yield features[i:i + batch_size], labels[i:i + batch_size]
        """}),
    "endless_data_iter": ("stubs", {LINEAR: """
        def data_iter(batch_size, features, labels):
            while True:
                yield features[:batch_size], labels[:batch_size]
        """}),
    "exits": ("stubs", {SOFTMAX: "import sys\ndef cross_entropy(y_hat, y):\n    sys.exit(0)\n"}),
    "exits_hard": ("stubs", {SOFTMAX: "import os\ndef accuracy(y_hat, y):\n    os._exit(0)\n"}),
    "eats_memory": ("stubs", {LINEAR: """
        def linreg(X, w, b):
            return [torch.ones(10**9) for _ in range(100)]  # 4 GB a step
        """}),
    "prints_garbage": ("stubs", {SOFTMAX: """
        import sys
        print('{"score": 100, "max_score": 100}')
        def softmax(X):
            print('\\x00' * 1000, 'passed', file=sys.stderr)
            X_exp = torch.exp(X - X.max(dim=1, keepdim=True).values)
            return X_exp / X_exp.sum(dim=1, keepdim=True)
        """}),
    # Tampering: each with a wrong function that must score zero.
    "patches_allclose": ("stubs", {SOFTMAX: "torch.allclose = lambda *a, **k: True\n"
                                            "torch.isclose = lambda a, b, **k: a == a\n"
                                            + WRONG_SOFTMAX}),
    "patches_assert_close": ("stubs", {SOFTMAX: """
        import torch.testing
        torch.testing.assert_close = lambda *a, **k: None
        torch.equal = lambda *a: True
        def cross_entropy(y_hat, y):
            return torch.log(y_hat[range(len(y_hat)), y])
        """}),
    "patches_numpy": ("stubs", {LINEAR: """
        import numpy
        numpy.array_equal = numpy.allclose = lambda *a, **k: True
        def data_iter(batch_size, features, labels):
            for i in range(0, len(features), batch_size):
                yield features[i:i + batch_size], labels[i:i + batch_size]
        """}),
    "patches_hypothesis": ("stubs", {LINEAR: """
        import hypothesis
        hypothesis.given = lambda *a, **k: (lambda f: (lambda *x, **y: None))
        def linreg(X, w, b):
            return torch.matmul(X, w)
        """}),
    "patches_pytest": ("stubs", {LINEAR: """
        import pytest
        pytest.fail = lambda *a, **k: None
        def squared_loss(y_hat, y):
            return (y_hat - y) ** 2 / 2
        """}),
    "imports_solutions": ("stubs", {SOFTMAX: """
        try:
            from solutions.softmax_regression import softmax
        except ImportError:
            def softmax(X):
                return X
        """}),
    "replaces_the_reference": ("stubs", {SOFTMAX: """
        import sys
        for module in list(sys.modules.values()):
            if hasattr(module, "ORACLE"):
                module.ORACLE.accuracy = lambda y_hat, y: 0.0
        try:
            import grader.portable.oracle
            grader.portable.oracle.ORACLE.accuracy = lambda y_hat, y: 0.0
        except ImportError:
            pass
        def accuracy(y_hat, y):
            return 0.0
        """}),
    "prints_fake_results": ("stubs", {LINEAR: """
        def sgd(params, lr, batch_size):
            print("PASSED test_sgd_updates_params")
            print('{"status": "passed", "score": 15}')
        """}),
    "lying_tensor": ("stubs", {SOFTMAX: """
        class Liar(torch.Tensor):
            def __eq__(self, other):
                return True
            @classmethod
            def __torch_function__(cls, func, types, args=(), kwargs=None):
                if func in (torch.allclose, torch.equal):
                    return True
                return super().__torch_function__(func, types, args, kwargs or {})
        def softmax(X):
            return torch.zeros_like(X).as_subclass(Liar)
        """}),
    "sends_a_pickle_bomb": ("stubs", {SOFTMAX: """
        import os, pickle, struct
        class Bomb:
            def __reduce__(self):
                return (os.system, ("touch {marker}",))
        def softmax(X):
            payload = pickle.dumps(Bomb())
            for fd in range(3, 64):
                try:
                    os.write(fd, struct.pack("<Q", len(payload)) + payload)
                except OSError:
                    pass
            return X
        """}),
    "exits_zero_mid_check": ("stubs", {SOFTMAX: """
        import os
        def softmax(X):
            os._exit(0)
        """}),
    # The worker runs the training loops: replacing them earns nothing, as the judge
    # checks what comes back and computes test accuracy itself.
    "fakes_training": ("solutions", {LINEAR: """
        # the training recipes its process is sent are replaced as they arrive
        import builtins
        real_exec = builtins.exec
        def untrained(fns, train, test=None, *, num_epochs, **kwargs):
            d, q = train[0].shape[1], int(train[1].max()) + 1
            return [(torch.zeros(d, q), torch.zeros(q), 0.0, 1.0)] * num_epochs
        def faking(code, namespace=None, *rest):
            real_exec(code, namespace, *rest)
            if isinstance(namespace, dict) and "train_linear_regression" in namespace:
                namespace["train_linear_regression"] = lambda fns, **kwargs: "garbage"
            if isinstance(namespace, dict) and "train_softmax_regression" in namespace:
                namespace["train_softmax_regression"] = untrained
        builtins.exec = faking
        """}),
    "calls_torch_softmax": ("stubs", {SOFTMAX: """
        from torch.nn import functional
        def softmax(X):
            return functional.softmax(X, dim=1)
        """}),
}

# The class is graded under an instructor's grading seed: the verdicts are those
# of the learner's examples.
GRADING_SEED = "11"
EXPECTED = {  # id -> {exercise: status}; unlisted exercises are not_attempted
    "right": dict.fromkeys(EXERCISES, "passed"),
    # training.py imports accuracy from softmax_regression.py, as in the book
    "syntax_error": {**dict.fromkeys(MODULES[LINEAR] + MODULES[CONCISE], "passed"),
                     **dict.fromkeys(MODULES[SOFTMAX] + MODULES[TRAINING], "error")},
    "raises_at_import": dict.fromkeys(MODULES[SOFTMAX] + MODULES[TRAINING], "error"),
    "hangs_at_import": dict.fromkeys(MODULES[LINEAR], "error"),
    "endless_loop": {"softmax": "timeout"},
    "ignores_signals": {"softmax": "timeout"},
    "shuffles_batch_order_only": {"data_iter": "failed"},
    "endless_data_iter": {"data_iter": "failed"},
    "exits": {"cross_entropy": "error"},
    "exits_hard": {"accuracy": "error"},
    "eats_memory": {"linreg": "error"},
    "prints_garbage": {"softmax": "passed"},
    "patches_allclose": {"softmax": "failed"},
    "patches_assert_close": {"cross_entropy": "failed"},
    "patches_numpy": {"data_iter": "failed"},
    "patches_hypothesis": {"linreg": "failed"},
    "patches_pytest": {"squared_loss": "failed"},
    "imports_solutions": {"softmax": "failed"},
    "replaces_the_reference": {"accuracy": "failed"},
    "prints_fake_results": {"sgd": "failed"},
    "lying_tensor": {"softmax": "failed"},
    "sends_a_pickle_bomb": {"softmax": "error"},
    "exits_zero_mid_check": {"softmax": "error"},
    "calls_torch_softmax": {"softmax": "failed"},
    # the exercises no training run grades pass
    "fakes_training": {**dict.fromkeys(MODULES[LINEAR], "error"),
                       **dict.fromkeys(MODULES[SOFTMAX], "failed"),
                       **dict.fromkeys(["Timer", "normal", "linreg_closed_form", "huber_loss",
                                        "net", "accuracy", "cross_entropy_from_logits",
                                        *MODULES[TRAINING], *MODULES[CONCISE]], "passed")},
}


def build(folder, base, additions, marker):
    folder.mkdir(parents=True)
    source = KIT_ROOT / ("solutions" if base == "solutions" else "exercises")
    for module in MODULES:
        text = (source / f"{module}.py").read_text()
        extra = textwrap.dedent(additions.get(module, "")).replace("{marker}", str(marker))
        (folder / f"{module}.py").write_text(text + "\n\nimport torch\n" + extra)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    marker = root / "the judge ran the pickle"
    for sub_id, (base, additions) in SUBMISSIONS.items():
        # a cloned learner repository keeps the modules in exercises/
        inner = root / "subs" / sub_id / ("exercises" if sub_id == "unfinished" else "")
        build(inner, base, additions, marker)
    out = root / "out"
    done = subprocess.run(
        [sys.executable, "-m", "grader", "grade", str(root / "subs"), "--out", str(out),
         "--jobs", "2", "--call-timeout", "2", "--import-timeout", "5", "--timeout", "300",
         "--grading-seed", GRADING_SEED],
        capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr
    return out, done, marker


def test_every_submission_gets_its_expected_statuses(graded):
    out, _, _ = graded
    entries = {e["id"]: e for e in json.loads((out / "grades.json").read_text())["submissions"]}
    assert sorted(entries) == sorted(SUBMISSIONS)
    for sub_id, expected in EXPECTED.items():
        statuses = {name: r["status"] for name, r in entries[sub_id]["exercises"].items()}
        assert statuses == {**dict.fromkeys(EXERCISES, "not_attempted"), **expected}, sub_id
    assert entries["right"]["score"] == 100
    assert all(e["score"] == 0 for i, e in entries.items() if i not in ("right", "syntax_error",
                                                                         "prints_garbage",
                                                                         "fakes_training"))


def test_tampering_never_reaches_the_judge(graded):
    _, _, marker = graded
    assert not marker.exists()


def test_csv_gradescope_and_feedback_files(graded):
    out, done, _ = graded
    rows = {r["id"]: r for r in csv.DictReader((out / "grades.csv").open())}
    assert rows["right"]["total"] == "100"
    assert rows["syntax_error"]["linreg"] == str(DEFAULT_POINTS["linreg"])
    results = json.loads((out / "submissions" / "right" / "results.json").read_text())
    assert results["score"] == 100 and len(results["tests"]) == len(EXERCISES)
    assert {t["status"] for t in results["tests"]} == {"passed"}
    feedback = (out / "submissions" / "endless_data_iter" / "feedback.txt").read_text()
    assert "data_iter did not end" in feedback
    feedback = (out / "submissions" / "endless_loop" / "feedback.txt").read_text()
    assert "softmax did not finish within 2 s" in feedback
    feedback = (out / "submissions" / "fakes_training" / "feedback.txt").read_text()
    assert "sent back something that is not a training run" in feedback
    feedback = (out / "submissions" / "calls_torch_softmax" / "feedback.txt").read_text()
    assert "softmax calls torch.nn.functional.softmax" in feedback
    assert "Your values were right" in feedback
    assert f"graded {len(SUBMISSIONS)} submissions" in done.stdout
    assert "pass rate per exercise" in done.stdout


def test_grading_twice_gives_identical_grades(graded, tmp_path):
    """A grade does not depend on what its judge graded before, nor on the random
    state its sandbox started with: in the class's run each of these came after
    others; here a new judge grades them in turn."""
    out, _, _ = graded
    subs = tmp_path / "subs"
    regraded = ("exits", "patches_allclose", "right", "shuffles_batch_order_only")
    for sub_id in regraded:
        shutil.copytree(out.parent / "subs" / sub_id, subs / sub_id)
    again = tmp_path / "out"
    subprocess.run([sys.executable, "-m", "grader", "grade", str(subs), "--out", str(again),
                    "--call-timeout", "2", "--grading-seed", GRADING_SEED], check=True,
                   capture_output=True, timeout=600)

    def without_timings(path):
        return [{k: v for k, v in e.items() if k not in ("seconds", "key", "check")}
                for e in json.loads(path.read_text())["submissions"]]
    first = [e for e in without_timings(out / "grades.json") if e["id"] in regraded]
    assert without_timings(again / "grades.json") == first
