"""A notebook's code cells, run one statement at a time into one module."""
import ast
import inspect
import linecache
import re
import types

from grader.portable.book import BOOK_BINDING, BookCalled, BookImports, BookPackage
from grader.portable.sources import (PYTHON_CELL_MAGICS, bound_names, is_docstring,
                                     is_grading_call, is_stub, kept_statement, library_names,
                                     parse_source)


def is_definition(value):
    """Whether an assignment of `value` to a name defines it as a function or a
    class would (an alias: softmax = my_softmax, a lambda, d2l's function that
    `from d2l.torch import softmax` binds), rather than giving it a value
    (net = nn.Sequential(...))."""
    return inspect.isroutine(value) or isinstance(value, (type, BookPackage))


def _names_bound(node):
    """The names a top-level statement binds."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return [a.asname or a.name.split(".")[0] for a in node.names if a.name != "*"]
    targets = node.targets if isinstance(node, ast.Assign) else \
        [node.target] if isinstance(node, (ast.AnnAssign, ast.AugAssign)) else []
    return [name for target in targets for name in bound_names(target)]


class Cells:
    """A notebook's code cells, run one after another into one new module named
    `name`: of each cell only the kept statements (kept_statement), each on its
    own, so that one that fails does not lose the rest. `notes` (LoadNotes)
    collects what was not run or failed.

    A name's definition is its last def or class, or its last assignment of a
    function or a class (an alias, see is_definition); a later assignment of a
    value (3.7's `net = nn.Sequential(...)` after 3.6's `def net`) rebinds the
    name in the module but does not replace the definition, which is what is
    graded. After the cells run:
    - `defined`: {name: implemented?} for each name bound, by its definition
      (a stub is not implemented), or by its last assignment if it has none;
    - `definitions`: {name: the function or class of its definition};
    - `defined_in`, `assigned_in`, `bound_in`: {name: the cell of its
      definition}, {name: the cell of the last statement that ran and bound it},
      {name: the cell of the last statement, run or not, that binds it};
    - `lost`: {name: (cell, line, error)} of the names that a statement which
      failed would have bound (and no later one bound).
    """

    def __init__(self, name, notes):
        self.module = types.ModuleType(name)
        self.module.__dict__[BOOK_BINDING] = BookPackage
        self.notes, self.libraries = notes, set()
        self.defined, self.definitions, self.lost = {}, {}, {}
        self.defined_in, self.assigned_in, self.bound_in = {}, {}, {}

    def cell(self, number, text, filename):
        """Run the kept statements of the code cell `number`, its source `text`,
        compiled under `filename` (which names it in tracebacks)."""
        notes = self.notes
        magic = re.match(r"\s*%%(\w+)", text)
        if magic and magic.group(1) not in PYTHON_CELL_MAGICS:
            notes.shell.append(number)  # %%bash, %%writefile, ...: not Python
            return
        try:
            tree, blanked = parse_source(text, filename)
        except SyntaxError as e:
            notes.unreadable.append((number, e))
            return
        notes.shell += [number] * bool(blanked)
        books = BookImports()
        tree = books.visit(tree)
        notes.book += [number] * bool(books.lines)
        # So that tracebacks show the cell's lines.
        linecache.cache[filename] = (len(text), None, text.splitlines(keepends=True), filename)
        for node in tree.body:
            self.bound_in.update(dict.fromkeys(_names_bound(node), number))
            if not kept_statement(node, self.libraries):
                if not (is_docstring(node) or is_grading_call(node)):
                    notes.skipped.append(number)
                continue
            self.libraries |= library_names(node)
            try:
                exec(compile(ast.Module([node], []), filename, "exec"), self.module.__dict__)
            except (Exception, SystemExit, BookCalled) as e:
                notes.failed.append((number, node.lineno, e))
                self.lost.update(dict.fromkeys(_names_bound(node), (number, node.lineno, e)))
                continue
            self._bound(node, number)

    def _bound(self, node, number):
        """Note the names `node`, which ran in cell `number`, bound (an import
        defines nothing: a notebook that imports a learner's module grades it there)."""
        definition = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        for name in _names_bound(node):
            self.lost.pop(name, None)
            self.assigned_in[name] = number
            value = self.module.__dict__.get(name)
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            if definition or is_definition(value):
                self.definitions[name], self.defined_in[name] = value, number
                self.defined[name] = not (definition and is_stub(node))
            elif name not in self.definitions:
                self.defined[name] = True
