"""The kit's messages as the code beside the learner's words them.

In the grader's own processes a message is the learner's language at once
(grader.i18n); in the submission's process (grader/portable/worker.py), where
there is no catalogue, it is a Said: English text that carries its template
and values, which the judge words again from its own catalogue
(grader.classroom.remote). Only the standard library here.
"""
import sys


class Said(str):
    """A message of the kit as the submission's process words it: English text
    that also carries its `parts`, [(template, values)] joined by newlines, each
    template one of the kit's _() texts. The process sends the parts, not
    the text, so that the judge words the message in the learner's language
    from its own catalogue, and a submission can choose no text of a message
    but the values it quotes (grader.classroom.remote)."""

    def __new__(cls, text, parts):
        said = super().__new__(cls, text)
        said.parts = parts
        return said

    @classmethod
    def lines(cls, messages):
        """`messages` (Saids) as one Said, a line each."""
        return cls("\n".join(messages), [p for m in messages for p in getattr(m, "parts", ())])


class _Template(str):
    """A text of _() in the submission's process: formatting it gives a Said;
    unformatted, it is its own one part."""

    def format(self, **values):
        return Said(str.format(self, **values), [(str(self), values)])

    @property
    def parts(self):
        return [(str(self), {})]


def _(text):
    """`text` in the learner's language in the grader's own processes (through
    grader.i18n, once it is imported); in the submission's process, which has no
    grader.i18n, a template whose format() gives a Said."""
    i18n = sys.modules.get("grader.i18n")
    return i18n._(text) if i18n is not None else _Template(text)


def N_(text):
    """Mark `text` for translation where it is shown (as grader.i18n.N_)."""
    return text
