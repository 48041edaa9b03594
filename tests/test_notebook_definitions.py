"""What a notebook's exercise is graded as: its definition (its last def or
class, or an alias of a function), whatever later cells bind to its name or
do to the tensors it reads; in a kernel (grader.learner.replay, its history stood in
for here) with one note line that says what the live globals hold otherwise;
the kit's d2l in the learner's own cells (grader.learner.kernel); the cell named in a
traceback."""
import sys
from pathlib import Path

import pytest
import torch

from grader.learner import kernel as book
from grader.learner import notebook
from grader.learner import replay
from grader.portable.book import BookPackage
from grader.grading.session import grade
from grader.exercises import DEFAULT_POINTS, seam_spec
from grader.portable.oracle import ORACLE
from grader.portable.outcomes import NotAttempted
from grader.portable.seam import Learner
from tests.conftest import KIT_ROOT
from tests.test_notebook_submissions import notebook as notebook_json
from tests.test_notebook_submissions import write

SOFTMAX = ("import torch\n\ndef softmax(X):\n    X_exp = torch.exp(X - X.max(dim=1, keepdim=True)"
           ".values)\n    return X_exp / X_exp.sum(1, keepdim=True)")
NET = ("W = torch.normal(0, 0.01, size=(784, 10), requires_grad=True)\n"
       "b = torch.zeros(10, requires_grad=True)\n\n"
       "def net(X):\n    return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)")
# 3.6.6's training, in short: W and b change in place.
TRAIN = "with torch.no_grad():\n    W -= 0.5\n    b += 1.0"
# 3.7's model, bound to the name of 3.6's exercise.
SEQUENTIAL = "from torch import nn\nnet = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))"


def loaded(tmp_path, cells):
    """The Learner of a folder holding one notebook of `cells`."""
    write(tmp_path, {"chapter3.ipynb": notebook_json(cells)})
    return Learner(tmp_path, seam_spec(), call_timeout=5.0, stand_ins=vars(ORACLE))


# --- the definition rule, for a saved notebook -------------------------------

def test_a_later_value_bound_to_the_name_does_not_replace_the_definition(tmp_path):
    found = loaded(tmp_path, [SOFTMAX, NET, SEQUENTIAL, "net = linreg_concise()"])
    graded = found._found["net"]
    assert graded.__name__ == "net" and callable(graded) and not isinstance(graded, torch.nn.Module)
    assert found.net(torch.zeros(2, 784)).shape == (2, 10)


def test_the_books_3_3_and_3_7_cells_after_3_6_leave_net_passing(tmp_path):
    """3.7's `net = nn.Sequential(...)` calls only torch, so it runs when the notebook
    is graded; 3.3's `b = net[0].bias.data` is a part of another value, so it does not."""
    cells = [SOFTMAX, NET, SEQUENTIAL, "w = net[1].weight.data\nb = net[1].bias.data"]
    graded = grade(loaded(tmp_path, cells), DEFAULT_POINTS, exercises=("net",))
    assert graded["exercises"]["net"]["status"] == "passed", graded


def test_an_alias_of_a_function_is_a_definition_and_a_later_def_wins(tmp_path):
    linreg = "def linreg(X, w, b):\n    return X @ w + b"
    found = loaded(tmp_path, [SOFTMAX, linreg, "net = linreg", NET])
    assert found._found["net"].__name__ == "net"  # 3.2.7's `net = linreg`, then 3.6's def
    found = loaded(tmp_path / "alias", [SOFTMAX, NET, "def my_net(X):\n    return X",
                                        "net = my_net", SEQUENTIAL])
    assert found._found["net"].__name__ == "my_net"  # the alias, not 3.7's model after it
    found = loaded(tmp_path / "lambda", [SOFTMAX, NET, "net = lambda X: softmax(X @ W + b)"])
    assert found._found["net"].__name__ == "<lambda>"


def test_a_stub_rebound_to_a_value_is_still_not_attempted(tmp_path):
    stub = "def net(X):\n    raise NotImplementedError"
    found = loaded(tmp_path, [SOFTMAX, stub, SEQUENTIAL])
    assert isinstance(seam_outcome(found, "net", torch.zeros(1, 784)), NotAttempted)


def seam_outcome(found, exercise, *args):
    try:
        getattr(found, exercise)(*args)
    except BaseException as e:  # noqa: B036 - Outcomes are BaseExceptions
        return e
    return None


