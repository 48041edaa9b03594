"""Checks of 3.1's helpers: the book's Timer, driven on a clock of the grader's
own (grader.portable.recipes.clock.FakeClock), and the normal density, on numpy arrays and
tensors. Both run as recipes where the learner's code runs: a Timer instance
and a numpy array cannot cross to the submission's process."""
import math

import torch

from grader.portable.recipes.arrays import evaluate_normal
from grader.portable.recipes.clock import drive_timer
from grader.grading.checks.common import Called, shape_text, wrong_dtype_title, wrong_shape_title
from grader.grading.checks.loops import _same, _show
from grader.grading.checks.convergence import run_against_oracle
from grader.i18n import N_, _
from grader.portable.oracle import ORACLE
from grader.grading.failures import CheckFailed
from grader.portable.outcomes import LearnerError

START = 1_700_000_000.0  # where the grader's clock starts, as time.time() might read


# --- Timer --------------------------------------------------------------------

def timer_steps(intervals, *, restart=True):
    """The steps of drive_timer for `intervals` [(gap, duration), ...]: the clock
    runs `gap`, then start() (when restart, else not for the first interval:
    Timer() started it), `duration`, then stop()."""
    steps = []
    for i, (gap, duration) in enumerate(intervals):
        steps.append(("wait", gap))
        if restart or i:
            steps.append(("start",))
        steps += [("wait", duration), ("stop",)]
    return steps


def _program(steps):
    lines, waited = ["timer = Timer()"], 0.0
    for step in steps:
        if step[0] == "wait":
            waited += step[1]
            if step[1]:
                lines.append(_("# the clock moves on {step} s, to {waited} s").format(
                    step=_show(step[1]), waited=_show(waited)))
        else:
            lines.append(f"timer.{step[0]}()")
    return "\n           ".join(lines)


def _stops_since_creation(steps):
    """What each stop() would return if start() did not restart the clock."""
    now, seen = 0.0, []
    for step in steps:
        if step[0] == "wait":
            now += step[1]
        elif step[0] == "stop":
            seen.append(now)
    return seen


def _drive(learner, steps, **kwargs):
    """(the learner's, the oracle's) results of drive_timer through `steps`."""
    return run_against_oracle(learner, "Timer", drive_timer, _program(steps),
                              steps=steps, start=START, **kwargs)


def _check_timer(learner, steps, hint_for):
    """Timer() driven through `steps` returns, from each method call, what the
    oracle's does; the first difference fails, with hint_for(learner, method,
    got, steps so far) as its hint, unless that call was a stop() that never
    read the grader's clock."""
    got, expected = _drive(learner, steps)
    calls = [i for i, step in enumerate(steps) if step[0] not in ("wait", "start")]
    for k, (g, e) in enumerate(zip(got, expected)):
        if not _same(g, e, rtol=1e-9):
            method, done = steps[calls[k]][0], steps[:calls[k] + 1]
            unread = method == "stop" and _drive(learner, done, reads=True)[0][-1] == 0
            Called("Timer", _program(done)).fail(
                _("timer.{method}() returned the wrong value").format(method=method),
                expected=_show(e), got=_show(g),
                hint=_(CLOCK_UNREAD_HINT) if unread else hint_for(learner, method, g, done),
                show_inputs=False)


CLOCK_UNREAD_HINT = N_("stop() never read the clock the grader moves: read it through the time"
                       " module when the method runs, time.time() after `import time`; a name"
                       " imported by `from time import time` (or perf_counter) keeps reading"
                       " the real clock")


def _stop_hint(learner, method, got, steps):
    since_creation = _stops_since_creation(steps)[-1]
    if isinstance(got, float) and abs(got - (START + since_creation)) < 1:
        return _("stop() returns the seconds since start(): time.time() - self.tik, not the"
                 " clock's reading time.time()")
    if isinstance(got, float) and _same(got, since_creation, rtol=1e-9):
        return _("start() must restart the clock: store the time it is called, self.tik ="
                 " time.time(), and stop() returns time.time() - self.tik")
    return _("stop() appends time.time() - self.tik, the seconds since the last start(), to"
             " self.times and returns that number")


def check_timer_stop_returns_the_seconds_since_start(learner, intervals):
    """Each stop() returns the seconds since the start() before it."""
    _check_timer(learner, timer_steps(intervals), _stop_hint)


def check_timer_starts_when_created(learner, duration):
    """stop() right after Timer(), with no start(), returns the seconds since Timer()."""
    _check_timer(learner, [("wait", duration), ("stop",)],
                 lambda *args: _("__init__ starts the clock as the book's does:"
                                 " self.times = []; self.start()"))


