"""The release's texts in the learner's language (grader.i18n's): the stubs'
docstrings and the learner's Markdown pages, translated piece by piece.

A docstring's message id is its text as written in the source between the
quotes, its indentation removed (inspect.cleandoc): escapes such as `'\\n'` stay
as written, so a translation is put back into the source as it is, and the
code around it does not change by a byte. A comment on a line of its own
(`# The model's parameters ...`) is translated too, its id the text after
`# `; comments after code (`# noqa`) stay. A Markdown page is translated block
by block (blocks are separated by blank lines, a fenced code block is one
block): commands have no entry in the catalogue and stay as they are, an
example of the kit's output has one. An id with no translation stays English,
so with English every text is its own translation and the output is the input.
"""
import ast
import inspect
import io
import tokenize

from grader.i18n import _

QUOTES = '"""'


def docstrings(source):
    """[(string node, its indentation)] of every docstring in `source`: the
    module's and those of its classes, functions and methods."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) \
                and node.body and isinstance(node.body[0], ast.Expr) \
                and isinstance(node.body[0].value, ast.Constant) \
                and isinstance(node.body[0].value.value, str):
            string = node.body[0].value
            found.append((string, " " * string.col_offset))
    return found


def docstring_id(literal):
    """The message id of a docstring whose source is `literal` (quotes included)."""
    if not (literal.startswith(QUOTES) and literal.endswith(QUOTES)):
        raise ValueError(f"a docstring is not written as {QUOTES}...{QUOTES}: {literal[:40]}")
    return inspect.cleandoc(literal[3:-3])


def translate_comments(source, translate=None):
    """`source` with each comment that is alone on its line translated
    (`translate`, by default grader.i18n's _(), as for the functions below)."""
    translate = translate or _
    lines = source.splitlines(keepends=True)
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        row, col = token.start
        if token.type == tokenize.COMMENT and token.string.startswith("# ") \
                and not lines[row - 1][:col].strip():
            text = translate(token.string[2:])
            lines[row - 1] = lines[row - 1][:col] + "# " + text + lines[row - 1][token.end[1]:]
    return "".join(lines)


def translate_source(source, translate=None):
    """`source` with its comments translated (translate_comments) and each
    docstring replaced by `translate(its id)`, indented as the original and
    closed as it was (on its own line or not); the code unchanged.
    translate(id) == id gives `source` back."""
    translate = translate or _
    source = translate_comments(source, translate)
    lines = source.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(lineno, col):  # ast's columns count UTF-8 bytes
        return starts[lineno - 1] + len(lines[lineno - 1].encode()[:col].decode())

    out, end = [], len(source)
    for string, indent in sorted(docstrings(source), key=lambda d: -d[0].lineno):
        a = offset(string.lineno, string.col_offset)
        b = offset(string.end_lineno, string.end_col_offset)
        literal = source[a:b]
        text = translate(docstring_id(literal)).splitlines()
        body = text[0] + "".join("\n" + (indent + line if line else "") for line in text[1:])
        closing = "\n" + indent if literal[:-3].rstrip(" ").endswith("\n") else ""
        out.append(source[b:end])
        out.append(QUOTES + body + closing + QUOTES)
        end = a
    out.append(source[:end])
    return "".join(reversed(out))


def markdown_blocks(text):
    """[(block, fenced)]: `text` cut at blank lines, a fenced code block (```)
    kept whole."""
    blocks, current, fenced = [], [], False
    for line in text.split("\n"):
        if line.startswith("```"):
            if not fenced and current:
                blocks.append(("\n".join(current), False))
                current = []
            current.append(line)
            if fenced:
                blocks.append(("\n".join(current), True))
                current = []
            fenced = not fenced
        elif fenced:
            current.append(line)
        elif line.strip():
            current.append(line)
        elif current:
            blocks.append(("\n".join(current), False))
            current = []
    if fenced:
        raise ValueError("a Markdown page ends inside a fenced code block")
    if current:
        blocks.append(("\n".join(current), False))
    return blocks


def translate_markdown(text, translate=None):
    """`text` translated block by block, blocks joined by one blank line."""
    translate = translate or _
    return "\n\n".join(translate(block) for block, _fenced in markdown_blocks(text)) + "\n"
