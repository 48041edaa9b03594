"""Convergence checks: d2l's training recipes (grader/portable/recipes/) run with the
learner's functions among the oracle's, so a failure is pinned on the learner's."""
from grader.grading.checks.common import Called, seeded
from grader.grading.grades import Status, failed
from grader.i18n import N_, _
from grader.portable.oracle import ORACLE, with_learner
from grader.grading.failures import Skipped
from grader.portable.outcomes import LearnerError, Outcome, RecipeCrashed
from grader.portable.recipes.linear import LINEAR_TRUE_B, LINEAR_TRUE_W, train_linear_regression
from grader.portable.recipes.softmax import evaluate_epochs, meets_bar, train_softmax_regression

# The exercises whose Fashion-MNIST checks train with them (see SharedRuns).
TRAINED_TOGETHER = ("softmax", "cross_entropy", "sgd")


def run_recipe(learner, exercises, recipe, *args, **kwargs):
    """recipe(fns, *args, **kwargs) with the learner's `exercises` in fns among the
    oracle's functions, run where the learner's code runs: here, or in the
    submission's process (RemoteLearner.run_recipe), so that the thousands of
    calls of a run do not each cross the process boundary."""
    if hasattr(type(learner), "run_recipe"):
        return learner.run_recipe(recipe.__name__, exercises, *args, **kwargs)
    try:
        return recipe(with_learner(learner, *exercises), *args, **kwargs)
    except LearnerError:
        raise
    except Exception as e:
        raise RecipeCrashed(type(e).__name__, e) from e


# What each training recipe does, in the learner's words: messages show this,
# never the grader's function names.
RECIPE_WORDS = {
    "train_linear_regression": N_("d2l 3.2's training loop: 1000 examples, batch 10, lr 0.03,"
                                  " 3 epochs"),
    "train_linreg_concise": N_("d2l 3.3's training loop (nn.MSELoss, SGD): 1000 examples,"
                               " batch 10, lr 0.03, 3 epochs"),
    "train_softmax_regression": N_("d2l 3.6's softmax-regression training loop"),
}
ANY_RECIPE_WORDS = N_("d2l's training loop")


def recipe_words(recipe):
    """What `recipe` runs, as a learner reads it (see RECIPE_WORDS)."""
    return _(RECIPE_WORDS.get(recipe.__name__, ANY_RECIPE_WORDS))


def _train(exercise, learner, exercises, recipe, *args, call=None, **kwargs):
    """run_recipe; a crash in it is the doing of the learner's `exercise`.
    `call`: what the recipe does with it, for the message (default: training)."""
    try:
        return run_recipe(learner, exercises, recipe, *args, **kwargs)
    except RecipeCrashed as e:
        Called(exercise, call or recipe_words(recipe)).fail(
            _("training with your {exercise} crashed").format(exercise=exercise) if call is None
            else _("crashed when used as d2l uses it"), expected=_("a run to the end"),
            got=str(e),
            hint=_("the code around it got something it cannot use from {exercise}: check the"
                   " type and shape of what it returns (and a class's methods)").format(
                       exercise=exercise), show_inputs=False)


def run_against_oracle(learner, exercise, recipe, call, kept=None, **kwargs):
    """(the learner's result, the oracle's) of recipe(fns, **kwargs), the
    learner's `exercise` among the oracle's functions in the first run; a crash
    in it fails `exercise`, `call` saying what was run. `kept`: a function giving
    the oracle's result where it is kept already (grader.grading.drawings), not
    run again; called after the learner's run, which a stub ends."""
    return _train(exercise, learner, (exercise,), recipe, call=call, **kwargs), \
        recipe(ORACLE, **kwargs) if kept is None else kept()


def check_linear_regression_training_converges(learner, exercise,
                                               recipe=train_linear_regression):
    """d2l 3.2.7 (1000 examples, batch 10, lr 0.03, 3 epochs) with the learner's
    `exercise` recovers w and b to within 0.01 and ends with a mean loss below
    1e-3; `recipe` may be 3.3's (train_linreg_concise)."""
    with seeded(0, getattr(learner, exercise)):
        w, b, losses = _train(exercise, learner, (exercise,), recipe)
    w_error = max(abs(float(a) - t) for a, t in zip(w.flatten(), LINEAR_TRUE_W))
    b_error = abs(float(b) - LINEAR_TRUE_B)
    if not (w_error <= 0.01 and b_error <= 0.01 and losses[-1] < 1e-3):
        Called(exercise, recipe_words(recipe)).fail(
            _("training linear regression with your {exercise} does not converge").format(
                exercise=exercise),
            expected=_("w within 0.01 of {w}, b within 0.01 of {b}, final mean loss < 0.001")
            .format(w=list(LINEAR_TRUE_W), b=LINEAR_TRUE_B),
            got=_("w = {w}, b = {b}, mean loss per epoch {losses}").format(
                w=[round(float(a), 4) for a in w.flatten()], b=f"{float(b):.4f}",
                losses=[f"{x:.4g}" for x in losses]),
            hint=_other_functions_hint(exercise), show_inputs=False)


