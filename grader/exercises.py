"""The table of exercises: the one place that says, for each function a learner
writes, where it lives, what it is worth and which built-ins it may not call.

The grade table, --grade-json, the instructor outputs, the seam and the
release all read it. The checks that grade an exercise are the suite tests
marked with its name (grader/grading/suite/).
"""
from dataclasses import dataclass, field

from grader.i18n import N_, _


@dataclass(frozen=True)
class Exercise:
    """One function of d2l chapter 3 that the learner writes, in chapter order.

    name, module: the function and the learner's module (file stem) holding it.
    params: its d2l parameter names. points: default points (they sum to 100).
    section: the d2l section (in English, as hint, when it holds words).
    hint: the stub's one-line hint (in English: show it as _(hint)).
    iterates: its result is an iterable the grader materialises behind the seam;
        it may yield at most one item per element of its last argument.
    instance: it is a class; the grader calls its instances' methods behind the seam.
    uses: the other exercises it calls in d2l; while it is graded they are the
        oracle's, so a bug in one of them is not blamed on it (attribution).
    helpers: the book's helpers outside the exercises it calls (2.4's set_axes and
        use_svg_display, IPython's display): while it is graded they are the
        grader's, put in its module even when the module does not define them.
    forbidden: the built-ins that do the whole job, by the names PyTorch gives
        them (torch.softmax, Tensor.softmax, F.softmax, torch.ops.aten._softmax
        are all "softmax"); forbidden_code: code of PyTorch's own that does the
        whole job, by module path prefix -> what to call it in messages.
    build_from: what the learner builds it from instead (for the rule's message;
        in English, as hint).
    """
    name: str
    module: str
    params: tuple
    points: int
    section: str
    hint: str
    iterates: bool = False
    instance: bool = False
    uses: tuple = ()
    helpers: tuple = ()
    forbidden: tuple = ()
    forbidden_code: dict = field(default_factory=dict)
    build_from: str = ""