# --- in a kernel: the history's definitions, and one note --------------------

class Kernel:
    """A kernel's notebook in this process: each cell runs whole in `names` (as
    IPython runs it) and is kept in the history that grader.learner.replay reads."""

    def __init__(self, monkeypatch, folder):
        self.names, self.history = {"__name__": "__main__"}, []
        monkeypatch.setattr(replay, "kernel_history",
                            lambda names: self.history if names is self.names else None)
        monkeypatch.setattr(replay, "_KEPT", [])
        monkeypatch.chdir(folder)

    def run(self, *cells):
        for text in cells:
            self.history.append((len(self.history) + 1, text))
            exec(compile(text, f"<cell {len(self.history)}>", "exec"), self.names)

    def check(self, exercise, **kwargs):
        return notebook.check_names(self.names, exercise, call_timeout=5.0, **kwargs)


def feedback(result, exercise):
    return result.grade["exercises"][exercise]["feedback"]


def test_training_w_in_place_keeps_net_passing_with_a_note(monkeypatch, tmp_path):
    kernel = Kernel(monkeypatch, tmp_path)
    kernel.run(SOFTMAX, NET)
    assert "note" not in feedback(kernel.check("net"), "net")
    kernel.run(TRAIN)
    result = kernel.check("net")
    assert result.status("net") == "passed", str(result)
    assert feedback(result, "net").splitlines()[-1] == (
        "  note     net reads W, b, which your notebook has since changed in place (training"
        " does that): the grader graded net with the values your cells give W, b, not the"
        " changed ones.")
    assert kernel.names["W"]._version > 0  # the live W is the trained one still


def test_rebinding_net_to_a_model_keeps_net_passing_and_says_which_cell_did(monkeypatch,
                                                                           tmp_path):
    kernel = Kernel(monkeypatch, tmp_path)
    kernel.run(SOFTMAX, NET, TRAIN, SEQUENTIAL)
    result = kernel.check("net")
    assert result.status("net") == "passed", str(result)
    notes = [line for line in feedback(result, "net").splitlines() if "note" in line]
    assert notes == [
        "  note     net now holds a Sequential, which In [4] bound to it; the grader graded the"
        " net that In [2] defines, the exercise's definition, not what the name holds now."]
    zh = kernel.check("net", lang="zh")
    assert "net 现在是一个 Sequential（In [4] 把它赋给了这个名字）" in feedback(zh, "net")


def test_a_right_exercise_gets_no_note(monkeypatch, tmp_path):
    kernel = Kernel(monkeypatch, tmp_path)
    kernel.run(SOFTMAX, NET, "x = torch.ones(3)\ny = softmax(x.reshape(1, 3))")
    assert "note" not in feedback(kernel.check("softmax"), "softmax")


def test_a_wrong_definition_fails_whatever_the_live_name_holds(monkeypatch, tmp_path):
    """The other way round: a wrong net fails, though the name now holds a model."""
    kernel = Kernel(monkeypatch, tmp_path)
    kernel.run(SOFTMAX, NET.replace("return softmax(", "return ("), SEQUENTIAL)
    assert kernel.check("net").status("net") == "failed"


def test_the_replay_is_kept_between_checks_and_runs_only_new_cells(monkeypatch, tmp_path):
    kernel = Kernel(monkeypatch, tmp_path)
    kernel.run(SOFTMAX, NET)
    kernel.check("softmax")
    first = replay._KEPT[0]
    graded_net = first.cells.definitions["net"]
    kernel.run("def softmax(X):\n    return X")
    assert kernel.check("softmax").status("softmax") == "failed"
    assert replay._KEPT[0] is first and first.cells.definitions["net"] is graded_net
    assert [count for count, _ in first.history] == [1, 2, 3]


def test_outside_a_kernel_the_callers_globals_are_graded(monkeypatch):
    names = {}
    exec(SOFTMAX, names)
    assert replay.kernel_history(names) is None
    assert notebook.check_names(names, "softmax").status("softmax") == "passed"


def test_a_traceback_names_the_kernels_cell_in_the_learners_language(monkeypatch, tmp_path):
    kernel = Kernel(monkeypatch, tmp_path)
    kernel.run("import torch", "def softmax(X):\n    X_exp = torch.exp(X)\n"
                               "    return X_exp / X_exp.sum(1, keepdim=True).nope")
    message = feedback(kernel.check("softmax"), "softmax")
    assert "  at       In [2], line 3, in softmax: return X_exp / X_exp.sum(1," in message
    zh = feedback(kernel.check("softmax", lang="zh"), "softmax")
    assert "  位置     In [2] 第 3 行，softmax 中：return X_exp" in zh
    assert ".py" not in message


