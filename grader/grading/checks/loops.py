"""Checks of the training helpers of d2l 3.6 (Accumulator to predict_ch3).

Their arguments are nets, iterators and updaters, which cannot cross to the
submission's process: each check runs a recipe of grader.portable.recipes where the
learner's code runs, with small data and a model whose result is known, and
compares what comes back with the same recipe run on the oracle's functions.
"""
import torch

from grader.portable.recipes.loops import classification_problem, drive_accumulator, \
    evaluate_fixed_net, predict_fixed_net, train_epochs, train_one_epoch
from grader.grading.checks.common import Called
from grader.grading.checks.convergence import run_against_oracle
from grader.i18n import N_, _
from grader.portable.oracle import ORACLE
from grader.portable.outcomes import LearnerError


def _same(got, expected, rtol=1e-5):
    """Plain numbers (or lists of them) equal within rtol; text never equals a number."""
    if isinstance(expected, list):
        return isinstance(got, list) and len(got) == len(expected) and all(
            _same(g, e, rtol) for g, e in zip(got, expected))
    return isinstance(got, float) and abs(got - expected) <= rtol * (1 + abs(expected))


def _show(value):
    """Numbers to 6 decimals, lists of them; text as it is."""
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return repr(round(value, 6)) if isinstance(value, (int, float)) else str(value)


# --- Accumulator --------------------------------------------------------------

def _accumulator_program(n, steps):
    lines = [f"acc = Accumulator({n})"]
    for op, values in steps:
        args = ", ".join(f"torch.tensor({_show(v.item())}"
                         f"{', requires_grad=True' if v.requires_grad else ''})"
                         if isinstance(v, torch.Tensor) else _show(v) for v in values)
        lines.append(f"acc.{op}({args})")
    return "\n           ".join(lines)


def _drive_accumulator(learner, n, steps):
    return run_against_oracle(learner, "Accumulator", drive_accumulator,
                              _accumulator_program(n, steps), n=n, steps=steps)


def _slots(n):
    return ", ".join(f"acc[{i}]" for i in range(n))


def _check_accumulator(learner, n, steps, hint):
    """Accumulator(n) through `steps` reads, after each, what the oracle's does;
    `hint` is an N_-marked text."""
    try:
        got, expected = _drive_accumulator(learner, n, steps)
    except LearnerError as e:
        if e.called != "Accumulator.__getitem__":
            raise
        _fail_reading_after_a_step(learner, n, steps, e)
    for done, (g, e) in enumerate(zip(got, expected)):
        if not _same(g, e, rtol=1e-9):
            Called("Accumulator", _accumulator_program(n, steps[:done])).fail(
                _("wrong values"), expected=f"{_slots(n)} = {_show(e)}", got=_show(g),
                hint=_(hint), show_inputs=False)


SUMS_HINT = N_("start every slot at 0.0; add(*args) adds args[i] to slot i: self.data ="
               " [a + float(b) for a, b in zip(self.data, args)]")
RESET_HINT = N_("reset() sets every one of the n slots back to 0.0 and keeps n of them:"
                " [0.0] * len(self.data)")


def _reading_fails(learner, n, steps):
    """The LearnerError of reading acc[i] in a run through `steps`, or None."""
    try:
        _drive_accumulator(learner, n, steps)
    except LearnerError as e:
        return e
    return None


def _fail_reading_after_a_step(learner, n, steps, error):
    """acc[i] raised `error` in a run through `steps`. If the slots read well
    up to some add() or reset() and not after it, that method lost them: the
    run up to it fails, with its hint. Else (reading fails from the start, where
    __init__ or __getitem__ may be wrong) `error` stands, its line shown."""
    if _reading_fails(learner, n, []) is None:
        for k in range(1, len(steps) + 1):
            error_k = _reading_fails(learner, n, steps[:k])
            if error_k is not None:
                method, hints = steps[k - 1][0], {"add": SUMS_HINT, "reset": RESET_HINT}
                after = drive_accumulator(ORACLE, n, steps[:k])[-1]
                Called("Accumulator", _accumulator_program(n, steps[:k])).fail(
                    _("acc[i] raised an error after {method}()").format(method=method),
                    expected=f"{_slots(n)} = {_show(after)}",
                    got=f"{type(error_k.error).__name__}: {error_k.error}",
                    hint=_(hints[method]), show_inputs=False)
    raise error


def check_accumulator_sums_what_is_added(learner, n, steps):
    """Each slot holds the sum of the values added to it (steps: adds only)."""
    _check_accumulator(learner, n, steps, SUMS_HINT)


def check_accumulator_reset_sets_every_slot_to_zero(learner, n, steps):
    """After reset(), n slots of 0.0 that add to again (steps include resets)."""
    _check_accumulator(learner, n, steps, RESET_HINT)


