"""Checks of load_array (3.3.2): a DataLoader cannot cross to the submission's
process, so a recipe iterates it there over an indexed data set (row i holds
example i, see strategies.indexed_dataset) and sends back the batches."""
from grader import training
from grader.checks.common import Called, seeded
from grader.checks.training import _train

SHUFFLE_HINT = ("data.DataLoader(dataset, batch_size, shuffle=is_train): shuffled for training,"
                " in order for evaluation")


def _passes(learner, *, n, d, batch_size, is_train, passes=1):
    """(Called, the batches of each pass as [X, y] pairs); fails on a result that is
    not a DataLoader or a batch that is not a pair of tensors of the right shapes."""
    c = Called("load_array", call="load_array((features, labels), batch_size, is_train)",
               features=f"a tensor of shape ({n}, {d}) (row i holds example i)",
               labels=f"a tensor of shape ({n}, 1)", batch_size=batch_size, is_train=is_train)
    is_loader, kind, seen = _train("load_array", learner, ("load_array",),
                                   training.iterate_load_array, call=c.call, n=n, d=d,
                                   batch_size=batch_size, is_train=is_train, passes=passes)
    if not is_loader:
        c.fail("the result must be a torch.utils.data.DataLoader", expected="a DataLoader",
               got=kind, hint="return data.DataLoader(data.TensorDataset(*data_arrays),"
                              " batch_size, shuffle=is_train): a DataLoader can be iterated"
                              " over again in every epoch")
    for batches in seen:
        for i, batch in enumerate(batches):
            if isinstance(batch, str):
                c.fail(f"batch {i} must be a pair [X_batch, y_batch] of float32 tensors",
                       expected="a pair of tensors", got=batch,
                       hint="wrap the tensors in data.TensorDataset(*data_arrays)")
            X, y = batch
            c.tensor(X, (len(X), d), what=f"X_batch {i}", hint="one row of features per example")
            c.tensor(y, (len(X), 1), what=f"y_batch {i}", hint="as many labels as features")
    return c, seen


def _ids(batches):
    return [int(i) for X, _ in batches for i in X[:, 0].round()]


def check_load_array_returns_a_dataloader(learner):
    _passes(learner, n=10, d=2, batch_size=3, is_train=True)


def check_load_array_batch_sizes(learner, batch_size, n, d, is_train):
    """Batches of batch_size, the last one holding the rest."""
    c, (batches,) = _passes(learner, n=n, d=d, batch_size=batch_size, is_train=is_train)
    got = [len(X) for X, _ in batches]
    expected = [min(batch_size, n - i) for i in range(0, n, batch_size)]
    if got != expected:
        c.fail("wrong batch sizes", expected=f"{len(expected)} batches of sizes {expected[:12]}",
               got=f"{len(got)} batches of sizes {got[:12]}",
               hint="keep the last, smaller batch: no drop_last=True; batch_size is the"
                    " DataLoader's second argument")


def check_load_array_visits_every_example_once(learner, batch_size, n, d, is_train):
    c, (batches,) = _passes(learner, n=n, d=d, batch_size=batch_size, is_train=is_train)
    ids = _ids(batches)
    if sorted(ids) != list(range(n)):
        c.fail("one pass must yield every example exactly once",
               expected=f"{n} examples, each exactly once", got=f"examples {sorted(ids)[:20]}",
               hint="let the DataLoader pick the order (shuffle=is_train): no sampler that"
                    " draws with replacement")


def check_load_array_keeps_features_and_labels_aligned(learner, batch_size, n, d, is_train):
    c, (batches,) = _passes(learner, n=n, d=d, batch_size=batch_size, is_train=is_train)
    for X, y in batches:
        if not (y.flatten() - 1000 == X[:, 0].round()).all():
            c.fail("features and labels must stay aligned",
                   expected="y_batch[k] to be the label of X_batch[k]",
                   got=f"X_batch rows {_ids([(X, y)])[:8]} with labels {y.flatten()[:8].tolist()}",
                   hint="one TensorDataset(*data_arrays) over all the tensors: it keeps each"
                        " row's features with its label")


def check_load_array_keeps_order_when_not_training(learner):
    c, (batches,) = _passes(learner, n=30, d=1, batch_size=4, is_train=False)
    if _ids(batches) != list(range(30)):
        c.fail("with is_train=False the examples must come in order",
               expected="examples 0, 1, 2, ... in order", got=f"order {_ids(batches)[:12]}...",
               hint=SHUFFLE_HINT)


def check_load_array_shuffles_when_training(learner):
    """In 1000 examples, hardly any neighbours (i next to i + 1 or i - 1)."""
    with seeded(0, learner.load_array):
        c, (batches,) = _passes(learner, n=1000, d=1, batch_size=10, is_train=True)
    ids = _ids(batches)
    neighbours = sum(abs(a - b) == 1 for a, b in zip(ids, ids[1:]))
    if neighbours > 20:
        c.fail("with is_train=True the examples must come in random order",
               expected="a shuffled order (about 2 of 999 neighbours next to each other)",
               got=f"{neighbours} of 999 neighbours next to each other; order starts {ids[:12]}",
               hint=SHUFFLE_HINT)


def check_load_array_reshuffles_every_pass(learner):
    """Two passes over one loader visit the examples in different orders."""
    with seeded(0, learner.load_array):
        c, (first, second) = _passes(learner, n=100, d=1, batch_size=10, is_train=True,
                                     passes=2)
    if _ids(first) == _ids(second):
        c.fail("each pass must use a new random order",
               expected="a different order on the second pass",
               got=f"the same order twice: {_ids(first)[:12]}...",
               hint="shuffle=True in the DataLoader draws a new order at every pass; shuffling"
                    " the tensors once gives every epoch the same order")
