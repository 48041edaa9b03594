"""The notebook front-end: grader.check in a notebook's namespace grades as the
folder of modules does, leaves the notebook as it was, ends hangs; and the
release's notebook, its cells the stubs' own source, run by a real Jupyter
kernel (nbclient and ipykernel, of the Python running these tests)."""
import ast
import gc
import json
import random
import sys
import textwrap
import time

import numpy as np
import pytest
import torch

from grader.learner import notebook
from grader.portable import time_limits
from grader.grading.session import grade
from grader.exercises import BY_NAME, DEFAULT_POINTS, MODULES, NAMES, TABLE
from grader.grading.data import load_fashion_mnist
from grader.classroom.release import NOTEBOOK, release, stub_parts
from grader.portable.recipes.features import ScaledImages, as_float_features
from tests import alternatives, from_scratch, wrong  # noqa: F401 - register the variants
from tests.catalogue import ALTERNATIVES, BUILTINS, WRONG, first_of_each_exercise
from tests.conftest import KIT_ROOT, THIS_KIT, make_impl, variant_source


def notebook_namespace(folder):
    """The four modules of `folder` run into one namespace, as a notebook run from
    the top holds them: imports that only join the modules left out. Each is
    compiled under its own file's name, so that tracebacks point where the
    folder's own modules would."""
    names = {"__name__": "__main__"}
    for module in MODULES:
        path = folder / f"{module}.py"
        # Blank, not dropped: the lines keep their numbers, as tracebacks show them.
        source = "\n".join("" if line.split(" import ")[0] in {f"from {m}" for m in MODULES}
                           else line for line in path.read_text().splitlines())
        exec(compile(source, str(path), "exec"), names)
    return names


@pytest.fixture(scope="module")
def small_fashion():
    """A fifth of Fashion-MNIST's training set and of its test set: both paths
    train on the same data, in a fifth of the time."""
    data = load_fashion_mnist()
    features = ((ScaledImages(data.train_images[:12000]), data.train_labels[:12000]),
                (as_float_features(data.test_images[:2000]), data.test_labels[:2000]))
    return lambda: features


def _gist(feedback):
    """A message's title and hint lines: what a learner reads first. The values
    shown may differ, since the notebook's module-level draws (W) are its own."""
    return [line for line in feedback.splitlines()
            if not line.startswith(" ") or line.startswith("  hint")]


# The first wrong, valid and built-in implementation of each exercise: the
# whole catalogue twice over would double the kit's test time.
SAMPLE = first_of_each_exercise(WRONG) + first_of_each_exercise(ALTERNATIVES) \
    + first_of_each_exercise(BUILTINS)


@pytest.mark.parametrize("variant", SAMPLE, ids=str)
def test_notebook_grades_as_the_folder_of_modules_does(variant, tmp_path, small_fashion):
    """Same checks, statuses, attribution, from-scratch rule, first message and
    mistake: a sample of the catalogue through grader.check's path and the folder's."""
    folder = tmp_path / "impl"
    learner = make_impl(folder, {variant.exercise: variant_source(variant)})
    by_folder = grade(learner, DEFAULT_POINTS, exercises=(variant.exercise,),
                      fashion=small_fashion)["exercises"][variant.exercise]
    by_notebook = notebook.check_names(notebook_namespace(folder), variant.exercise,
                                       call_timeout=5.0, fashion=small_fashion)
    got = by_notebook.grade["exercises"][variant.exercise]
    assert (got["status"], _gist(got["feedback"])) == \
        (by_folder["status"], _gist(by_folder["feedback"]))
    assert got.get("mistake") == by_folder.get("mistake")


def test_untouched_and_undefined_exercises_say_so_in_notebook_words():
    names = {}
    exec("def softmax(X):\n    raise NotImplementedError\n", names)
    result = notebook.check_names(names)
    assert result.status("softmax") == "not_attempted"
    assert "its cell of the notebook" in result.grade["exercises"]["softmax"]["feedback"]
    assert result.status("linreg") == "missing"
    assert "the notebook defines no function linreg()" in str(result)
    assert ".py" not in result.grade["exercises"]["linreg"]["feedback"]


def reference_namespace():
    return notebook_namespace(KIT_ROOT / "solutions")


