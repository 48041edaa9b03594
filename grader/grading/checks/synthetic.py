"""Checks of synthetic_data and data_iter (d2l 3.2.1-3.2.2)."""
import torch

from grader.grading.checks.common import Called, seeded
from grader.i18n import _, ngettext
from grader.grading.strategies import indexed_dataset

TRUE_B = 4.2


def true_w():
    """The book's w, a new tensor each call: learner code may change what it is
    given (its check says so), and that must not reach any later check."""
    return torch.tensor([2.0, -3.4])


# Large enough that the statistics below sit far inside their bounds.
SAMPLE = 20_000


def _draw(synthetic_data, w, b, n):
    """Call synthetic_data and insist on (X (n, d), y (n, 1)), float32 as the
    book's torch.normal draws them (w is float32)."""
    c = Called("synthetic_data", w=w, b=b, num_examples=n)
    got = synthetic_data(w.clone(), b, n)
    if not (isinstance(got, (tuple, list)) and len(got) == 2):
        c.fail(_("must return a pair (X, y)"), expected=_("a tuple (X, y)"),
               got=f"{type(got).__name__}", hint=_("end with `return X, y.reshape((-1, 1))`"))
    X = c.tensor(got[0], (n, len(w)), torch.float32, what="X")
    y = c.tensor(got[1], (n, 1), torch.float32, what="y", hint=lambda y: _y_shape_hint(y, n))
    return c, X, y


def _y_shape_hint(y, n):
    """The hint for a y of the wrong shape: n * n values come from an (n,) and
    an (n, 1) tensor added together; else y is not yet a column."""
    if n > 1 and y.numel() == n * n:
        return _("y has {size} values, not {n}: adding a ({n},) tensor and a ({n}, 1) tensor"
                 " (torch.matmul(X, w) + b and the noise) broadcasts them to ({n}, {n}). Draw"
                 " the noise in y's shape, torch.normal(0, 0.01, y.shape), and reshape y"
                 " at the end").format(size=n * n, n=n)
    return _("return y as a column: y.reshape((-1, 1))")


def check_synthetic_data_returns_shapes(synthetic_data, w, b, n):
    """X is (n, len(w)) and y is (n, 1), both float32."""
    _draw(synthetic_data, w, b, n)


def check_synthetic_data_features_are_standard_normal(synthetic_data):
    """X ~ N(0, 1): mean 0, std 1, and about 4.6% of the entries beyond +-2."""
    with seeded(0, synthetic_data):
        c, X, y = _draw(synthetic_data, true_w(), TRUE_B, SAMPLE)
    mean, std, tails = X.mean().item(), X.std().item(), (X.abs() > 2).float().mean().item()
    if not (abs(mean) < 0.05 and 0.95 < std < 1.05 and 0.035 < tails < 0.057):
        c.fail(_("X must be drawn from the standard normal distribution N(0, 1)"),
               expected=_("mean 0, std 1, 4.6% of entries beyond +-2"),
               got=_("mean {mean}, std {std}, {tails} beyond +-2").format(
                   mean=f"{mean:.3f}", std=f"{std:.3f}", tails=f"{tails:.1%}"),
               hint=_("torch.normal(0, 1, (num_examples, len(w))): not torch.rand (uniform),"
                      " and the second argument of torch.normal is the std"))


def _residuals(synthetic_data):
    with seeded(0, synthetic_data):
        c, X, y = _draw(synthetic_data, true_w(), TRUE_B, SAMPLE)
    return c, X, (y.squeeze(1).double() - (X.double() @ true_w().double() + TRUE_B))


def _w_and_b(w, b):
    return f"w = {[round(v, 3) for v in w.tolist()]}, b = {round(b, 3)}"


def _linear_fit(X, r):
    """(a (d,) then c) of the least-squares fit r ~ X @ a + c, from the centred
    d x d normal equations (a few ms less than lstsq on [X, 1])."""
    mean = X.mean(dim=0)
    centred = X - mean
    a = torch.linalg.lstsq(centred.T @ centred, centred.T @ (r - r.mean())).solution
    return torch.cat([a, (r.mean() - mean @ a).reshape(1)])


