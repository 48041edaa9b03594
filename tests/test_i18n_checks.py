"""The checks' texts in Chinese: every text of grader/checks and grader/suite has
a Chinese entry with the same placeholders, and the catalogue is judged alike in
both languages, its first message translated."""
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from grader import i18n
from tests import alternatives, from_scratch, wrong  # noqa: F401 - register the variants
from tests.catalogue import WRONG, first_of_each_exercise
from tests.conftest import learner_feedback, with_variant

GRADER = Path(i18n.__file__).parent
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"\{(\w*)[^{}]*\}")


def _catalogue():
    with open(GRADER / "locale" / "zh.po", "rb") as f:
        return read_po(f)


def _texts_of(folder):
    """(file, line, English text) of every text marked in grader/<folder>; both forms
    of an ngettext."""
    for filename, lineno, message, _comments, _context in extract_from_dir(
            GRADER / folder, method_map=[("**.py", "python")], keywords=KEYWORDS):
        for text in (message if isinstance(message, tuple) else (message,)):
            yield f"grader/{folder}/{filename}", lineno, text


@pytest.mark.parametrize("folder", ["checks", "suite"])
def test_every_text_of_the_checks_has_chinese_with_the_same_placeholders(folder):
    catalogue = _catalogue()
    for path, lineno, text in _texts_of(folder):
        entry = catalogue.get(text) or next(
            (m for m in catalogue if isinstance(m.id, tuple) and text in m.id), None)
        assert entry is not None and entry.string and all(entry.string), \
            f"{path}:{lineno}: no Chinese for {text!r}"
        for translation in (entry.string if isinstance(entry.string, tuple) else (entry.string,)):
            assert sorted(PLACEHOLDER.findall(translation)) == sorted(PLACEHOLDER.findall(text)), \
                f"{path}:{lineno}: placeholders differ in {translation!r}"


def _templates():
    """(English, Chinese) of each entry: the English as a regular expression whose
    groups are its placeholders; an ngettext's forms each."""
    pairs = []
    for message in _catalogue():
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
    languages, and the Chinese message opens with the Chinese of the English title."""
    english, en_statuses = _feedback(variant, "en", tmp_path, request)
    chinese, zh_statuses = _feedback(variant, "zh", tmp_path, request)
    assert zh_statuses == en_statuses
    assert chinese != english
    prefix = f"{variant.exercise}: "
    title = english.splitlines()[0].removeprefix(prefix)
    translated = chinese_of(title, _templates())
    assert translated and translated != title, f"no Chinese for the title {title!r}"
    assert chinese.splitlines()[0] == prefix + translated, chinese
    assert i18n.language() == "en"
