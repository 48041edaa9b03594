"""The book's own cells in the release's notebook, run by a real Jupyter kernel
as a learner types them: every section's demo and training cells (training
for one epoch) after the exercises they need, the references in the stub
cells. The book's later cells train W and b in place and rebind `net` (3.3,
3.7) and `data_iter` (3.3): a right learner still ends at 100/100, and
grading the saved notebook gives the same table."""
import ast
import json
import re

from grader.grading.session import grade
from grader.exercises import DEFAULT_POINTS, MODULES, NAMES, seam_spec
from grader.portable.oracle import ORACLE
from grader.classroom.release import stub_parts
from grader.portable.seam import Learner
from tests.conftest import KIT_ROOT
from tests.test_notebook import (check_cell, code_cells, kernel_name, outputs,  # noqa: F401
                                 read_notebook, reference_sources, released, run_notebook)

BOOK = KIT_ROOT / "tests" / "book"

# Not the book's: 3.6 and 3.7 then train on 2,560 examples and evaluate on
# 1,000, in the kernel's process, so that each takes seconds, not minutes.
SHORTER = ("train_iter = data.DataLoader(data.Subset(train_iter.dataset, range(2560)), batch_size,"
           " shuffle=True)\ntest_iter = data.DataLoader(data.Subset(test_iter.dataset, range(1000)),"
           " batch_size)")
