"""The learner's language: English, the texts as written in the code, or one
with a catalogue in grader/locale/ (Chinese: zh.po).

Every text a learner reads is written in English as `_("...")`, its values as
`{name}` placeholders filled with str.format after translating, so that a
translation may put them in its own order. A text defined before the language
is known (a table's title) is marked with `N_("...")` where it is defined and
passed through `_()` where it is shown. `pybabel extract` finds both marks (see
tests/test_i18n.py); adding a language is adding grader/locale/<lang>.po.

Code stays code: names, `dim=1`, tensors as torch prints them. What tools read
(--grade-json keys and statuses, CSV headers) is never translated."""
import gettext
import io
import locale
import os
from contextlib import contextmanager
from functools import cache
from pathlib import Path

LOCALE = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("en",) + tuple(sorted(p.stem for p in LOCALE.glob("*.po")))
_current = ["en", gettext.NullTranslations()]  # the language and its translations


def language_from_environment(environ=os.environ):
    """The language the learner's locale asks for, as gettext reads it: the first
    of LANGUAGE, LC_ALL, LC_MESSAGES and LANG that is set; on Windows, where
    none usually is, the system locale. English unless that is one we have."""
    value = next((environ[v] for v in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
                  if environ.get(v)), None)
    if value is None:
        value = _system_locale()
    for lang in LANGUAGES:
        if value.lower().startswith(lang) or (lang == "zh" and value.startswith("Chinese")):
            return lang
    return "en"


def _system_locale():
    try:
        return locale.getlocale()[0] or ""
    except ValueError:
        return ""


@cache
def _catalogue(lang):
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    with open(LOCALE / f"{lang}.po", "rb") as f:
        catalog = read_po(f)
    mo = io.BytesIO()
    write_mo(mo, catalog)
    mo.seek(0)
    return gettext.GNUTranslations(mo)


def set_language(lang):
    """Show texts in `lang` (one of LANGUAGES) from now on."""
    if lang not in LANGUAGES:
        raise ValueError(f"no such language: {lang} (one of {', '.join(LANGUAGES)})")
    _current[:] = lang, gettext.NullTranslations() if lang == "en" else _catalogue(lang)


def language():
    """The language texts are shown in now."""
    return _current[0]


@contextmanager
def speaking(lang):
    """Texts in `lang` (None: the locale's) inside the block, as before after it."""
    before = language()
    set_language(lang or language_from_environment())
    try:
        yield
    finally:
        set_language(before)


def texts():
    """{English: translation} of every text of the language shown now (empty for
    English), for a process that cannot import the grader (the worker's seam)."""
    catalogue = getattr(_current[1], "_catalog", {})  # GNUTranslations' own dict
    return {k: v for k, v in catalogue.items() if isinstance(k, str) and k}


def _(text):
    """`text` in the learner's language."""
    return _current[1].gettext(text)


def ngettext(singular, plural, n):
    """The form of the text for `n` things, in the learner's language."""
    return _current[1].ngettext(singular, plural, n)


def N_(text):
    """Mark `text` for translation where it is shown, not here."""
    return text