def test_checking_leaves_the_notebook_and_the_random_state_as_they_were():
    names = reference_namespace()
    exec(textwrap.dedent("""
        W = torch.normal(0, 0.01, size=(784, 10), requires_grad=True)
        b = torch.zeros(10, requires_grad=True)
        lr, calls = 0.1, 0
        _softmax = softmax
        def softmax(X):
            # Valid, and meddling: it changes the notebook's W and rebinds names.
            global calls, lr
            calls += 1
            lr = None
            with torch.no_grad():
                W.add_(1.0)
            return _softmax(X)
        """), names)
    before = {key: value for key, value in names.items() if key != "__builtins__"}
    W, W_values = names["W"], names["W"].detach().clone()
    torch.manual_seed(7), random.seed(7), np.random.seed(7)
    expected = torch.rand(3), random.random(), np.random.rand()
    torch.manual_seed(7), random.seed(7), np.random.seed(7)
    result = notebook.check_names(names, "softmax")
    assert result.status("softmax") == "passed", str(result)
    assert torch.equal(torch.rand(3), expected[0])
    assert (random.random(), np.random.rand()) == expected[1:]
    after = {key: value for key, value in names.items() if key != "__builtins__"}
    assert after.keys() == before.keys()
    assert all(after[key] is before[key] for key in before)
    assert names["W"] is W and torch.equal(W, W_values) and names["calls"] == 0


def test_grading_draws_out_of_interactive_mode_with_what_the_kernel_held_frozen():
    """A kernel's inline backend keeps each figure drawn in interactive mode until
    the cell ends, and a full pass of the garbage collector over a kernel's
    objects takes a third of a second: while grading, interactive mode is off
    and the objects held before are frozen; after it, both are as before."""
    import matplotlib
    import matplotlib.pyplot as plt
    names, seen = reference_namespace(), []
    book_show_images = names["show_images"]

    def show_images(imgs, num_rows, num_cols, titles=None, scale=1.5):
        seen.append((matplotlib.is_interactive(), gc.get_freeze_count() > 0))
        return book_show_images(imgs, num_rows, num_cols, titles, scale)
    names["show_images"] = show_images
    frozen_by_the_plugin = gc.get_freeze_count() > 0
    gc.unfreeze()
    plt.ion()
    try:
        result = notebook.check_names(names, "show_images", call_timeout=5.0)
        assert matplotlib.is_interactive() and gc.get_freeze_count() == 0
    finally:
        plt.ioff()
        if frozen_by_the_plugin:
            gc.freeze()
    assert result.status("show_images") == "passed", str(result)
    assert seen and set(seen) == {(False, True)}


def test_a_hang_ends_by_the_timer_thread_where_there_is_no_sigalrm(monkeypatch):
    """Windows has no SIGALRM: the fallback ends a Python-level hang too."""
    monkeypatch.setattr(time_limits, "USE_SIGNALS", False)
    names = reference_namespace()
    exec("def softmax(X):\n    while True:\n        pass\n", names)
    start = time.monotonic()
    result = notebook.check_names(names, "softmax", call_timeout=1.0)
    assert result.status("softmax") == "timeout"
    assert "did not finish within 1 s" in str(result)
    assert time.monotonic() - start < 30
    with time_limits.time_limit(0.2, "softmax"):
        pass
    time.sleep(0.4)  # a limit that did not expire raises nothing later


def test_one_exercise_shows_its_message_under_its_heading_with_no_total_and_escaped_html():
    """grader.check("name"): the message under the exercise's heading, then its
    row; no total row, and no next step repeating the message just above."""
    names = reference_namespace()
    exec("def get_fashion_mnist_labels(labels):\n    return [f'<{int(i)}>' for i in labels]\n",
         names)
    result = notebook.check_names(names, "get_fashion_mnist_labels")
    text = str(result)
    message = result.grade["exercises"]["get_fashion_mnist_labels"]["feedback"]
    assert result.status("get_fashion_mnist_labels") == "failed"
    assert text.splitlines()[:3] == [
        "=" * 26 + " d2l chapter 3: what to fix " + "=" * 26,
        "_" * 21 + " get_fashion_mnist_labels (d2l 3.5.1) " + "_" * 21, ""]
    assert f"\n{message}\n" + "=" * 26 + " d2l chapter 3: your grade " in text
    assert text.splitlines()[-1].startswith("  get_fashion_mnist_labels  FAILED ")
    assert "total" not in text and "next:" not in text and "grader.check(" not in text
    assert repr(result) == text
    page = result._repr_html_()
    assert "<script" not in page and "http" not in page and "<0>" not in page
    assert notebook.esc(message) in page and "total" not in page and "next:" not in page