def test_an_animator_calling_bare_helpers_passes_with_a_note(monkeypatch, tmp_path):
    """As the book's Animator without its d2l. prefixes: the check lends the
    helpers, the learner's own training cell would not have them."""
    source = (KIT_ROOT / "tests" / "book" / "training.py").read_text()
    animator = source[source.index("class Animator"):source.index("def train_ch3")]
    kernel = Kernel(monkeypatch, tmp_path)
    kernel.run("import matplotlib.pyplot as plt", animator.replace("d2l.", ""))
    result = kernel.check("Animator")
    assert result.status("Animator") == "passed", str(result)
    assert "  note     Animator calls set_axes, use_svg_display, display, which your notebook" \
        " does not define: the grader lends its own while grading" in feedback(result, "Animator")
    kernel.run("from d2l import torch as d2l\nfrom IPython import display",
               "import matplotlib.pyplot as plt\n" + animator)
    assert "note" not in feedback(kernel.check("Animator"), "Animator")


# --- the kit's d2l in the learner's own code ---------------------------------

def test_d2l_is_the_kits_with_pyplot_the_books_helpers_and_the_learners_own(monkeypatch):
    import d2l
    from d2l import torch as d2l_torch
    import matplotlib.pyplot
    assert d2l_torch is d2l.torch and d2l_torch.plt is matplotlib.pyplot
    assert d2l_torch.set_axes is ORACLE.set_axes and callable(d2l_torch.plot)
    main = sys.modules["__main__"]

    def sgd(params, lr, batch_size):
        return "mine"
    monkeypatch.setattr(main, "sgd", sgd, raising=False)
    assert d2l_torch.sgd is sgd
    monkeypatch.delattr(main, "sgd")
    with pytest.raises(AttributeError, match="d2l.sgd is your own sgd"):
        d2l_torch.sgd
    with pytest.raises(AttributeError, match="only what chapter 3 uses"):
        d2l_torch.try_gpu
    with book.grading():  # while grading, the from-scratch rule's stand-in
        assert isinstance(d2l_torch.sgd, BookPackage)


def test_importing_the_package_imports_no_torch_and_installs_the_d2l_hook():
    import subprocess
    code = ("import grader, sys\nfrom d2l import torch as d2l\n"
            "print('torch' in sys.modules, 'matplotlib' in sys.modules, type(d2l).__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=KIT_ROOT)
    assert out.stdout.split() == ["False", "False", "module"]


# --- Fashion-MNIST offline ---------------------------------------------------

@pytest.fixture
def mnist(monkeypatch):
    """torchvision's mnist module, its download patched as in a kernel (and put back)."""
    from torchvision.datasets import mnist
    monkeypatch.setattr(mnist.MNIST, "download", mnist.MNIST.download)
    book._patch_mnist(mnist)
    return mnist


def test_the_books_loader_finds_the_data_on_this_computer(mnist, tmp_path, monkeypatch):
    from grader.grading.data import raw_folder
    raw_folder()  # the kit's data folder, as grading fills it
    monkeypatch.setattr(mnist.FashionMNIST, "mirrors", ["http://nowhere.invalid/"])
    data = mnist.FashionMNIST(root=str(tmp_path / "data"), train=False, download=True)
    assert len(data) == 10000


def test_without_data_or_network_one_message_says_how_to_get_it(mnist, tmp_path, monkeypatch):
    from grader.grading import data as fashion_mnist
    monkeypatch.setattr(fashion_mnist, "default_root", lambda: tmp_path / "kit")
    monkeypatch.setattr(fashion_mnist, "DEBIAN_DIR", tmp_path / "no-debian")
    monkeypatch.setattr(mnist.FashionMNIST, "mirrors", ["http://nowhere.invalid/"])
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    with pytest.raises(book.NoFashionMNIST) as raised:
        mnist.FashionMNIST(root=str(tmp_path / "data"), train=True, download=True)
    message = str(raised.value)
    assert message.startswith("这台电脑上没有 Fashion-MNIST，下载也失败了") and \
        "sudo apt install dataset-fashion-mnist" in message, message
    assert str(Path(tmp_path / "data" / "FashionMNIST" / "raw")) in message