def check_accumulator_stores_plain_numbers(learner, n, steps):
    """Tensors added (a loss that requires grad among them) are stored as floats,
    so acc[i] keeps no autograd graph alive."""
    _check_accumulator(learner, n, steps, N_("store float(b), not b: a tensor that requires"
                                             " grad keeps the graph of every batch in memory"))


# --- evaluate_accuracy --------------------------------------------------------

BATCH_MEAN_HINT = N_("add up accuracy(net(X), y) and y.numel() over all batches, then divide"
                     " once: a mean of the batches' accuracies gives the smaller last batch too"
                     " much weight")
NUMEL_HINT = N_("count the examples with y.numel(): X.numel() counts every feature of every"
                " example")
EVAL_HINT = N_("when net is a torch.nn.Module, call net.eval() first: in train mode, layers such"
               " as dropout change the predictions")


def _fraction_mistakes(*, module, n, batch_size, seed):
    """{hint: what evaluate_accuracy returns with that usual mistake} on
    evaluate_fixed_net's problem; the net's scores negated in train mode (ModeNet)."""
    X, y, W, b = classification_problem(seed, n)
    scores = torch.matmul(X, W) + b
    right = (scores.argmax(dim=1) == y).float()
    batches = right.split(batch_size)
    mistakes = {
        BATCH_MEAN_HINT: sum(float(batch.mean()) for batch in batches) / len(batches),
        NUMEL_HINT: float(right.sum()) / X.numel(),
        N_("return the fraction right, metric[0] / metric[1], not the number right"):
        float(right.sum())}
    if module:
        mistakes[EVAL_HINT] = float(((-scores).argmax(dim=1) == y).float().mean())
    return mistakes


def _check_fraction(learner, *, module, n, batch_size, seed=0):
    """evaluate_accuracy of a net of known accuracy is the oracle's; the hint names
    the one usual mistake that gives the learner's result, if one does."""
    call = "evaluate_accuracy(net, data_iter)  # " + (
        _("net: an nn.Module, {n} examples in batches of {batch_size}") if module else
        _("net: a function, {n} examples in batches of {batch_size}")).format(
            n=n, batch_size=batch_size)
    got, expected = run_against_oracle(learner, "evaluate_accuracy", evaluate_fixed_net,
                                       call, module=module, n=n, batch_size=batch_size, seed=seed)
    if not isinstance(got, float):
        Called("evaluate_accuracy", call).fail(
            _("must return a number"), expected=_("the fraction of examples classified right"),
            got=got, hint=_("return metric[0] / metric[1], a float"))
    if not _same(got, expected):
        mistakes = _fraction_mistakes(module=module, n=n, batch_size=batch_size, seed=seed)
        matches = [hint for hint, value in mistakes.items() if _same(got, value)]
        Called("evaluate_accuracy", call).fail(
            _("wrong accuracy"), expected=_("{accuracy} ({k} of {n} right)").format(
                accuracy=f"{expected:.6g}", k=round(expected * n), n=n),
            got=f"{got:.6g}", hint=_(matches[0]) if len(matches) == 1 else _(
                "add accuracy(net(X), y) and y.numel() to a metric for each batch, and return"
                " metric[0] / metric[1]: the number right over the number of examples"))


def check_evaluate_accuracy_is_the_fraction_right_over_all_examples(learner, n, batch_size):
    """For a plain function as net: correct predictions over all batches / examples."""
    _check_fraction(learner, module=False, n=n, batch_size=batch_size)


def check_evaluate_accuracy_puts_a_module_in_eval_mode(learner):
    """An nn.Module left in train mode, whose scores differ by mode, is evaluated
    in eval mode. One batch, where a mean of the batches' accuracies is right."""
    _check_fraction(learner, module=True, n=10, batch_size=10)


# --- train_epoch_ch3 and train_ch3 --------------------------------------------

EPOCH = dict(n=13, batch_size=5, seed=1)
EPOCH_CALL = "train_epoch_ch3(net, train_iter, loss, updater)  # "


# The epoch's net scores differently in eval mode (as a net with dropout would):
# a loop that leaves it there gets everything after wrong, for that one cause.
EVAL_MODE_NOTE = N_("the net ran in eval mode, where its scores differ, so this follows from the"
                    " missing net.train() (see the check of train mode): call net.train() at the"
                    " start when net is a torch.nn.Module")


def _hint_unless_eval_mode(got, hint):
    """`hint`, or EVAL_MODE_NOTE when the epoch ran the net in eval mode (got[3])."""
    return hint if got[3] and all(got[3]) else _(EVAL_MODE_NOTE)


