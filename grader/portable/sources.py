"""Reading the learner's sources: a .py file's text, Python with IPython's magic
and shell lines, a notebook's code cells, and which of a notebook's top-level
statements run when it is graded (kept_statement) and what they define."""
import ast
import importlib.util
import json
import re
from pathlib import Path

from grader.portable.book import BOOK_BINDING
from grader.portable.said import _

SHELL_LINE = re.compile(r"^[ \t]*(?:[%!]|[A-Za-z_]\w*[ \t]*=[ \t]*[%!])")
# Cell magics whose body is Python (run as it is); any other cell magic's is not.
PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun"}
# Libraries whose functions a kept assignment may call (W = torch.normal(...)).
LIBRARIES = {"torch", "torchvision", "numpy", "math"}
# Built-ins a kept assignment may call.
SIMPLE_CALLS = {"int", "float", "bool", "str", "tuple", "list", "dict", "set", "range", "len",
                "abs", "min", "max", "round"}


class SourceProblem(Exception):
    """A learner's file that cannot be read as code; str() says why, for the learner."""


def read_source(path):
    """The text of a learner's .py file, decoded as Python decodes source (UTF-8
    unless a coding line says otherwise); raises SourceProblem."""
    data = path.read_bytes()
    try:
        return importlib.util.decode_source(data)
    except (UnicodeDecodeError, SyntaxError) as e:
        line = data[:getattr(e, "start", 0)].count(b"\n") + 1
        raise SourceProblem(_("{file} is not UTF-8 text (line {line} holds a byte that UTF-8"
                              " does not allow): save it as UTF-8 in your editor and hand it in"
                              " again.").format(file=path.name, line=line)) from None


def parse_source(source, filename):
    """(tree, numbers of the lines blanked): `source` parsed as Python, as it is if
    it parses, else with IPython's magic and shell lines (%..., !..., x = !...)
    blanked, which keeps every other line's number. Raises SyntaxError."""
    try:
        return ast.parse(source, filename), []
    except SyntaxError:
        lines = source.splitlines(keepends=True)
        blanked = [n for n, line in enumerate(lines, 1) if SHELL_LINE.match(line)]
        if not blanked:
            raise
        for n in blanked:
            lines[n - 1] = "\n"
        return ast.parse("".join(lines), filename), blanked


def is_docstring(node):
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)


def is_grading_call(node):
    """A `grader.check(...)` statement: the notebook front-end's own cell, which
    grading a notebook skips without a note."""
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) \
        and isinstance(node.value.func, ast.Attribute) and node.value.func.attr == "check" \
        and isinstance(node.value.func.value, ast.Name) and node.value.func.value.id == "grader"