TABLE = (
    Exercise("Timer", "linear_regression", (), 2, "3.1.2",
             N_("start() stores time.time(); stop() appends time.time() minus it and returns it."),
             instance=True),
    Exercise("normal", "linear_regression", ("x", "mu", "sigma"), 2, "3.1.3",
             N_("1 / sqrt(2 * pi * sigma**2) * exp(-(x - mu)**2 / (2 * sigma**2)), with np.exp.")),
    Exercise("linreg_closed_form", "linear_regression", ("X", "y"), 3, N_("3.1, exercise 2"),
             N_("centre X and y; w = V diag(1/s) U^T y from torch.linalg.svd, skipping s near 0."),
             forbidden=("lstsq", "pinv", "inv", "inverse", "pinverse"),
             build_from=N_("torch.linalg.svd (or qr), matrix products and the means of X and y")),
    Exercise("synthetic_data", "linear_regression", ("w", "b", "num_examples"), 4, "3.2.1",
             N_("torch.normal(mean, std, size) draws the features and the noise.")),
    Exercise("data_iter", "linear_regression", ("batch_size", "features", "labels"), 4, "3.2.2",
             N_("shuffle a list of all indices once, then slice it batch by batch."), iterates=True,
             forbidden_code={"torch.utils.data.dataloader": "torch.utils.data.DataLoader",
                             "torch.utils.data.dataset.random_split":
                                 "torch.utils.data.random_split"},
             build_from=N_("a shuffled list of indices cut into slices")),
    Exercise("linreg", "linear_regression", ("X", "w", "b"), 4, "3.2.4",
             N_("a matrix product (torch.matmul), not an elementwise X * w."),
             forbidden=("linear",), build_from=N_("torch.matmul and +")),
    Exercise("squared_loss", "linear_regression", ("y_hat", "y"), 4, "3.2.5",
             N_("reshape y to y_hat's shape, or an (n,) y broadcasts to (n, n)."),
             forbidden=("mse_loss",), build_from=N_("a difference, a square and / 2")),
    Exercise("sgd", "linear_regression", ("params", "lr", "batch_size"), 8, "3.2.6",
             N_("update inside `with torch.no_grad():`, then param.grad.zero_()."),
             forbidden_code={"torch.optim": "torch.optim"},
             build_from=N_("an in-place update of each param under torch.no_grad()")),
    Exercise("huber_loss", "linear_regression", ("y_hat", "y", "delta"), 4, N_("3.3, exercise 2"),
             N_("e = y_hat - y: |e| - delta / 2 where |e| > delta, e**2 / (2 * delta) elsewhere."),
             forbidden=("huber_loss", "smooth_l1_loss"),
             build_from=N_("abs, a square and torch.where")),
    Exercise("softmax", "softmax_regression", ("X",), 8, "3.6.2",
             N_("exp(1000.) is inf in float32; subtract each row's max before exp."),
             forbidden=("softmax", "log_softmax"), build_from=N_("exp and sum")),
    Exercise("net", "softmax_regression", ("X",), 3, "3.6.3",
             N_("requires_grad=True on W and b; net(X) is softmax(X.reshape((-1, 784)) @ W + b)."),
             uses=("softmax",)),
    Exercise("cross_entropy", "softmax_regression", ("y_hat", "y"), 4, "3.6.4",
             N_("y_hat[range(len(y_hat)), y] picks each row's true-class probability."),
             forbidden=("cross_entropy", "cross_entropy_loss", "nll_loss", "nll_loss_nd",
                        "nll_loss_forward"),
             build_from=N_("indexing and log")),
    Exercise("accuracy", "softmax_regression", ("y_hat", "y"), 4, "3.6.5",
             N_("argmax over dim=1 only when y_hat has more than one column.")),
    Exercise("cross_entropy_from_logits", "softmax_regression", ("o", "y"), 4, "3.7.2",
             N_("log of the sum of exps is m + log(sum(exp(o - m))), m each row's max."),
             forbidden=("cross_entropy", "cross_entropy_loss", "log_softmax", "logsumexp"),
             build_from=N_("max, exp, sum, log and indexing (the log-sum-exp trick)")),
    Exercise("get_fashion_mnist_labels", "training", ("labels",), 2, "3.5.1",
             N_("index a list of the ten names with int(i) for each label i.")),
    Exercise("show_images", "training", ("imgs", "num_rows", "num_cols", "titles", "scale"), 2,
             "3.5.1", N_("plt.subplots(num_rows, num_cols, figsize=(num_cols * scale,"
                         " num_rows * scale)), then axes.flatten().")),
    Exercise("get_dataloader_workers", "training", (), 1, "3.5.2",
             N_("return the number of processes that read the data: the book uses 4.")),
    Exercise("load_data_fashion_mnist", "training", ("batch_size", "resize"), 3, "3.5.3",
             N_("ToTensor() (after Resize(resize) if resize); shuffle the training set only."),
             uses=("get_dataloader_workers",)),
    Exercise("Accumulator", "training", ("n",), 4, "3.6.5",
             N_("keep a list of n floats; add(*args) adds float(arg) to each slot."),
             instance=True),
    Exercise("evaluate_accuracy", "training", ("net", "data_iter"), 4, "3.6.5",
             N_("sum the correct predictions and the examples over all batches, then divide."),
             uses=("Accumulator", "accuracy")),
    Exercise("train_epoch_ch3", "training", ("net", "train_iter", "loss", "updater"), 8, "3.6.6",
             N_("an Optimizer steps on l.mean(); any other updater gets X.shape[0] after"
             " l.sum().backward()."), uses=("Accumulator", "accuracy")),
    Exercise("Animator", "training",
             ("xlabel", "ylabel", "legend", "xlim", "ylim", "xscale", "yscale", "fmts", "nrows",
              "ncols", "figsize"), 2, "3.6.6",
             N_("add(x, y) appends each y[i] to line i, then redraws every line and calls"
             " config_axes()."), instance=True, helpers=("set_axes", "use_svg_display", "display")),
    Exercise("train_ch3", "training",
             ("net", "train_iter", "test_iter", "loss", "num_epochs", "updater"), 4, "3.6.6",
             N_("each epoch: train_epoch_ch3, then evaluate_accuracy on test_iter; keep each row."),
             uses=("train_epoch_ch3", "evaluate_accuracy", "Animator")),
    Exercise("predict_ch3", "training", ("net", "test_iter", "n"), 2, "3.6.7",
             N_("take the first batch; the prediction is net(X).argmax(dim=1)."),
             uses=("get_fashion_mnist_labels", "show_images")),
    Exercise("load_array", "concise", ("data_arrays", "batch_size", "is_train"), 2, "3.3.2",
             N_("data.DataLoader(data.TensorDataset(*data_arrays), batch_size,"
                " shuffle=is_train).")),
    Exercise("linreg_concise", "concise", (), 4, "3.3.3",
             N_("net[0].weight.data.normal_(0, 0.01) and net[0].bias.data.fill_(0).")),
    Exercise("softmax_concise", "concise", (), 4, "3.7.1",
             N_("nn.Flatten() before nn.Linear(784, 10); nn.init.normal_(weight, std=0.01).")),
)
BY_NAME = {e.name: e for e in TABLE}
NAMES = tuple(BY_NAME)
NAME_WIDTH = max(map(len, NAMES))  # for tables with a column of names
MODULES = {e.module: tuple(x.name for x in TABLE if x.module == e.module) for e in TABLE}
DEFAULT_POINTS = {e.name: e.points for e in TABLE}
_FILES = [f"{module}.py" for module in MODULES]
# The learner's files, for messages: "a.py, b.py and c.py".
FILES = f"{', '.join(_FILES[:-1])} and {_FILES[-1]}"


def seam_spec(allow_builtins=False):
    """What the seam needs to know of each exercise, as plain JSON-able data (the
    worker receives it over the pipe): {name: {module, iterates, instance,
    uses, helpers, forbidden, forbidden_code}}. With allow_builtins, nothing is forbidden."""
    return {e.name: {"module": e.module, "iterates": e.iterates, "instance": e.instance,
                     "uses": list(e.uses), "helpers": list(e.helpers),
                     "forbidden": [] if allow_builtins else list(e.forbidden),
                     "forbidden_code": {} if allow_builtins else dict(e.forbidden_code)}
            for e in TABLE}


def from_scratch_message(exercise, builtin, values_right):
    """What a learner reads when their `exercise` calls `builtin`."""
    e = BY_NAME[exercise]
    values = dict(exercise=exercise, builtin=builtin, build_from=_(e.build_from),
                  section=_(e.section))
    if values_right:
        return _("{exercise} calls {builtin}: this exercise asks you to build it from"
                 " {build_from} (d2l {section}). Your values were right, so you are one step"
                 " away.").format(**values)
    return _("{exercise} calls {builtin}: this exercise asks you to build it from {build_from}"
             " (d2l {section}).").format(**values)
