"""The mistake an exercise's first message names, as an id that stays the same
whatever the language, the examples drawn or the way the code was written.

A message the grader makes is a Diagnosed: the text the learner reads, and
the cause the kit found, as a key in English words (`cause`) and in the
learner's words (`words`). The key of a failed check is its hint's English
template (grader.i18n.Text.msgid): the hint is where a check names the usual
mistake, and one hint is one mistake in whichever check of the exercise gives
it. A failure with no hint of the catalogue is keyed by its title's template
and its check; an error the kit knows no hint for, by the error's type; the
statuses that say no more than themselves (not attempted, missing, timeout, a
file that does not import, the from-scratch rule, ...) are causes of their own.

An id reads `exercise/words-of-the-cause-1a2b3c`: a slug of the English words
and a hash of the key, or `exercise/not-attempted` for a status.
"""
import hashlib
import re

from grader.i18n import N_, _

# The causes that are a status or an outcome, and their words (translated where
# shown). Their ids are `exercise/<name>`.
STATUS_CAUSES = {
    "not-attempted": N_("the function still raises NotImplementedError"),
    "missing": N_("there is no such file or function"),
    "timeout": N_("a call took too long, or the submission's time ran out"),
    "import-error": N_("its file does not import, so the function could not be graded"),
    "crashed": N_("its code ended the process that ran it"),
    "calls-d2l": N_("calls the book's d2l package instead of its own code"),
    "never-ends": N_("never ends: it yields more batches than there are examples"),
    "from-scratch": N_("uses a built-in that does the whole job (the from-scratch rule)"),
    "file-not-read": N_("its file was not read as handed in: a link, not a regular file, too"
                        " large, or two files of one module"),
    "data-unavailable": N_("not graded: Fashion-MNIST could not be read"),
    "not-graded": N_("not graded: the grader could not finish it (see the message)"),
}
# A status's cause when its message names none.
BY_STATUS = {"not_attempted": "not-attempted", "missing": "missing", "timeout": "timeout",
             "error": "not-graded"}
# What a Diagnosed's `cause` starts with: a hint's or a title's template, an error's type.
HINT, TITLE, ERROR, STATUS = "hint:", "title:", "error:", "status:"


class Diagnosed(str):
    """A message that names its cause: `cause` (a key in English words: HINT,
    TITLE or ERROR and what it is of, or STATUS and a name of STATUS_CAUSES)
    and `words` (the cause as the learner reads it)."""

    def __new__(cls, text, cause, words):
        made = super().__new__(cls, text)
        made.cause, made.words = cause, str(words)
        return made

    def __getnewargs__(self):
        return str(self), self.cause, self.words


def status_cause(name):
    """The cause (and its words) of the status or outcome `name` of STATUS_CAUSES."""
    return STATUS + name, _(STATUS_CAUSES[name])


def cause_of(message):
    """(cause, words) that `message` names; ("", "") if it is no Diagnosed."""
    return getattr(message, "cause", ""), getattr(message, "words", "")


def identify(exercise, status, cause, words, check, first_line):
    """(id, title) of the mistake behind an exercise that did not pass, from its
    first unpassed check: its status, the cause and words its message named
    (empty if it named none), the check's name and the message's first line
    (without the exercise's name). A title cause is the mistake of its check
    only: two checks may both say "wrong values" of different mistakes."""
    if not cause:  # a message of no check (a judge's), or of one that names nothing
        cause, words = (TITLE, first_line) if status == "failed" else \
            status_cause(BY_STATUS.get(status, "not-graded"))
    if cause.startswith(STATUS):
        return f"{exercise}/{cause.removeprefix(STATUS)}", words
    key = f"{cause}|{check}" if cause.startswith(TITLE) else cause
    english = cause.partition(":")[2]
    if cause.startswith(ERROR):
        english = "raises " + english
    digest = hashlib.sha256(f"{exercise}|{key}".encode()).hexdigest()[:6]
    return f"{exercise}/{slug(english or check)}-{digest}", words or first_line


def slug(text, words=6):
    """The first `words` words of `text`, lower case, joined by hyphens; {name}
    placeholders keep their names, apostrophes go."""
    found = re.findall(r"[a-z0-9]+", text.lower().replace("'", ""))
    return "-".join(found[:words]) or "mistake"