def is_stub(node):
    """A def whose body only raises NotImplementedError (after its docstring),
    or a class whose methods are all such defs: the kit's untouched stub."""
    if isinstance(node, ast.ClassDef):
        defs = [n for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
        return bool(defs) and all(map(is_stub, defs))
    body = node.body[1:] if is_docstring(node.body[0]) else node.body
    if len(body) != 1 or not isinstance(body[0], ast.Raise) or body[0].exc is None:
        return False
    raised = body[0].exc.func if isinstance(body[0].exc, ast.Call) else body[0].exc
    return isinstance(raised, ast.Name) and raised.id == "NotImplementedError"


def bound_names(target):
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from bound_names(element)


def definitions(statements):
    """{name: whether it is implemented} for each name that top-level
    `statements` bind by def, class or assignment, by its last binding: a stub
    (see is_stub) is not an implementation."""
    found = {}
    for node in statements:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found[node.name] = not is_stub(node)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            found.update((name, True) for t in targets for name in bound_names(t))
    return found


def _simple(node, libraries):
    """Whether evaluating the expression `node` calls only the libraries' functions
    (by the names `libraries` bound) and SIMPLE_CALLS; a lambda's body does not
    run when it is assigned."""
    if isinstance(node, ast.Lambda):
        return all(_simple(d, libraries) for d in node.args.defaults + node.args.kw_defaults
                   if d is not None)
    if isinstance(node, (ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr)):
        return False
    if isinstance(node, ast.Call):
        root = node.func
        while isinstance(root, (ast.Attribute, ast.Call)):
            root = root.value if isinstance(root, ast.Attribute) else root.func
        if not isinstance(root, ast.Name) or not (
                root.id in libraries or (root.id in SIMPLE_CALLS and root is node.func)):
            return False
    return all(_simple(child, libraries) for child in ast.iter_child_nodes(node))


def _part_of_a_value(node, libraries):
    """Whether the expression `node` is an attribute or an item of a value that is
    no library's (3.3's `net[0].bias.data`, `X.shape[1]`)."""
    root = node
    while isinstance(root, (ast.Attribute, ast.Subscript)):
        root = root.value
    return root is not node and not (isinstance(root, ast.Name) and root.id in libraries)


def kept_statement(node, libraries):
    """Whether a notebook's top-level statement runs when it is graded: an import,
    a def or class, or an assignment to plain names of an expression that calls
    only torch (and the like: `libraries` are the names bound to them) and a few
    built-ins, such as `W = torch.normal(0, 0.01, size=(784, 10), requires_grad=True)`
    or `lr = 0.1`, and that is not a part of another value (3.3's
    `b = net[0].bias.data` reads what a training run made, and would rebind the
    `b` that 3.6's net reads)."""
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef,
                         ast.ClassDef)):
        return True
    if isinstance(node, ast.Assign):
        targets, value = node.targets, node.value
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        targets, value = [node.target], node.value
    else:
        return False
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) \
            and value.func.id == BOOK_BINDING:
        return True  # a d2l import, turned into a stand-in
    plain = all(isinstance(t, ast.Name) or (isinstance(t, (ast.Tuple, ast.List)) and all(
        isinstance(e, ast.Name) for e in t.elts)) for t in targets)
    return plain and _simple(value, libraries) and not _part_of_a_value(value, libraries)


def library_names(node):
    """The names an import binds to LIBRARIES or to what they hold."""
    if isinstance(node, ast.Import):
        return {a.asname or a.name.split(".")[0] for a in node.names
                if a.name.split(".")[0] in LIBRARIES}
    if isinstance(node, ast.ImportFrom) and not node.level and \
            (node.module or "").split(".")[0] in LIBRARIES:
        return {a.asname or a.name for a in node.names}
    return set()


def notebook_cells(path):
    """[(cell number, counted from 1 over all cells, source)] of a notebook's code
    cells, nbformat 4 or 3, outputs unread; raises SourceProblem."""
    try:
        notebook = json.loads(path.read_bytes())
    except UnicodeDecodeError:
        raise SourceProblem(_("{file} is not UTF-8 text, as every notebook Jupyter saves is:"
                              " open it in Jupyter, save it again and hand it in"
                              " again.").format(file=path.name)) from None
    except ValueError as e:
        raise SourceProblem(_("{file} is not a notebook the grader can read: it is not valid"
                              " JSON ({error}). Open it in Jupyter; if it opens, save it again"
                              " and hand that in.").format(file=path.name, error=e)) from None
    version = notebook.get("nbformat") if isinstance(notebook, dict) else None
    if version == 3:
        cells, key = [c for sheet in notebook.get("worksheets") or [] if isinstance(sheet, dict)
                      for c in sheet.get("cells") or []], "input"
    elif isinstance(version, int) and version >= 4:
        cells, key = notebook.get("cells"), "source"
        if not isinstance(cells, list):
            raise SourceProblem(_("{file} is not a notebook the grader can read: it says nbformat"
                                  " {version} but has no list of cells. Open it in Jupyter; if"
                                  " it opens, save it again and hand that in.").format(
                                      file=path.name, version=version))
    else:
        raise SourceProblem(_("{file} is not a notebook the grader can read (its nbformat is"
                              " {version}, not 3 or 4): open it in Jupyter, save it again and"
                              " hand that in.").format(file=path.name, version=repr(version)))
    code = []
    for number, cell in enumerate(cells, 1):
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            text = cell.get(key, "")
            text = "".join(text) if isinstance(text, list) else text
            if isinstance(text, str):
                code.append((number, text))
    if not code:
        raise SourceProblem(_("{file} has no code cells, so it has nothing to grade.").format(
            file=path.name))
    return code


def notebooks_in(folder):
    """The notebooks in `folder` (not in its sub-folders), sorted by name."""
    return sorted(p for p in Path(folder).glob("*.ipynb") if p.is_file())