def _updater_calls_differ(got, expected):
    """The custom updater was called with other batch sizes or gradients (got[4])."""
    return len(got[4]) != len(expected[4]) or any(
        s != es or g is None or not torch.allclose(g, eg, rtol=1e-4, atol=1e-6)
        for (s, g), (es, eg) in zip(got[4], expected[4]))


def _epoch(learner, optimizer):
    call = EPOCH_CALL + _("softmax regression, 13 examples in batches of 5, 5 and 3, updater"
                          " {updater}").format(
        updater=_("an SGD optimizer (a torch.optim.Optimizer, lr=0.1)") if optimizer
        else "lambda batch_size: sgd([W, b], 1.0, batch_size)")
    got, expected = run_against_oracle(learner, "train_epoch_ch3", train_one_epoch, call,
                                       optimizer=optimizer, **EPOCH)
    return Called("train_epoch_ch3", call), got, expected


def check_train_epoch_ch3_returns_mean_loss_and_accuracy(learner):
    """(summed loss / examples, correct / examples) over the epoch."""
    c, got, expected = _epoch(learner, optimizer=False)
    if not _same(got[0], expected[0]):
        c.fail(_("wrong (training loss, training accuracy)"),
               expected=_("{pair}: the mean loss and the fraction right, over all examples of"
                          " the epoch").format(
                   pair=f"({_show(expected[0][0])}, {_show(expected[0][1])})"),
               got=_show(got[0]) if isinstance(got[0], list) else got[0],
               hint=_hint_unless_eval_mode(got, _metrics_hint(got, expected)))


def _metrics_hint(got, expected):
    """The hint for wrong (loss, accuracy): the updater's calls, when they differ;
    a second net(X) in a batch (more calls of net than the oracle's), which
    measures the updated net; the examples counted by X.numel() (both values d
    times too small); else the book's accumulation."""
    if _updater_calls_differ(got, expected):
        return _("the updater was called with other batch sizes or gradients (see the check of"
                 " the updater's calls), so the epoch trained differently and its loss follows:"
                 " with a custom updater, backpropagate l.sum() and call updater(X.shape[0])"
                 " once per batch")
    if len(got[3]) > len(expected[3]):
        return _("take the loss and the accuracy of y_hat, the predictions the update was"
                 " computed from: net(X) called again after the update measures the updated"
                 " net, not the one the batch was trained on")
    num_inputs = expected[1].shape[0]  # W is (d, q)
    if isinstance(got[0], list) and _same(got[0], [v / num_inputs for v in expected[0]]):
        return _(NUMEL_HINT)
    return _("accumulate float(l.sum()), accuracy(y_hat, y) and y.numel() for each batch;"
             " return (metric[0] / metric[2], metric[1] / metric[2])")


def check_train_epoch_ch3_calls_updater_with_batch_size_on_summed_loss(learner):
    """A custom updater is called once per batch with its size, after l.sum().backward()."""
    c, got, expected = _epoch(learner, optimizer=False)
    sizes, expected_sizes = [s for s, g in got[4]], [s for s, g in expected[4]]
    if sizes != expected_sizes:
        c.fail(_("calls the updater with the wrong batch sizes"), expected=_show(expected_sizes),
               got=_show(sizes), hint=_("call updater(X.shape[0]) once per batch: the last"
                                        " batch is smaller"))
    for (size, grad), (expected_size, expected_grad) in zip(got[4], expected[4]):
        if grad is None or not torch.allclose(grad, expected_grad, rtol=1e-4, atol=1e-6):
            c.fail(_("the updater gets the wrong gradient"), expected=expected_grad, got=grad,
                   hint=_hint_unless_eval_mode(
                       got, _("with a custom updater, backpropagate l.sum(): d2l's sgd divides"
                              " by the batch size itself")))


def check_train_epoch_ch3_steps_an_optimizer_on_the_mean_loss(learner):
    """A torch.optim.Optimizer: zero_grad, l.mean().backward(), step, once per batch."""
    c, got, expected = _epoch(learner, optimizer=True)
    for name, g, e in (("W", got[1], expected[1]), ("b", got[2], expected[2])):
        if not torch.allclose(g, e, rtol=1e-4, atol=1e-6):
            c.fail(_("the net's {name} after the epoch is wrong").format(name=name),
                   expected=e, got=g,
                   hint=_hint_unless_eval_mode(
                       got, _("with a torch.optim.Optimizer: updater.zero_grad(),"
                              " l.mean().backward(), updater.step(), for every batch")))


def check_train_epoch_ch3_puts_a_module_in_train_mode(learner):
    """A net left in eval mode (as evaluate_accuracy leaves it) runs in train mode."""
    c, got, expected = _epoch(learner, optimizer=True)
    if not got[3] or not all(got[3]):
        c.fail(_("runs the net in eval mode"), expected=_("every call of net in train mode"),
               got=_("net.training = {modes} in its calls").format(modes=got[3]),
               hint=_("call net.train() at the start when net is a torch.nn.Module:"
                      " evaluate_accuracy left it in eval mode"))