def test_several_exercises_end_with_the_total_and_the_next_step():
    grade = {"score": 2, "max_score": 10, "exercises": {
        "Timer": {"status": "passed", "score": 2, "max_score": 2, "feedback": "all 3 checks passed"},
        "softmax": {"status": "failed", "score": 0, "max_score": 8,
                    "feedback": "softmax: wrong values\n  hint     subtract the max"}}}
    lines = str(notebook.Result(grade)).splitlines()
    assert lines[1] == "_" * 29 + " softmax (d2l 3.6.2) " + "_" * 30
    assert lines[-3:] == [
        "  total                                      2/10   (1 of 2 exercises passed)",
        "  next: softmax: wrong values",
        '        then run `grader.check("softmax")` to grade just that one']
    page = notebook.Result(grade)._repr_html_()
    assert "next: softmax: wrong values" in page and "1 of 2 exercises passed" in page


# The release's notebook.

@pytest.fixture(scope="module")
def released(tmp_path_factory):
    return release(tmp_path_factory.mktemp("release") / "kit")


def read_notebook(released):
    return json.loads((released / NOTEBOOK).read_text())


def code_cells(nb):
    return [cell for cell in nb["cells"] if cell["cell_type"] == "code"]


def test_notebook_cells_are_the_stubs_own_source(released):
    """Each exercise's cell is its stub exactly as exercises/*.py holds it, followed
    by its check cell; the imports cell holds the stubs' imports but those that
    join the learner's files; nothing else of the stubs is left out."""
    sources = [cell["source"] for cell in code_cells(read_notebook(released))]
    for module in MODULES:
        stub = (KIT_ROOT / "exercises" / f"{module}.py").read_text()
        imports, defs = stub_parts(stub)
        assert set(defs) == {e.name for e in TABLE if e.module == module}
        for name, source in defs.items():
            assert source.lstrip("#").startswith(("def ", "class ", " ")) and source in stub
            at = sources.index(source)
            assert sources[at + 1] == f'grader.check("{name}")'
        top = [node for node in ast.parse(stub).body[1:]]
        assigned = sum(isinstance(node, ast.Assign) for node in top)  # net's W and b
        assert len(top) == len(defs) + len(imports) + assigned + sum(
            isinstance(node, ast.ImportFrom) and node.module in MODULES for node in top)
        assert all(line in sources[1].splitlines() for line in imports)
    assert sources[1].splitlines()[0] == "import grader"
    assert not any(f"from {m} import" in text for text in sources for m in MODULES)
    assert sources[-1] == "grader.check()"


def test_notebook_has_the_sections_and_the_setup_cell(released):
    nb = read_notebook(released)
    markdown = "\n".join(c["source"] for c in nb["cells"] if c["cell_type"] == "markdown")
    for e in TABLE:
        assert f"### {e.name} (d2l {e.section})" in markdown
    setup = code_cells(nb)[0]["source"]
    assert "git clone https://github.com/YOUR-ACCOUNT/YOUR-REPOSITORY.git" in setup
    assert "%pip install -q -e ." in setup
    assert all(line.startswith("#") for line in setup.splitlines())  # runs as a no-op


@pytest.fixture(scope="module")
def kernel_name(tmp_path_factory):
    """A kernel spec for the Python running these tests (the venv's), found through
    JUPYTER_PATH whatever kernels the machine has installed; its grader is this
    checkout's."""
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "kernels" / "d2lkit-test"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "d2lkit tests", "language": "python", "env": {"PYTHONPATH": THIS_KIT}}))
    mp = pytest.MonkeyPatch()
    mp.setenv("JUPYTER_PATH", str(root))
    yield "d2lkit-test"
    mp.undo()


def run_notebook(nb, folder, kernel_name):
    """Run every cell of `nb` (a dict) in a fresh kernel whose working folder is
    `folder`; the notebook with its outputs."""
    import nbclient
    import nbformat
    node = nbformat.from_dict(nb)
    client = nbclient.NotebookClient(node, kernel_name=kernel_name, timeout=900,
                                     resources={"metadata": {"path": str(folder)}})
    client.execute()
    return node


def outputs(cell, kind):
    """The `kind` ("text/plain", "text/html") of a code cell's results, and its printed text."""
    texts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") in ("execute_result", "display_data"):
            texts.append(out["data"].get(kind, ""))
        elif out.get("output_type") == "stream":
            texts.append(out["text"])
        elif out.get("output_type") == "error":
            texts.append(f"{out['ename']}: {out['evalue']}")
    return "".join(texts)


def with_cells(nb, replace):
    """A copy of `nb` with each code cell's source passed through `replace`."""
    nb = json.loads(json.dumps(nb))
    for cell in code_cells(nb):
        cell["source"] = replace(cell["source"])
    return nb