def _other_functions_hint(exercise):
    return _("the other functions were PyTorch's own versions, so the cause is in {exercise};"
             " its own checks above say more").format(exercise=exercise)


def epoch_table(epochs):
    """The per-epoch table a learner sees: train loss, train acc, test acc."""
    row = _("  epoch {i}  train loss {train_loss}  train acc {train_acc}  test acc {test_acc}")
    rows = [row.format(i=f"{i:>2}", train_loss=f"{e.train_loss:.4f}",
                       train_acc=f"{e.train_acc:.3f}", test_acc=f"{e.test_acc:.3f}")
            for i, e in enumerate(epochs, 1)]
    return "\n".join(rows)


def the_bar(bar):
    """The words for `bar`: what a run must reach."""
    return _("test accuracy >= {min_test_acc} and mean training loss < {max_train_loss}").format(
        min_test_acc=bar["min_test_acc"], max_train_loss=bar["max_train_loss"])


def converged_run(epochs, exercise, bar):
    """The feedback for a run that met `bar`: where it stopped, and its table."""
    return _("{data}, trained with your {exercise}: {bar} after epoch {n}, where training"
             " stops:").format(data=_(bar["data_name"]), exercise=exercise, bar=the_bar(bar),
                               n=len(epochs)) + f"\n{epoch_table(epochs)}"


def softmax_regression_epochs(learner, exercises, train, test, recipe, bar, blamed,
                              trainer=train_softmax_regression):
    """The Epochs of softmax regression trained by `trainer` with the `recipe`'s
    settings and the learner's `exercises`, up to the first that meets `bar`;
    test accuracy is computed here, whatever the learner's process says. A
    crash of the loop is blamed on `blamed`."""
    snapshots = _train(blamed, learner, exercises, trainer, train, test, bar=bar, **recipe)
    return evaluate_epochs(with_learner(learner, *exercises), snapshots, test)


def check_softmax_regression_training_converges(epochs, exercise, bar):
    """The run's Epochs meet `bar` (min_test_acc, max_train_loss, data_name)."""
    if not meets_bar(epochs[-1], bar):
        last = epochs[-1]
        data = _(bar["data_name"])
        Called(exercise, _("train softmax regression on {data}").format(data=data)).fail(
            _("softmax regression trained with your {exercise} does not learn {data}").format(
                exercise=exercise, data=data),
            expected=_("{bar} after one of the {n} epochs").format(bar=the_bar(bar),
                                                                  n=len(epochs)),
            got=_("test accuracy {test_acc}, training loss {train_loss}").format(
                test_acc=f"{last.test_acc:.3f}", train_loss=f"{last.train_loss:.4f}")
            + f"\n{epoch_table(epochs)}",
            hint=_other_functions_hint(exercise), show_inputs=False)


class SharedRuns:
    """The Fashion-MNIST runs of one implementation, shared by the checks of
    softmax, cross_entropy and sgd (the most expensive checks).

    The learner's functions among these that passed every other check so far
    train together, in one run; when it meets the bar, each of them passes.
    Otherwise each trains alone among the oracle's functions, so a failure is
    still pinned on one function. An exercise that failed an earlier check
    skips its run: its exercise has failed already.

    `data()` gives (train, test); `results(exercise)` the statuses of its
    checks so far, None if it is not graded in this run.
    """

    def __init__(self, learner, data, results):
        self.learner, self.data, self.results = learner, data, results
        self.together = {}

    def epochs(self, exercise, recipe, bar):
        if failed(self.results(exercise)):
            raise Skipped(_("not run: {exercise} already fails an earlier check").format(
                exercise=exercise))
        team = tuple(e for e in TRAINED_TOGETHER if e == exercise or self._passing(e))
        if len(team) > 1:
            if team not in self.together:
                self.together[team] = self._run_quietly(team, recipe, bar)
            if self.together[team] is not None:
                return self.together[team]
        return softmax_regression_epochs(self.learner, (exercise,), *self.data(), recipe, bar,
                                         exercise)

    def _passing(self, exercise):
        """Graded in this run, with every check so far passed."""
        statuses = self.results(exercise)
        return bool(statuses) and all(status == Status.PASSED for status in statuses)

    def _run_quietly(self, team, recipe, bar):
        """The team's run if it converges, else None (whatever went wrong)."""
        try:
            epochs = softmax_regression_epochs(self.learner, team, *self.data(), recipe, bar,
                                               team[0])
        except (Exception, Outcome):
            return None
        return epochs if meets_bar(epochs[-1], bar) else None
