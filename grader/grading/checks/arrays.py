"""Checks of load_array (3.3.2): a DataLoader cannot cross to the submission's
process, so a recipe iterates it there over an indexed data set (row i holds
example i, see strategies.indexed_dataset) and sends back the batches."""
from grader.portable.recipes.arrays import iterate_load_array
from grader.grading.checks.common import Called, seeded
from grader.grading.checks.convergence import _train
from grader.i18n import N_, _

SHUFFLE_HINT = N_("data.DataLoader(dataset, batch_size, shuffle=is_train): shuffled for"
                   " training, in order for evaluation")


def _passes(learner, *, n, d, batch_size, is_train, passes=1):
    """(Called, the batches of each pass as [X, y] pairs); fails on a result that is
    not a DataLoader or a batch that is not a pair of tensors of the right shapes."""
    c = Called("load_array", call="load_array((features, labels), batch_size, is_train)",
               features=_("a tensor of shape {shape} (row i holds example i)").format(
                   shape=(n, d)),
               labels=_("a tensor of shape {shape}").format(shape=(n, 1)), batch_size=batch_size,
               is_train=is_train)
    is_loader, kind, seen = _train("load_array", learner, ("load_array",),
                                   iterate_load_array, call=c.call, n=n, d=d,
                                   batch_size=batch_size, is_train=is_train, passes=passes)
    if not is_loader:
        c.fail(_("the result must be a torch.utils.data.DataLoader"), expected=_("a DataLoader"),
               got=kind, hint=_("return data.DataLoader(data.TensorDataset(*data_arrays),"
                                " batch_size, shuffle=is_train): a DataLoader can be iterated"
                                " over again in every epoch"))
    for batches in seen:
        for i, batch in enumerate(batches):
            if isinstance(batch, str):
                c.fail(_("batch {i} must be a pair [X_batch, y_batch] of float32 tensors")
                       .format(i=i), expected=_("a pair of tensors"), got=batch,
                       hint=_("wrap the tensors in data.TensorDataset(*data_arrays)"))
            X, y = batch
            c.tensor(X, (len(X), d), what=f"X_batch {i}",
                     hint=_("one row of features per example"))
            c.tensor(y, (len(X), 1), what=f"y_batch {i}", hint=_("as many labels as features"))
    return c, seen


def _ids(batches):
    return [int(i) for X, y in batches for i in X[:, 0].round()]


def check_load_array_returns_a_dataloader(learner):
    _passes(learner, n=10, d=2, batch_size=3, is_train=True)


def check_load_array_batch_sizes(learner, batch_size, n, d, is_train):
    """Batches of batch_size, the last one holding the rest."""
    c, (batches,) = _passes(learner, n=n, d=d, batch_size=batch_size, is_train=is_train)
    got = [len(X) for X, y in batches]
    expected = [min(batch_size, n - i) for i in range(0, n, batch_size)]
    if got != expected:
        sizes = _("{n} batches of sizes {sizes}")
        c.fail(_("wrong batch sizes"), expected=sizes.format(n=len(expected), sizes=expected[:12]),
               got=sizes.format(n=len(got), sizes=got[:12]),
               hint=_("keep the last, smaller batch: no drop_last=True; batch_size is the"
                      " DataLoader's second argument"))


def check_load_array_visits_every_example_once(learner, batch_size, n, d, is_train):
    c, (batches,) = _passes(learner, n=n, d=d, batch_size=batch_size, is_train=is_train)
    ids = _ids(batches)
    if sorted(ids) != list(range(n)):
        c.fail(_("one pass must yield every example exactly once"),
               expected=_("{n} examples, each exactly once").format(n=n),
               got=_("examples {ids}").format(ids=sorted(ids)[:20]),
               hint=_("let the DataLoader pick the order (shuffle=is_train): no sampler that"
                      " draws with replacement"))


def check_load_array_keeps_features_and_labels_aligned(learner, batch_size, n, d, is_train):
    c, (batches,) = _passes(learner, n=n, d=d, batch_size=batch_size, is_train=is_train)
    for X, y in batches:
        if not (y.flatten() - 1000 == X[:, 0].round()).all():
            c.fail(_("features and labels must stay aligned"),
                   expected=_("y_batch[k] to be the label of X_batch[k]"),
                   got=_("X_batch rows {rows} with labels {labels}").format(
                       rows=_ids([(X, y)])[:8], labels=y.flatten()[:8].tolist()),
                   hint=_("one TensorDataset(*data_arrays) over all the tensors: it keeps each"
                          " row's features with its label"))


def check_load_array_keeps_order_when_not_training(learner):
    c, (batches,) = _passes(learner, n=30, d=1, batch_size=4, is_train=False)
    if _ids(batches) != list(range(30)):
        c.fail(_("with is_train=False the examples must come in order"),
               expected=_("examples 0, 1, 2, ... in order"),
               got=_("order {ids}...").format(ids=_ids(batches)[:12]), hint=_(SHUFFLE_HINT))


def check_load_array_shuffles_when_training(learner):
    """In 1000 examples, hardly any neighbours (i next to i + 1 or i - 1)."""
    with seeded(0, learner.load_array):
        c, (batches,) = _passes(learner, n=1000, d=1, batch_size=10, is_train=True)
    ids = _ids(batches)
    neighbours = sum(abs(a - b) == 1 for a, b in zip(ids, ids[1:]))
    if neighbours > 20:
        c.fail(_("with is_train=True the examples must come in random order"),
               expected=_("a shuffled order (about 2 of 999 neighbours next to each other)"),
               got=_("{k} of 999 neighbours next to each other; order starts {ids}").format(
                   k=neighbours, ids=ids[:12]),
               hint=_(SHUFFLE_HINT))


def check_load_array_reshuffles_every_pass(learner):
    """Two passes over one loader visit the examples in different orders."""
    with seeded(0, learner.load_array):
        c, (first, second) = _passes(learner, n=100, d=1, batch_size=10, is_train=True,
                                     passes=2)
    if _ids(first) == _ids(second):
        c.fail(_("each pass must use a new random order"),
               expected=_("a different order on the second pass"),
               got=_("the same order twice: {ids}...").format(ids=_ids(first)[:12]),
               hint=_("shuffle=True in the DataLoader draws a new order at every pass; shuffling"
                      " the tensors once gives every epoch the same order"))