# The book's cells (d2l-zh 2.x, PyTorch), by the exercise whose cell they follow:
# each needs the functions above it. Epochs cut to one, and SHORTER.
BOOK_CELLS = {
    "Timer": ["%matplotlib inline\nimport math\nimport time\nimport numpy as np\nimport torch\n"
              "from d2l import torch as d2l",
              "n = 10000\na = torch.ones([n])\nb = torch.ones([n])",
              "c = torch.zeros(n)\ntimer = Timer()\nfor i in range(n):\n    c[i] = a[i] + b[i]\n"
              "f'{timer.stop():.5f} sec'",
              "timer.start()\nd = a + b\nf'{timer.stop():.5f} sec'"],
    "normal": ["# 再次使用numpy进行可视化\nx = np.arange(-7, 7, 0.01)\n\n# 均值和标准差对\n"
               "params = [(0, 1), (0, 2), (3, 1)]\n"
               "d2l.plot(x, [normal(x, mu, sigma) for mu, sigma in params], xlabel='x',\n"
               "         ylabel='p(x)', figsize=(4.5, 2.5),\n"
               "         legend=[f'mean {mu}, std {sigma}' for mu, sigma in params])"],
    "synthetic_data": ["%matplotlib inline\nimport random\nimport torch\nfrom d2l import torch as d2l",
                       "true_w = torch.tensor([2, -3.4])\ntrue_b = 4.2\n"
                       "features, labels = synthetic_data(true_w, true_b, 1000)",
                       "print('features:', features[0],'\\nlabel:', labels[0])",
                       "d2l.set_figsize()\nd2l.plt.scatter(features[:, 1].detach().numpy(),"
                       " labels.detach().numpy(), 1);"],
    "data_iter": ["batch_size = 10\n\nfor X, y in data_iter(batch_size, features, labels):\n"
                  "    print(X, '\\n', y)\n    break",
                  "w = torch.normal(0, 0.01, size=(2,1), requires_grad=True)\n"
                  "b = torch.zeros(1, requires_grad=True)"],
    "sgd": ["lr = 0.03\nnum_epochs = 1\nnet = linreg\nloss = squared_loss\n\n"
            "for epoch in range(num_epochs):\n"
            "    for X, y in data_iter(batch_size, features, labels):\n"
            "        l = loss(net(X, w, b), y)  # X和y的小批量损失\n"
            "        l.sum().backward()\n"
            "        sgd([w, b], lr, batch_size)  # 使用参数的梯度更新参数\n"
            "    with torch.no_grad():\n"
            "        train_l = loss(net(features, w, b), labels)\n"
            "        print(f'epoch {epoch + 1}, loss {float(train_l.mean()):f}')",
            "print(f'w的估计误差: {true_w - w.reshape(true_w.shape)}')\n"
            "print(f'b的估计误差: {true_b - b}')"],
    "softmax": ["X = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])\nX.sum(0, keepdim=True),"
                " X.sum(1, keepdim=True)",
                "X = torch.normal(0, 1, (2, 5))\nX_prob = softmax(X)\nX_prob, X_prob.sum(1)"],
    "cross_entropy": ["y = torch.tensor([0, 2])\n"
                      "y_hat = torch.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])\ny_hat[[0, 1], y]",
                      "cross_entropy(y_hat, y)"],
    "accuracy": ["accuracy(y_hat, y) / len(y)"],
    "get_fashion_mnist_labels": [
        "%matplotlib inline\nimport torch\nimport torchvision\nfrom torch.utils import data\n"
        "from torchvision import transforms\nfrom d2l import torch as d2l\n\nd2l.use_svg_display()",
        "# 通过ToTensor实例将图像数据从PIL类型变换成32位浮点数格式，\n"
        "# 并除以255使得所有像素的数值均在0～1之间\ntrans = transforms.ToTensor()\n"
        "mnist_train = torchvision.datasets.FashionMNIST(\n"
        "    root=\"../data\", train=True, transform=trans, download=True)\n"
        "mnist_test = torchvision.datasets.FashionMNIST(\n"
        "    root=\"../data\", train=False, transform=trans, download=True)",
        "len(mnist_train), len(mnist_test)",
        "mnist_train[0][0].shape"],
    "show_images": ["X, y = next(iter(data.DataLoader(mnist_train, batch_size=18)))\n"
                    "show_images(X.reshape(18, 28, 28), 2, 9, titles=get_fashion_mnist_labels(y));"],
    "load_data_fashion_mnist": [
        "train_iter, test_iter = load_data_fashion_mnist(32, resize=64)\nfor X, y in train_iter:\n"
        "    print(X.shape, X.dtype, y.shape, y.dtype)\n    break",
        # 3.6's first cell: its functions are the training section's.
        "batch_size = 256\ntrain_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)",
        SHORTER],
    "evaluate_accuracy": ["evaluate_accuracy(net, test_iter)"],
    "train_ch3": ["lr = 0.1\n\ndef updater(batch_size):\n    return d2l.sgd([W, b], lr, batch_size)",
                  "num_epochs = 1\n"
                  "train_ch3(net, train_iter, test_iter, cross_entropy, num_epochs, updater)"],
    "predict_ch3": ["predict_ch3(net, test_iter)"],
    "load_array": ["import numpy as np\nimport torch\nfrom torch.utils import data\n"
                   "from d2l import torch as d2l\n\ntrue_w = torch.tensor([2, -3.4])\n"
                   "true_b = 4.2\nfeatures, labels = d2l.synthetic_data(true_w, true_b, 1000)",
                   "batch_size = 10\ndata_iter = load_array((features, labels), batch_size)\n\n"
                   "next(iter(data_iter))"],
    "linreg_concise": ["# nn是神经网络的缩写\nfrom torch import nn\n\n"
                       "net = nn.Sequential(nn.Linear(2, 1))",
                       "net[0].weight.data.normal_(0, 0.01)\nnet[0].bias.data.fill_(0)",
                       "loss = nn.MSELoss()",
                       "trainer = torch.optim.SGD(net.parameters(), lr=0.03)",
                       "num_epochs = 1\nfor epoch in range(num_epochs):\n    for X, y in data_iter:\n"
                       "        l = loss(net(X) ,y)\n        trainer.zero_grad()\n"
                       "        l.backward()\n        trainer.step()\n"
                       "    l = loss(net(features), labels)\n"
                       "    print(f'epoch {epoch + 1}, loss {l:f}')",
                       "w = net[0].weight.data\nprint('w的估计误差：', true_w - w.reshape(true_w.shape))\n"
                       "b = net[0].bias.data\nprint('b的估计误差：', true_b - b)"],
    "softmax_concise": ["import torch\nfrom torch import nn\nfrom d2l import torch as d2l\n\n"
                        "batch_size = 256\n"
                        "train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)",
                        SHORTER,
                        "# PyTorch不会隐式地调整输入的形状。因此，\n"
                        "# 我们在线性层前定义了展平层（flatten），来调整网络输入的形状\n"
                        "net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))\n\n"
                        "def init_weights(m):\n    if type(m) == nn.Linear:\n"
                        "        nn.init.normal_(m.weight, std=0.01)\n\nnet.apply(init_weights);",
                        "loss = nn.CrossEntropyLoss(reduction='none')",
                        "trainer = torch.optim.SGD(net.parameters(), lr=0.1)",
                        "num_epochs = 1\n"
                        "d2l.train_ch3(net, train_iter, test_iter, loss, num_epochs, trainer)"],
}


