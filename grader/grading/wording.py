"""How a message is laid out for a terminal, in either language: columns (a
Chinese character takes two), the label column of a message ("  hint     "),
and the note of what the learner's code warned. The grading core words its
messages with these; the front-ends lay out their tables with them."""
import re
import unicodedata

from grader.exercises import BY_NAME
from grader.i18n import _, ngettext


def columns(text):
    """The columns `text` takes in a terminal: two for a wide (CJK) character."""
    return sum(1 + (unicodedata.east_asian_width(c) in "WF") for c in text)


def pad(text, width):
    """`text` followed by spaces up to `width` terminal columns (as f"{text:<n}"
    for English, and for Chinese, whose characters take two columns each)."""
    return text + " " * (width - columns(text))


def label(word):
    """A message's label column, "  hint     " (two spaces, the word padded to
    eight columns, a space): `word` is already in the learner's language."""
    return f"  {pad(word, 8)} "


# The width of label(): a value's later lines are indented by as much.
INDENT = " " * 11


# Kinds of warning named one by one in an exercise's feedback; the rest are counted.
WARNINGS_SHOWN = 3


def warnings_note(warned):
    """The lines that say what the learner's code warned, each kind once:
    `warned` is {(function, "Category: message"): times}, the most raised
    first (see grader.portable.warned)."""
    kinds = sorted(warned.items(), key=lambda item: -item[1])
    lines = [label(_("warning")) + ngettext("{function} raised this once: {warning}",
                                            "{function} raised this {count} times: {warning}",
                                            times).format(function=function, count=times,
                                                          warning=text)
             for (function, text), times in kinds[:WARNINGS_SHOWN]]
    rest = sum(times for _kind, times in kinds[WARNINGS_SHOWN:])
    if rest:
        lines.append(label(_("warning")) + ngettext(
            "and {count} warning of other kinds", "and {count} warnings of other kinds",
            rest).format(count=rest))
    return "\n".join(lines)


def clip(text, width):
    """`text` cut at the last word boundary before `width` terminal columns (see
    columns()), with "..." if cut."""
    if columns(text) <= width:
        return text
    head = text[:next(i for i in range(len(text) + 1) if columns(text[:i + 1]) > width - 3)]
    cut = head.rsplit(" ", 1)[0] if " " in head else head
    return cut.rstrip(" ,;:") + "..."


def heading(name):
    """"softmax (d2l 3.6.2)": the exercise `name` and its section of the book,
    in the learner's language."""
    return _("{exercise} (d2l {section})").format(exercise=name,
                                                  section=_(BY_NAME[name].section))


def code_block(text):
    """`text` verbatim in Markdown (Gradescope's page, GitHub's job summary): fenced
    by more backticks than it holds in a row."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"
