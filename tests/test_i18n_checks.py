"""The checks' texts in Chinese: the catalogue is judged alike in both
languages, its first message translated."""
import re
from functools import cache

import pytest

from grader import i18n
from tests import alternatives, from_scratch, wrong  # noqa: F401 - register the variants
from tests.catalogue import WRONG, first_of_each_exercise
from tests.conftest import learner_feedback, with_variant
from tests.test_i18n import catalogue, english_sentences

PLACEHOLDER = re.compile(r"\{(\w*)[^{}]*\}")


@cache
def _templates():
    """(English, Chinese) of each entry: the English as a regular expression whose
    groups are its placeholders; an ngettext's forms each."""
    pairs = []
    for message in catalogue("zh"):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        string = message.string[0] if isinstance(message.string, tuple) else message.string
        pairs += [(english, string) for english in ids]
    return pairs


def _pattern(english):
    seen, parts = set(), []
    for literal, name in re.findall(r"([^{]*)(?:\{(\w+)\})?", english):
        parts.append(re.escape(literal))
        if name:
            parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
            seen.add(name)
    return re.compile("".join(parts) + r"\Z", re.S)


def chinese_of(text, templates):
    """`text` as the catalogue translates it: the entry it is, or whose English,
    its placeholders filled, it is (the longest such), with its values translated
    in turn; None if no entry makes it."""
    exact = dict(templates)
    if exact.get(text):
        return exact[text]
    matches = sorted(((english, string) for english, string in templates if "{" in english),
                     key=lambda pair: -len(PLACEHOLDER.sub("", pair[0])))
    for english, string in matches:
        found = _pattern(english).match(text)
        if found:
            values = {k: chinese_of(v, templates) or v for k, v in found.groupdict().items()}
            return string.format(**values)
    return None


def _feedback(variant, lang, tmp_path, request):
    i18n.set_language(lang)
    try:
        learner = with_variant(tmp_path / f"impl-{lang}", variant)
        return learner_feedback(learner, variant.exercise, request)
    finally:
        i18n.set_language("en")


@pytest.mark.parametrize("variant", first_of_each_exercise(WRONG), ids=str)
def test_the_catalogue_is_judged_alike_and_told_in_chinese(variant, tmp_path, request):
    """The first wrong variant of each exercise: the same statuses in both
    languages, and the Chinese message opens with the Chinese of the English title
    and holds no English sentence. (tests/test_i18n.py checks that every text
    has its Chinese.)"""
    english, en_statuses = _feedback(variant, "en", tmp_path, request)
    chinese, zh_statuses = _feedback(variant, "zh", tmp_path, request)
    assert zh_statuses == en_statuses
    assert chinese != english
    prefix = f"{variant.exercise}: "
    title = english.splitlines()[0].removeprefix(prefix)
    translated = chinese_of(title, _templates())
    assert translated and translated != title, f"no Chinese for the title {title!r}"
    assert chinese.splitlines()[0] == prefix + translated, chinese
    assert english_sentences(chinese) == [], chinese
    assert i18n.language() == "en"