def check_synthetic_data_labels_are_linear_in_features(synthetic_data):
    """y = Xw + b plus noise that does not grow with X: the least-squares fit of
    y - (Xw + b) on X and a constant is 0 to within 0.05 (the noise moves it by
    about 1e-4 at std 0.01; its size is the next check's)."""
    c, X, r = _residuals(synthetic_data)
    off = _linear_fit(X.double(), r)
    if not off.abs().max() <= 0.05:  # also fails nan
        w, b = true_w().double() + off[:-1], TRUE_B + float(off[-1])
        w_right = off[:-1].abs().max() <= 0.05
        c.fail(_("y must be X @ w + b plus a little noise"),
               expected=_("y = X @ w + b + noise with {w_and_b}").format(
                   w_and_b=_w_and_b(true_w(), TRUE_B)),
               got=_("the best fit of y by X @ w + b has {w_and_b}").format(
                   w_and_b=_w_and_b(w, b)),
               hint=_("y = torch.matmul(X, w) + b, then add the noise; do not forget b")
               if w_right and abs(b) <= 0.05 else _("add the bias b, do not subtract it")
               if w_right and abs(b + TRUE_B) <= 0.05 else
               _("y = torch.matmul(X, w) + b, then add the noise"))


def check_synthetic_data_noise_has_std_0_01(synthetic_data):
    """The noise y - (Xw + b) has standard deviation 0.01."""
    c, X, r = _residuals(synthetic_data)
    if not 0.008 < r.std() < 0.012:
        c.fail(_("the noise added to y must have standard deviation 0.01"),
               expected="std(y - (X @ w + b)) = 0.01",
               got=f"std(y - (X @ w + b)) = {r.std():.4f}",
               hint=_("add torch.normal(0, 0.01, y.shape): mean 0, std 0.01"))


def check_synthetic_data_draws_fresh_data(synthetic_data):
    """Two calls in a row return different data."""
    X1 = _draw(synthetic_data, true_w(), TRUE_B, 10)[1]
    c, X2, y2 = _draw(synthetic_data, true_w(), TRUE_B, 10)
    if torch.equal(X1, X2):
        c.fail(_("each call must draw new random data"),
               expected=_("different X on the second call"),
               got=_("the same X twice"), hint=_("do not fix a seed inside the function"))


def _one_pass(data_iter, batch_size, features, labels):
    """Call data_iter and insist on (X_batch, y_batch) tensor pairs; returns the list."""
    c = Called("data_iter", batch_size=batch_size,
               features=_("a tensor of shape {shape} (row i holds example i)").format(
                   shape=tuple(features.shape)),
               labels=_("a tensor of shape {shape}").format(shape=tuple(labels.shape)))
    batches = data_iter(batch_size, features.clone(), labels.clone())
    for i, batch in enumerate(batches):
        if not (isinstance(batch, (tuple, list)) and len(batch) == 2):
            c.fail(_("batch {i} must be a pair (X_batch, y_batch)").format(i=i),
                   expected=_("a tuple of 2 tensors"),
                   got=f"{type(batch).__name__}", hint=_("yield features[...], labels[...]"))
        X, y = batch
        rows = len(X) if isinstance(X, torch.Tensor) and X.dim() else -1
        c.tensor(X, (rows, *features.shape[1:]), features.dtype, what=f"X_batch {i}",
                 hint=_("index the rows of features: features[batch_indices]"))
        c.tensor(y, (rows, *labels.shape[1:]), labels.dtype, what=f"y_batch {i}",
                 hint=_("index labels with the same rows as features: labels[batch_indices]"))
    return c, batches


def _ids(batches):
    """The example indices a pass visited, in order (see strategies.indexed_dataset)."""
    return [int(i) for X, y in batches for i in X[:, 0].round()]