# Two runs with no start() between them, then every method: whether the times
# survive a stop() and a start() tells which of them drops the earlier runs.
TWO_RUNS = [("wait", 1.0), ("stop",), ("wait", 2.0), ("stop",), ("sum",), ("avg",), ("cumsum",)]
ONE_RUN = [("wait", 3.0), ("stop",), ("sum",), ("avg",), ("cumsum",)]
FORMULAS = {"sum": "sum(self.times)", "avg": "sum(self.times) / len(self.times)",
            "cumsum": "np.array(self.times).cumsum().tolist()"}


def _lost_runs_hint(learner, method):
    """Where the earlier runs are lost, told by TWO_RUNS (None when it cannot
    tell): if all is right there, in start(); if all is as if the last run alone
    were recorded, in stop()."""
    try:
        learners, oracles = _drive(learner, TWO_RUNS)
    except (LearnerError, CheckFailed):  # a method that raises there tells nothing
        return None
    if _same(learners, oracles, rtol=1e-9):
        return _("start() only restarts the clock: it must leave the times recorded so far as"
                 " they are (self.times = [] belongs in __init__ alone)")
    if _same(learners[1:], drive_timer(ORACLE, ONE_RUN, start=START), rtol=1e-9):
        return _("stop() must add each run's time to those recorded before,"
                 " self.times.append(...), not replace them: then {formula} counts every"
                 " run").format(formula=FORMULAS[method])
    return None


def _records_hint(hint):
    """hint_for of sum(), avg() and cumsum(): _lost_runs_hint, else `hint` (an
    N_-marked text, or a function of the result that gives one)."""
    def hint_for(learner, method, got, steps):
        return _lost_runs_hint(learner, method) or _(hint(got) if callable(hint) else hint)
    return hint_for


def check_timer_sum_adds_every_recorded_time(learner, intervals):
    _check_timer(learner, timer_steps(intervals) + [("sum",)], _records_hint(
        N_("sum() is the total of every time stop() recorded: sum(self.times)")))


def check_timer_avg_is_the_mean_recorded_time(learner, intervals):
    _check_timer(learner, timer_steps(intervals) + [("avg",)], _records_hint(
        N_("avg() is the mean of every time stop() recorded: sum(self.times) / len(self.times)")))


def _cumsum_hint(got):
    if isinstance(got, str) and got.startswith("ndarray"):
        return N_("cumsum() returns a list: np.array(self.times).cumsum().tolist()")
    return N_("cumsum() lists the running totals of the recorded times, [t1, t1 + t2, ...]:"
              " np.array(self.times).cumsum().tolist()")


def check_timer_cumsum_lists_running_totals(learner, intervals):
    _check_timer(learner, timer_steps(intervals) + [("cumsum",)], _records_hint(_cumsum_hint))


# --- normal -------------------------------------------------------------------

def _density(x, mu, sigma, *, norm_sigma=2, exp_sigma=2, half=0.5, normalised=True):
    """The density in float64, or one of the usual mistakes: sigma instead of
    sigma**2 in the normaliser or the exponent, no 1/2, no normaliser."""
    p = 1 / math.sqrt(2 * math.pi * sigma ** norm_sigma) if normalised else 1.0
    return p * torch.exp(-half / sigma ** exp_sigma * (x.double() - mu) ** 2)


MISTAKES = (
    (dict(norm_sigma=1), N_("the normaliser is 1 / sqrt(2 * pi * sigma**2): sigma squared, not"
                            " sigma")),
    (dict(exp_sigma=1), N_("the exponent divides by 2 * sigma**2: sigma squared, not sigma")),
    (dict(half=1.0), N_("the exponent is -(x - mu)**2 / (2 * sigma**2): the 1/2 is missing")),
    (dict(normalised=False), N_("multiply by the normaliser 1 / sqrt(2 * pi * sigma**2), which"
                                " makes the area under the curve 1")),
)


def _evaluate(learner, x, mu, sigma, as_numpy):
    c = Called("normal", call="normal(x, mu, sigma)", x=x if not as_numpy else
               _("a numpy array: {array}").format(array=f"{x.numpy()!r:.300}"), mu=mu,
               sigma=sigma)
    result = run_against_oracle(learner, "normal", evaluate_normal, "normal(x, mu, sigma)",
                                x=x, mu=mu, sigma=sigma, as_numpy=as_numpy)
    return c, result[0]


