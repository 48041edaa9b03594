"""Every Hypothesis strategy of the grader: small, bounded, float32-exact tensors
that shrink well (dimensions are drawn first, then the entries)."""
import numpy as np
import torch
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

dims = st.integers(1, 8)


def floats32(bound):
    return st.floats(-bound, bound, width=32, allow_subnormal=False)


@st.composite
def float_tensors(draw, shape, *, bound=50.0):
    """A float32 tensor of the given shape, entries in [-bound, bound]."""
    return torch.from_numpy(draw(arrays(np.float32, shape, elements=floats32(bound))))


@st.composite
def feature_matrices(draw, *, max_n=8, max_d=8, bound=50.0):
    """(n, d) float32 tensors."""
    return draw(float_tensors((draw(st.integers(1, max_n)), draw(st.integers(1, max_d))),
                              bound=bound))


@st.composite
def linreg_inputs(draw):
    """(X, w, b): X (n, d), w (d, 1), b (1,), all float32."""
    X = draw(feature_matrices())
    return X, draw(float_tensors((X.shape[1], 1), bound=10.0)), draw(float_tensors((1,), bound=10.0))


@st.composite
def regression_pairs(draw):
    """(y_hat, y): y_hat (n, 1) and y either (n,) or (n, 1), float32."""
    n = draw(dims)
    y_shape = draw(st.sampled_from([(n,), (n, 1)]))
    return draw(float_tensors((n, 1))), draw(float_tensors(y_shape))


@st.composite
def huber_cases(draw):
    """(y_hat, y, delta): y_hat (n, 1) float32, y (n,) or (n, 1), the errors y_hat - y
    on both sides of delta (up to 4 delta); delta 1 (the default), 0.5, 2 or 3."""
    n = draw(dims)
    delta = draw(st.sampled_from([1.0, 0.5, 2.0, 3.0]))
    y = draw(float_tensors((n, 1), bound=10.0))
    y_hat = y + draw(float_tensors((n, 1), bound=4 * delta))
    return y_hat, y.reshape(draw(st.sampled_from([(n,), (n, 1)]))), delta


@st.composite
def sgd_cases(draw):
    """(values, grads, lr, batch_size): 1 to 3 float32 parameters with gradients."""
    shapes = draw(st.lists(st.sampled_from([(1,), (2, 1), (3, 2), (4,)]), min_size=1, max_size=3))
    values = [draw(float_tensors(s, bound=10.0)) for s in shapes]
    grads = [draw(float_tensors(s, bound=10.0)) for s in shapes]
    lr = draw(st.sampled_from([0.03, 0.1, 0.5, 1.0]))
    return values, grads, lr, draw(st.integers(1, 64))


@st.composite
def logits(draw, *, min_q=1):
    """(n, q) float32 logits in [-50, 50]: naive exp() still fits float32 here."""
    n, q = draw(dims), draw(st.integers(min_q, 8))
    return draw(float_tensors((n, q)))


@st.composite
def large_logits(draw):
    """(n, q) logits of magnitude up to 1e4, each row on its own scale: a row
    offset in [-1e4, 1e4] plus small differences, so that neither exp() of the
    raw logits nor subtracting one global max works."""
    n, q = draw(st.integers(2, 6)), draw(st.integers(2, 6))
    offsets = draw(float_tensors((n, 1), bound=1e4))
    return (offsets.double() + draw(float_tensors((n, q), bound=20.0))).float()


@st.composite
def class_labels(draw, n, q):
    return torch.tensor(draw(st.lists(st.integers(0, q - 1), min_size=n, max_size=n)))


@st.composite
def probabilities_with_labels(draw, *, zeros=False):
    """(y_hat, y): rows of probabilities (softmax of logits in [-3, 3], so none is
    tiny) and int64 labels. With zeros=True some entries other than the true
    class are exactly 0 and the rest renormalised."""
    n, q = draw(dims), draw(st.integers(2, 8))
    y = draw(class_labels(n, q))
    p = torch.softmax(draw(float_tensors((n, q), bound=3.0)).double(), dim=1)
    if zeros:
        keep = torch.from_numpy(draw(arrays(np.bool_, (n, q))))
        keep[torch.arange(n), y] = True
        p = p * keep
        p = p / p.sum(dim=1, keepdim=True)
    return p.float(), y


@st.composite
def logits_with_labels(draw, *, large=False):
    """(o, y): (n, q) float32 logits with q >= 2, as logits() draws them or, with
    large=True, as large_logits() does; and int64 labels."""
    o = draw(large_logits() if large else logits(min_q=2))
    return o, draw(class_labels(*o.shape))


@st.composite
def scores_with_labels(draw):
    """(y_hat, y): (n, q) float32 scores with no ties in a row (ties make argmax
    ambiguous), q >= 2, and int64 labels."""
    n, q = draw(dims), draw(st.integers(2, 8))
    rows = [draw(st.permutations(range(q))) for _ in range(n)]
    scale = draw(st.sampled_from([1.0, 0.01, 100.0]))
    y_hat = torch.tensor(rows, dtype=torch.float32) * scale - draw(st.sampled_from([0.0, 3.5]))
    return y_hat, draw(class_labels(n, q))


