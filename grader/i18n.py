"""The learner's language: English, the texts as written in the code, or one
with a catalogue in grader/locale/ (Chinese: zh.po).

Every text a learner reads is written in English as `_("...")`, its values as
`{name}` placeholders filled with str.format after translating, so that a
translation may put them in its own order. A text defined before the language
is known (a table's title) is marked with `N_("...")` where it is defined and
passed through `_()` where it is shown. `pybabel extract` finds both marks (see
tests/test_i18n.py); adding a language is adding grader/locale/<lang>.po.

Code stays code: names, `dim=1`, tensors as torch prints them. What tools read
(--grade-json keys and statuses, CSV headers) is never translated.

A text shown through `_()` remembers its English template (Text.msgid), and
so does what its format() gives: a message can then be told by the words it
was made from whatever the language and the values (grader.grading.mistakes)."""
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


class Text(str):
    """A text in the learner's language that knows its English template, `msgid`;
    format() keeps it. Joining or adding texts gives a plain str: the result is
    made of several templates, none of which names it alone."""

    def __new__(cls, text, msgid):
        made = super().__new__(cls, text)
        made.msgid = msgid
        return made

    def __getnewargs__(self):
        return str(self), self.msgid

    def format(self, *args, **values):
        return Text(str.format(self, *args, **values), self.msgid)


def msgid(text):
    """The English template `text` was made from ("" if it is no Text)."""
    return getattr(text, "msgid", "")


def _(text):
    """`text` in the learner's language."""
    return Text(_current[1].gettext(text), str(text))


def ngettext(singular, plural, n):
    """The form of the text for `n` things, in the learner's language (its
    template: the singular)."""
    return Text(_current[1].ngettext(singular, plural, n), singular)


def N_(text):
    """Mark `text` for translation where it is shown, not here."""
    return text