def check_cell(nb, exercise):
    return next(c for c in code_cells(nb) if c["source"] == f'grader.check("{exercise}")')


def test_kernel_runs_the_untouched_notebook_every_exercise_not_attempted(released, kernel_name):
    ran = run_notebook(read_notebook(released), released / "exercises", kernel_name)
    last = outputs(code_cells(ran)[-1], "text/plain")
    rows = {line.split()[0]: line.split()[1:3] for line in last.splitlines() if line.strip()}
    for name in NAMES:
        assert rows.get(name) == ["not", "attempted"], last
    assert "0/100" in last and "<td" in outputs(code_cells(ran)[-1], "text/html")


def reference_sources():
    """{exercise: its reference's source} from solutions/*.py."""
    found = {}
    for module in MODULES:
        found.update(stub_parts((KIT_ROOT / "solutions" / f"{module}.py").read_text())[1])
    return found


PLOT = "import matplotlib.pyplot as plt\nplt.plot([1, 2], [3, 4])\nplt.show()"


def with_answers(nb, answers):
    """A copy of `nb` with each exercise's stub cell holding answers[exercise],
    else the reference's source."""
    stubs = {}
    for module in MODULES:
        stubs.update({v: k for k, v in stub_parts(
            (KIT_ROOT / "exercises" / f"{module}.py").read_text())[1].items()})
    answers = reference_sources() | answers
    return with_cells(nb, lambda s: answers[stubs[s]] if s in stubs else s)


def test_kernel_grades_the_references_100(released, kernel_name, monkeypatch):
    # The kernel starts as a learner's does, without the Agg backend that the
    # grader's pytest plugin sets for this process: its figures show inline.
    monkeypatch.delenv("MPLBACKEND", raising=False)
    nb = with_answers(read_notebook(released), {})
    # After grading (Animator's checks call use_svg_display), the learner's own
    # plot is shown as before: the grader changed none of the notebook's settings.
    nb["cells"].append({"cell_type": "code", "metadata": {}, "execution_count": None,
                        "outputs": [], "source": PLOT})
    ran = run_notebook(nb, released / "exercises", kernel_name)
    for name in NAMES:
        assert "passed" in outputs(check_cell(ran, name), "text/plain"), name
    assert "100/100" in outputs(code_cells(ran)[-2], "text/plain")
    shown = [o["data"] for o in code_cells(ran)[-1]["outputs"] if o["output_type"] == "display_data"]
    assert shown and all("image/png" in d and "image/svg+xml" not in d for d in shown), shown


# The book's normal (3.1.3): np.exp of a tensor makes NumPy 2 warn at each call.
BOOK_NORMAL = """def normal(x, mu, sigma):
    p = 1 / math.sqrt(2 * math.pi * sigma**2)
    return p * np.exp(-0.5 / sigma**2 * (x - mu)**2)
"""
# The book's load_data_fashion_mnist without ToTensor(): its 4 DataLoader
# workers each fail to batch the PIL images.
NO_TO_TENSOR = """def load_data_fashion_mnist(batch_size, resize=None):
    trans = []
    if resize:
        trans.insert(0, transforms.Resize(resize))
    trans = transforms.Compose(trans)
    mnist_train = torchvision.datasets.FashionMNIST(
        root="../data", train=True, transform=trans, download=True)
    mnist_test = torchvision.datasets.FashionMNIST(
        root="../data", train=False, transform=trans, download=True)
    return (data.DataLoader(mnist_train, batch_size, shuffle=True,
                            num_workers=get_dataloader_workers()),
            data.DataLoader(mnist_test, batch_size, shuffle=False,
                            num_workers=get_dataloader_workers()))
"""
# The book's 3.2.7 training cell: it leaves its loss l, a non-leaf tensor, bound.
TRAINING_327 = """true_w, true_b = torch.tensor([2, -3.4]), 4.2
features, labels = synthetic_data(true_w, true_b, 1000)
w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
b = torch.zeros(1, requires_grad=True)
lr, num_epochs, batch_size = 0.03, 1, 10
for epoch in range(num_epochs):
    for X, y in data_iter(batch_size, features, labels):
        l = squared_loss(linreg(X, w, b), y)
        l.sum().backward()
        sgd([w, b], lr, batch_size)
"""