@st.composite
def predicted_labels(draw):
    """(y_hat, y): (n,) int64 predicted labels and (n,) int64 true labels."""
    n, q = draw(dims), draw(st.integers(2, 8))
    return draw(class_labels(n, q)), draw(class_labels(n, q))


@st.composite
def batching_cases(draw):
    """(batch_size, n, d): sizes including 1, batch sizes that do not divide n,
    and batch sizes larger than n."""
    n = draw(st.integers(1, 40))
    return draw(st.integers(1, 50)), n, draw(st.integers(1, 3))


def indexed_dataset(n, d):
    """(features, labels) whose rows carry their own index: features[i] = i + j/10
    in column j and labels[i] = [1000 + i], so order and alignment can be read off."""
    ids = torch.arange(n, dtype=torch.float32).unsqueeze(1)
    features = ids + torch.arange(d, dtype=torch.float32) / 10
    return features, 1000 + ids


@st.composite
def accumulator_runs(draw, *, resets=False, tensors=False):
    """(n, steps) for an Accumulator(n): steps ("add", n values) and, with resets,
    ("reset", ()), at least one, followed by an add. Values are ints and
    float32-exact floats, as train_epoch_ch3 adds; with tensors, some are 0-dim
    float32 tensors, some requiring grad (as a loss would)."""
    n = draw(st.integers(1, 4))
    value = st.one_of(st.integers(0, 300), floats32(100.0))
    if tensors:
        value = st.one_of(value, st.builds(
            lambda x, grad: torch.tensor(x, requires_grad=grad), floats32(100.0), st.booleans()))
    add = st.tuples(st.just("add"), st.tuples(*[value] * n))
    reset = ("reset", ())
    if resets:
        steps = draw(st.lists(st.one_of(add, st.just(reset)), max_size=4)) + [reset, draw(add)]
    else:
        steps = draw(st.lists(add, min_size=1, max_size=6))
    return n, steps


@st.composite
def fashion_labels(draw):
    """(n,) int64 labels of Fashion-MNIST's ten classes, n in [0, 12]."""
    n = draw(st.integers(0, 12))
    return torch.tensor(draw(st.lists(st.integers(0, 9), min_size=n, max_size=n)),
                        dtype=torch.int64)


# --- 3.1's helpers, the closed-form solution, 3.6's net ---------------------------

eighths = st.integers(1, 800).map(lambda k: k / 8)  # seconds a float adds exactly


@st.composite
def timer_intervals(draw):
    """[(gap, duration), ...]: 1 to 5 timed runs, each after a gap (seconds, in
    eighths, so that sums are exact)."""
    gap = st.integers(0, 80).map(lambda k: k / 8)
    return draw(st.lists(st.tuples(gap, eighths), min_size=1, max_size=5))


@st.composite
def normal_cases(draw):
    """(x, mu, sigma): x a float32 tensor of shape (n,) or (n, m) in [-10, 10],
    mu in [-3, 3], sigma in [0.25, 4]."""
    shape = draw(st.sampled_from([(draw(dims),), (draw(dims), draw(dims))]))
    x = draw(float_tensors(shape, bound=10.0))
    mu = draw(floats32(3.0))
    sigma = draw(st.floats(0.25, 4.0, width=32))
    return x, mu, sigma


def least_squares_problem(seed, n, d, *, rank=None, cond=10.0, copies=0):
    """(X (n, d + copies), y (n, 1)), float32: the centred X has singular values
    from 10 down to 10 / cond, `rank` of them (default d; at most n - 1), then
    an offset row; `copies` more columns are exact multiples (x 1, 2 or -0.5) of
    the first ones, so that the features are exactly collinear."""
    gen = torch.Generator().manual_seed(seed)
    rank = min(d if rank is None else rank, n - 1)
    Z = torch.randn(n, rank, generator=gen, dtype=torch.float64)
    U = torch.linalg.qr(Z - Z.mean(dim=0))[0] if rank else Z
    V = torch.linalg.qr(torch.randn(d, rank, generator=gen, dtype=torch.float64))[0]
    s = torch.logspace(1, 1 - float(np.log10(cond)), rank, dtype=torch.float64)
    X = (U * s) @ V.T + 3 * torch.randn(d, generator=gen, dtype=torch.float64)
    X = X.float()
    scales = (1.0, 2.0, -0.5)
    X = torch.cat([X] + [X[:, [i % d]] * scales[i % 3] for i in range(copies)], dim=1)
    w = torch.randn(X.shape[1], 1, generator=gen)
    y = X @ w + 2.0 + torch.randn(n, 1, generator=gen)
    return X, y


@st.composite
def least_squares_problems(draw, *, wide=False, copies=0):
    """(X, y) of least_squares_problem: n > d + 1 (wide: n <= d), d in [1, 5], y
    (n, 1) or (n,)."""
    d = draw(st.integers(1, 5))
    n = draw(st.integers(1, d)) if wide else draw(st.integers(d + 2, d + 12))
    X, y = least_squares_problem(draw(st.integers(0, 2**16)), n, d, copies=copies)
    return X, y.reshape(draw(st.sampled_from([(n,), (n, 1)])))


@st.composite
def images(draw):
    """(n, 1, 28, 28) float32 images in [0, 1), n in [1, 5], from a drawn seed."""
    n, seed = draw(st.integers(1, 5)), draw(st.integers(0, 2**16))
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed))