def book_source(name):
    """The book's own `name` from tests/book/training.py, its d2l. prefixes kept,
    headed by the book's import of d2l."""
    text = (BOOK / "training.py").read_text()
    node = next(n for n in ast.parse(text).body if getattr(n, "name", None) == name)
    source = "\n".join(text.splitlines()[node.lineno - 1:node.end_lineno])
    if name == "train_ch3":  # its asserts expect the book's ten epochs, not one
        source = "\n".join(line for line in source.splitlines() if "assert" not in line)
    return "from d2l import torch as d2l\n\n\n" + source


def cell(source):
    return {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
            "source": source}


def the_books_notebook(released, answers):
    """The release's notebook with `answers` ({exercise: source}) in the stub
    cells and the book's cells (BOOK_CELLS) after them; of its check cells,
    only the last, grader.check(), which grades everything (one check cell
    per exercise would double the test's time)."""
    stubs = {}
    for module in MODULES:
        stubs.update({v: k for k, v in stub_parts(
            (KIT_ROOT / "exercises" / f"{module}.py").read_text())[1].items()})
    nb = read_notebook(released)
    for exercise, sources in BOOK_CELLS.items():
        at = nb["cells"].index(check_cell(nb, exercise)) + 1
        nb["cells"][at:at] = [cell(source) for source in sources]
    nb["cells"] = [c for c in nb["cells"] if not c["source"].startswith('grader.check("')]
    for c in code_cells(nb):
        if c["source"] in stubs:
            c["source"] = answers[stubs[c["source"]]]
    return nb


def verdicts(grade):
    return {name: (e["status"], e["score"]) for name, e in grade["exercises"].items()}


def table(text):
    """{exercise: (status words, score)} of a grade table in text."""
    rows = {}
    for line in text.splitlines():
        found = re.match(r"\s+(\w+)\s+(passed|FAILED|ERROR|TIMEOUT|MISSING|not attempted)\s+(\d+)/",
                         line)
        if found and found.group(1) in NAMES:
            rows[found.group(1)] = (found.group(2), int(found.group(3)))
    return rows


def run_the_book(released, kernel_name, answers, monkeypatch):
    """Run the book's notebook in a kernel, then grade the saved notebook as
    `python -m grader grade` does (the seam's loader, batch.grade); (the ran
    notebook, the last cell's text, the saved notebook's grade)."""
    folder = released / "exercises"
    ran = run_notebook(the_books_notebook(released, answers), folder, kernel_name)
    for c in code_cells(ran):
        errors = [o for o in c.get("outputs", []) if o["output_type"] == "error"]
        assert not errors, (c["source"], errors)
    last = outputs(code_cells(ran)[-1], "text/plain")
    saved = released / "submission"
    saved.mkdir(exist_ok=True)
    (saved / "chapter3.ipynb").write_text(json.dumps(ran))
    monkeypatch.chdir(folder)  # where the kernel ran: the book's ../data
    learner = Learner(saved, seam_spec(), call_timeout=10.0, stand_ins=vars(ORACLE))
    return ran, last, grade(learner, DEFAULT_POINTS)


def test_the_books_cells_in_order_keep_a_right_learner_at_100(released, kernel_name, monkeypatch):
    ran, last, saved = run_the_book(released, kernel_name, reference_sources(), monkeypatch)
    assert "100/100" in last, last
    assert table(last) == {name: ("passed", DEFAULT_POINTS[name]) for name in NAMES}, last
    assert verdicts(saved) == {name: ("passed", DEFAULT_POINTS[name]) for name in NAMES}
    assert saved["score"] == 100
    page = outputs(code_cells(ran)[-1], "text/html")
    # 3.7 rebinds net, 3.3 data_iter: the grade says so, in one line each.
    assert "net now holds a Sequential" in page and "data_iter now holds a DataLoader" in page


def test_the_books_d2l_prefixed_helpers_run_in_the_kernel_and_pass(released, kernel_name,
                                                                   monkeypatch):
    """show_images, Animator, train_ch3 (which draws with Animator) and predict_ch3
    as the book prints them, d2l. prefixes and all, each cell headed by the
    book's `from d2l import torch as d2l`."""
    answers = reference_sources()
    answers.update({name: book_source(name)
                    for name in ("show_images", "Animator", "train_ch3", "predict_ch3")})
    ran, last, saved = run_the_book(released, kernel_name, answers, monkeypatch)
    assert "100/100" in last, last
    assert verdicts(saved) == {name: ("passed", DEFAULT_POINTS[name]) for name in NAMES}
    trained = next(c for c in code_cells(ran) if c["source"].startswith("num_epochs = 1\ntrain"))
    assert any(o["output_type"] == "display_data" for o in trained["outputs"]), trained