def check_normal_returns_x_kind_shape_and_dtype(learner, x, mu, sigma, as_numpy):
    """A numpy array for a numpy array and a tensor for a tensor, of x's shape and dtype."""
    c, (kind, dtype, shape, *values) = _evaluate(learner, x, mu, sigma, as_numpy)
    want_kind = "ndarray" if as_numpy else "Tensor"
    want_dtype = str(x.dtype).removeprefix("torch.")
    if kind != want_kind:
        c.fail(_("the result must be of the same kind as x"),
               expected=_("a numpy array") if as_numpy else _("a tensor"), got=kind,
               hint=_("np.exp works on both kinds; for a tensor torch.exp keeps it a tensor") if
               as_numpy else _("torch.exp(...) on a tensor returns a tensor (no .numpy(), no"
                               " np.array(...))"))
    if shape != list(x.shape):
        c.fail(wrong_shape_title(), expected=shape_text(x.shape), got=shape_text(shape),
               hint=_("compute elementwise: no sum, mean or reshape of x"))
    if dtype != want_dtype:
        c.fail(wrong_dtype_title(), expected=want_dtype, got=dtype,
               hint=_("keep x's dtype: plain Python floats for the constants (math.sqrt,"
                      " math.pi)"))


def check_normal_matches_the_density(learner, x, mu, sigma, as_numpy):
    """The values of 1 / sqrt(2 pi sigma^2) exp(-(x - mu)^2 / (2 sigma^2)), float64
    to 1e-9, float32 to 1e-4 (relative; absolute to that of the peak)."""
    c, (*kind_dtype_shape, got, unchanged) = _evaluate(learner, x, mu, sigma, as_numpy)
    expected = _density(x, mu, sigma)
    rtol = 1e-9 if as_numpy else 1e-4
    atol = rtol * float(_density(torch.tensor([mu]), mu, sigma))
    if got is None or got.shape != expected.shape:
        c.fail(wrong_shape_title(), expected=shape_text(x.shape), got=_("another"))
    if not torch.allclose(got, expected, rtol=rtol, atol=atol):
        shown = (lambda t: repr(t.numpy())) if as_numpy else (lambda t: t.float())
        # A mistake's hint only when it alone explains the values (at sigma = 2 a
        # missing 1/2 and sigma for sigma**2 in the exponent give the same).
        matches = [h for mistake, h in MISTAKES if torch.allclose(
            got, _density(x, mu, sigma, **mistake), rtol=rtol, atol=atol)]
        hint = _(matches[0]) if len(matches) == 1 else _(
            "p = 1 / math.sqrt(2 * math.pi * sigma**2), then p * np.exp(-0.5 / sigma**2 *"
            " (x - mu)**2)")
        c.fail(_("wrong values"), expected=shown(expected), got=shown(got), hint=hint)


def check_normal_integrates_to_one(learner, mu, sigma):
    """On a grid of step 0.01 over mu +- 12 sigma (a float64 numpy array, as the
    book plots), the area under normal(x, mu, sigma) is 1 to within 1e-3."""
    x = torch.arange(mu - 12 * sigma, mu + 12 * sigma, 0.01, dtype=torch.float64)
    c = Called("normal", call="normal(x, mu, sigma)",
               x=f"np.arange({mu - 12 * sigma:g}, {mu + 12 * sigma:g}, 0.01)", mu=mu, sigma=sigma)
    got = run_against_oracle(learner, "normal", evaluate_normal, "normal(x, mu, sigma)",
                             x=x, mu=mu, sigma=sigma, as_numpy=True)[0][3]
    area = float(torch.trapezoid(got, dx=0.01)) if got is not None and got.dim() == 1 \
        and len(got) == len(x) else float("nan")
    if not abs(area - 1) <= 1e-3:
        c.fail(_("the area under the density must be 1"), expected=_("1.0 (to 0.001)"),
               got=f"{area:.6g}", hint=_("a density integrates to 1: the normaliser is"
                                        " 1 / sqrt(2 * pi * sigma**2), the exponent"
                                        " -(x - mu)**2 / (2 * sigma**2)"))


def check_normal_leaves_x_unchanged(learner, x, mu, sigma, as_numpy):
    c, result = _evaluate(learner, x, mu, sigma, as_numpy)
    if not result[4]:  # x unchanged
        c.fail(_("must not modify its input {name}").format(name="x"),
               expected=_("x unchanged"), got=_("x changed in place"),
               hint=_("x -= mu or x **= 2 change the caller's array; write d = x - mu instead"))