def test_kernel_output_is_the_message_without_noise(released, kernel_name):
    """In a real kernel: a check of the book's normal (NumPy warns at each call)
    says the warning once; one of a loader whose DataLoader workers fail says
    the learner's error's own line, with no worker traceback and no line
    printed by the workers, and ends in seconds; a check after the book's 3.2.7
    training cell shows none of the kit's own warnings."""
    nb = with_answers(read_notebook(released), {"normal": BOOK_NORMAL,
                                                "load_data_fashion_mnist": NO_TO_TENSOR})
    kept = [f'grader.check("{name}")' for name in ("normal", "load_data_fashion_mnist",
                                                   "huber_loss")]
    cells = [c for c in nb["cells"] if c["cell_type"] != "code" or not
             c["source"].startswith("grader.check(") or c["source"] in kept]
    at = cells.index(check_cell(nb, "huber_loss"))
    cells.insert(at, {"cell_type": "code", "id": "book-3-2-7", "metadata": {},
                      "execution_count": None, "outputs": [], "source": TRAINING_327})
    loading = check_cell(nb, "load_data_fashion_mnist")
    loading["source"] = ("import time\nstarted = time.monotonic()\n"
                         'result = grader.check("load_data_fashion_mnist")\n'
                         "seconds = time.monotonic() - started\nresult")
    cells.append({"cell_type": "code", "id": "seconds", "metadata": {},
                  "execution_count": None, "outputs": [], "source": "print(seconds)"})
    nb["cells"] = cells
    ran = run_notebook(nb, released / "exercises", kernel_name)

    def printed(cell):
        return "".join(o["text"] for o in cell["outputs"] if o["output_type"] == "stream")
    normal, huber = check_cell(ran, "normal"), check_cell(ran, "huber_loss")
    loaded = next(c for c in ran.cells if "load_data_fashion_mnist" in c["source"]
                  and c["source"].startswith("import time"))
    for cell in (normal, loaded, huber):
        assert printed(cell) == "", printed(cell)  # no warning, nothing from the workers
    assert "passed" in outputs(normal, "text/plain") and "passed" in outputs(huber, "text/plain")
    assert outputs(normal, "text/html").count("__array_wrap__ must accept context") == 1
    message = outputs(loaded, "text/plain")
    assert message.count("found <class 'PIL.Image.Image'>") == 1, message
    for noise in ("Traceback", "worker process", "site-packages", "Exception ignored"):
        assert noise not in message, message
    seconds = float(printed(next(c for c in ran.cells if c.get("id") == "seconds")))
    print(f"load_data_fashion_mnist without ToTensor() graded in {seconds:.1f} s")
    assert seconds < 15  # it took 22 s when the failed loaders' workers outlived their check


WRONG_SOFTMAX = "def softmax(X):\n    X_exp = torch.exp(X)\n    return X_exp / X_exp.sum(1, keepdim=True)\n"
HANGING_SOFTMAX = "def softmax(X):\n    while True:\n        pass\n"


def test_kernel_shows_a_wrong_softmax_message_in_html(released, kernel_name):
    nb = read_notebook(released)
    stub = stub_parts((KIT_ROOT / "exercises" / "softmax_regression.py").read_text())[1]["softmax"]
    nb = with_cells(nb, lambda s: WRONG_SOFTMAX if s == stub else s)
    ran = run_notebook(nb, released / "exercises", kernel_name)
    page = outputs(check_cell(ran, "softmax"), "text/html")
    assert "every value must be finite" in page and "subtract each row" in page, page
    assert "FAILED" in page


def test_kernel_stops_a_hanging_function_and_runs_the_next_cell(released, kernel_name):
    stub = stub_parts((KIT_ROOT / "exercises" / "softmax_regression.py").read_text())[1]["softmax"]
    nb = with_cells(read_notebook(released), lambda s: HANGING_SOFTMAX if s == stub else s)
    cells = nb["cells"]
    at = cells.index(check_cell(nb, "softmax"))
    check_cell(nb, "softmax")["source"] = 'grader.check("softmax", call_timeout=2)'
    cells.insert(at + 1, {"cell_type": "code", "id": "after-hang", "metadata": {},
                          "execution_count": None, "outputs": [],
                          "source": "print('still running', 1 + 1)"})
    nb["cells"] = [c for c in cells if c["source"] != "grader.check()"]
    ran = run_notebook(nb, released / "exercises", kernel_name)
    hung = next(c for c in ran.cells if c["source"].startswith('grader.check("softmax"'))
    assert "did not finish within 2 s" in outputs(hung, "text/plain")
    after = next(c for c in ran.cells if c.get("id") == "after-hang")
    assert outputs(after, "text/plain") == "still running 2\n"


def test_importing_the_package_stays_light():
    """The instructor command's parent process imports grader: no torch there."""
    import subprocess
    code = "import grader, sys; assert callable(grader.check); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
