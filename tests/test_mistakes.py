"""The mistakes: each wrong implementation gets the id its first message names
(test_verdicts asserts it for the whole catalogue, with named_mistake below),
and one mistake written differently gets one id, whatever the examples."""
import re
from functools import cache

import pytest

from grader.mistakes import ERROR, HINT, TITLE, identify
from grader.report import KNOWN_ERRORS
from tests import wrong  # noqa: F401 - registers the catalogue
from tests.catalogue import WRONG
from tests.conftest import learner_grade, with_variant


@cache
def templates():
    """(pattern, template) of every text marked in grader/ (an ngettext's plural
    form too, under its singular), the most literal first: a pattern matches a
    text made from the template, whatever the values of its placeholders."""
    from tests.test_i18n import marked_texts
    found = []
    for text in marked_texts():
        for form in text if isinstance(text, tuple) else (text,):
            parts = re.split(r"\{[^{}]*\}", form)
            found.append((re.compile("(?s:.+?)".join(map(re.escape, parts))), text[0]
                          if isinstance(text, tuple) else text, len("".join(parts))))
    return [(pattern, template) for pattern, template, _ in sorted(found, key=lambda f: -f[2])]


def template_of(text):
    """The template of the catalogue that `text` reads as, whole; None if none."""
    return next((t for pattern, t in templates() if pattern.fullmatch(text)), None)


# The failed outcomes (grader.seam), by how their template begins.
OUTCOMES = {"{exercise} did not end": "never-ends", "{label} calls {written}(...)": "calls-d2l"}


def named_mistake(exercise, result, statuses):
    """The id of the mistake that the English first message of `exercise`
    (`result`, GradeBook.exercise) names, read from the message itself: its
    hint's template, else, for an error, its type, else its title's template
    and the check that failed (the first in `statuses` that did not pass); an
    outcome's status and kind."""
    feedback, status = result["feedback"], result["status"]
    first = next(check for check, s in statuses.items() if s not in ("passed", "skipped"))
    hint = re.search(r"^  hint     (.*)$", feedback, re.M)
    hint = template_of(hint.group(1)) if hint else None
    if status == "error" and " raised an error\n" in feedback:
        known = {h for _words, _exercises, h, _values in KNOWN_ERRORS}
        cause = HINT + hint if hint in known else \
            ERROR + re.search(r"^  got      (\w+):", feedback, re.M).group(1)
    elif status == "failed" and "\n  called   " not in feedback:  # an outcome, no Failure
        first_line = template_of(feedback.partition("\n")[0])
        name = next(name for start, name in OUTCOMES.items() if first_line.startswith(start))
        return f"{exercise}/{name}"
    elif status == "failed" and hint:
        cause = HINT + hint
    elif status == "failed":
        title = feedback.partition("\n")[0].removeprefix(f"{exercise}: ")
        cause = TITLE + (template_of(title) or "")
    else:
        return identify(exercise, status, "", "", first, "")[0]
    return identify(exercise, status, cause, "", first, "")[0]


# Mistakes of the catalogue each written in several ways (its functions' names).
SAME_MISTAKE = [
    ("softmax_rewraps_with_torch_tensor", "softmax_through_numpy"),
    ("sgd_rebinds_the_loop_variable", "sgd_replaces_list_entries",
     "sgd_updates_only_the_first_param"),
    ("synthetic_data_noise_std_0_1", "synthetic_data_noise_std_1"),
    ("synthetic_data_noise_as_a_column", "synthetic_data_w_as_a_column"),
    ("data_iter_never_stops", "data_iter_repeats_the_first_batch_forever"),
    ("accuracy_argmax_over_examples", "accuracy_book_with_axis_0"),
    ("TimerReadsPerfCounterImportedByName", "TimerReadsTimeImportedByName"),
]
BY_FUNCTION = {v.fn.__name__: v for v in WRONG}


@pytest.mark.parametrize("names", SAME_MISTAKE, ids=lambda names: names[0])
def test_one_mistake_written_differently_gets_one_id_whatever_the_examples(names, tmp_path,
                                                                          request):
    """The variants give different messages (other values, other code) and one
    id; the first also under an instructor's grading seed, which draws other
    examples."""
    ids = set()
    for name in names:
        variant = BY_FUNCTION[name]
        learner = with_variant(tmp_path / name, variant)
        result, _statuses = learner_grade(learner, variant.exercise, request)
        ids.add(result["mistake"])
    variant = BY_FUNCTION[names[0]]
    learner = with_variant(tmp_path / "seeded", variant)
    result, _statuses = learner_grade(learner, variant.exercise, request, grading_seed=2024)
    ids.add(result["mistake"])
    assert len(ids) == 1, ids
    assert ids.pop().startswith(variant.exercise + "/")