def check_data_iter_batch_sizes(data_iter, batch_size, n, d):
    """Batches of batch_size, except possibly a smaller last one; none empty, none dropped."""
    features, labels = indexed_dataset(n, d)
    c, batches = _one_pass(data_iter, batch_size, features, labels)
    got = [len(X) for X, y in batches]
    expected = [min(batch_size, n - i) for i in range(0, n, batch_size)]
    if got != expected:
        c.fail(_("wrong batch sizes"), expected=_sizes(expected), got=_sizes(got),
               hint=_("only the last batch may be smaller: shuffle the indices of all examples"
                      " and cut them into batches in order, not just the order of the batches")
               if sorted(got) == sorted(expected) else
               _("loop `for i in range(0, num_examples, batch_size)` and keep the last,"
                 " smaller batch: indices[i: min(i + batch_size, num_examples)]"))


def _sizes(sizes):
    if len(sizes) > 12:
        return _("{n} batches of sizes {sizes}...").format(n=len(sizes), sizes=sizes[:10])
    return ngettext("{n} batch of sizes {sizes}", "{n} batches of sizes {sizes}",
                    len(sizes)).format(n=len(sizes), sizes=sizes)


def check_data_iter_visits_every_example_once(data_iter, batch_size, n, d):
    """One pass yields each example exactly once."""
    features, labels = indexed_dataset(n, d)
    c, batches = _one_pass(data_iter, batch_size, features, labels)
    ids = _ids(batches)
    if sorted(ids) != list(range(n)):
        missing = sorted(set(range(n)) - set(ids))
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        c.fail(_("one pass must yield every example exactly once"),
               expected=ngettext("{n} example, each exactly once",
                                 "{n} examples, each exactly once", n).format(n=n),
               got=_("{n} examples; missing {missing}, repeated {repeated}").format(
                   n=len(ids), missing=missing[:10], repeated=repeated[:10]),
               hint=_("shuffle a list of all indices once, then cut it into batches"))


def check_data_iter_keeps_features_and_labels_aligned(data_iter, batch_size, n, d):
    """Each yielded label belongs to the yielded features of the same row."""
    features, labels = indexed_dataset(n, d)
    c, batches = _one_pass(data_iter, batch_size, features, labels)
    for X, y in batches:
        if not torch.equal(labels[X[:, 0].round().long().clamp(0, n - 1)], y):
            c.fail(_("features and labels must stay aligned"),
                   expected=_("y_batch[k] to be the label of X_batch[k]"),
                   got=_("X_batch rows {rows} with labels {labels}").format(
                       rows=_ids([(X, y)])[:8], labels=y.flatten()[:8].tolist()),
                   hint=_("index features and labels with the same indices"))


def check_data_iter_shuffles_examples(data_iter):
    """Examples come in random order: in 1000 examples, hardly any neighbours
    (i next to i+1 or i-1) as in a sorted, reversed or block-shuffled order."""
    features, labels = indexed_dataset(1000, 1)
    with seeded(0, data_iter):
        c, batches = _one_pass(data_iter, 10, features, labels)
    ids = _ids(batches)
    neighbours = sum(abs(a - b) == 1 for a, b in zip(ids, ids[1:]))
    if neighbours > 20:
        c.fail(_("examples must come in random order"),
               expected=_("a shuffled order (about 2 of 999 neighbours next to each other)"),
               got=_("{k} of 999 neighbours next to each other; order starts {ids}").format(
                   k=neighbours, ids=ids[:12]),
               hint=_("shuffle the indices of all examples (random.shuffle or torch.randperm),"
                      " not just the order of the batches"))


def check_data_iter_reshuffles_every_pass(data_iter):
    """Two passes visit the examples in different orders."""
    features, labels = indexed_dataset(100, 1)
    first = _one_pass(data_iter, 10, features, labels)[1]
    c, second = _one_pass(data_iter, 10, features, labels)
    if _ids(first) == _ids(second):
        c.fail(_("each pass must use a new random order"),
               expected=_("a different order on the second pass"),
               got=_("the same order twice: {ids}...").format(ids=_ids(first)[:12]),
               hint=_("shuffle inside data_iter, with the global random generator and no fixed"
                      " seed"))