def _drawn_an_epoch_early(got, expected):
    """Rows read from a plot (recipes.loops.drawn_rows) one x to the left of the book's:
    each row at the x of the one before, nothing at the last."""
    return isinstance(got, list) and len(got) == len(expected) > 1 and got[-1] == [] \
        and _same(got[:-1], expected[1:])


def check_train_ch3_returns_a_row_per_epoch(learner, num_epochs):
    """One (train loss, train acc, test acc) per epoch, each from train_epoch_ch3 and
    evaluate_accuracy on test_iter."""
    call = (f"train_ch3(net, train_iter, test_iter, loss, {num_epochs}, updater)  # "
            + _("softmax regression, 40 training and 20 test examples"))
    got, expected = run_against_oracle(learner, "train_ch3", train_epochs, call,
                                       num_epochs=num_epochs, seed=2)
    if not _same(got, expected):
        Called("train_ch3", call).fail(
            _("wrong rows"), expected=_("{rows}: (train loss, train acc, test acc) of each"
                                        " epoch").format(rows=_show(expected)), got=_show(got),
            hint=_("draw epoch's row at x = epoch + 1, as the book does:"
                   " animator.add(epoch + 1, train_metrics + (test_acc,)); the plot counts the"
                   " epochs from 1") if _drawn_an_epoch_early(got, expected) else
            _("for each epoch: train_metrics = train_epoch_ch3(...), test_acc ="
              " evaluate_accuracy(net, test_iter), and keep train_metrics + (test_acc,)"))


# --- labels and predictions ---------------------------------------------------

def check_get_fashion_mnist_labels_names_each_label(fn, oracle, labels):
    """A sequence (list, tuple) with the text label of each numeric label, in order:
    the book only zips and indexes it."""
    c = Called("get_fashion_mnist_labels", labels=labels)
    got, expected = fn(labels.clone()), oracle(labels)
    if isinstance(got, (list, tuple)) and list(got) == expected and \
            all(isinstance(name, str) for name in got):
        return
    items = _items(got)
    if items == expected:
        c.fail(_("the labels are right, but they come in a {type}").format(
                   type=type(got).__name__),
               expected=_("a list (or tuple) of str"), got=f"{type(got).__name__}: {got!r:.200}",
               hint=_("return a list: [text_labels[int(i)] for i in labels]"))
    c.fail(_("wrong labels"), expected=repr(expected), got=f"{type(got).__name__}: {got!r:.200}",
           hint=_("a list of the ten names in d2l's order: 't-shirt', 'trouser', 'pullover',"
                  " 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot';"
                  " text_labels[int(i)] for i in labels"))


def _items(value):
    """The elements of a container as a list of str (None if it is not one of str)."""
    if isinstance(value, (str, bytes)):
        return None
    try:
        items = [str(v) if isinstance(v, str) else v for v in value]
    except TypeError:
        return None
    return items if all(isinstance(v, str) for v in items) else None


def check_predict_ch3_labels_the_first_n_examples(learner, n):
    """(predicted, true) text labels of the first n examples of the first batch (n=None:
    the default, 6)."""
    call = f"predict_ch3(net, test_iter{'' if n is None else f', {n}'})  # " + _("batches of 8")
    got, expected = run_against_oracle(learner, "predict_ch3", predict_fixed_net, call,
                                       n=n)
    if got != expected:
        Called("predict_ch3", call).fail(
            _("wrong labels"), expected=_("(predicted, true) = {labels}").format(
                labels=tuple(expected)),
            got=tuple(got) if isinstance(got, list) else got, hint=_predict_hint(got, expected))


def _predict_hint(got, expected):
    """The hint for wrong labels: the two swapped, in either form (the recipe reads
    the book's titles as true + '\\n' + predicted); titles of one line (read as
    true labels, with empty predictions); else how to find them."""
    if got == expected[::-1]:
        return _("the predicted and true labels are swapped: return (predicted, true),"
                 " predicted first; or, drawing them as the book does, title each image"
                 " true + '\\n' + predicted, the true label on top")
    if isinstance(got, list) and got and isinstance(got[0], list) and got[0] \
            and all(label == "" for label in got[0]):
        return _("each title holds two lines, the true label and the predicted one:"
                 " true + '\\n' + predicted, as the book's predict_ch3 writes them")
    return _("take the first batch X, y; predicted = get_fashion_mnist_labels("
             "net(X).argmax(dim=1)), true = get_fashion_mnist_labels(y); return both,"
             " predicted first, cut to n (6 by default)")
