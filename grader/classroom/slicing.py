"""Parts of a module's source: the definitions some names need, and nothing else.

The judge sends a submission's process only the oracle's functions that its
requests use as stand-ins, and only the recipes they run (grader.classroom.remote): a
Slice of grader/portable/oracle.py or grader/portable/recipes.py holds the module's imports and
the top-level definitions of the names asked for, with those they refer to,
however deep. Torch-free.
"""
import ast
import symtable
from pathlib import Path


class Slice:
    """The top-level definitions of one module's source, by name."""

    def __init__(self, path):
        tree = ast.parse(Path(path).read_text())
        self.imports = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
        self.nodes = {}  # name -> the statements that bind it or set its attributes
        for node in tree.body:
            for name in _bound(node):
                self.nodes.setdefault(name, []).append(node)
        self.needs = {name: set().union(*map(_globals_of, nodes)) & set(self.nodes) - {name}
                      for name, nodes in self.nodes.items()}

    def closure(self, names):
        """`names` and every top-level name their definitions refer to, however deep."""
        found, todo = set(), [n for n in names if n in self.nodes]
        while todo:
            name = todo.pop()
            if name not in found:
                found.add(name)
                todo += self.needs[name]
        return found

    def source(self, names):
        """The imports and the definitions of closure(names), in the module's order."""
        wanted = self.closure(names)
        seen, body = set(), list(self.imports)
        for name in self.nodes:
            for node in self.nodes[name] if name in wanted else ():
                if id(node) not in seen:
                    seen.add(id(node))
                    body.append(node)
        order = {id(node): node.lineno for node in body}
        return ast.unparse(ast.Module(sorted(body, key=lambda n: order[id(n)]), []))


def _bound(node):
    """The top-level names a statement defines, or whose attributes it sets
    (show_images.last = None belongs to show_images)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = []
        for target in targets:
            while isinstance(target, ast.Attribute):
                target = target.value
            if isinstance(target, ast.Name):
                names.append(target.id)
            elif isinstance(target, (ast.Tuple, ast.List)):
                names += [e.id for e in target.elts if isinstance(e, ast.Name)]
        return names
    return []


def _globals_of(node):
    """The global names a top-level statement reads, its functions' and classes'
    bodies included (their parameters and locals are not globals)."""
    table = symtable.symtable(ast.unparse(node), "<slice>", "exec")
    found, tables = set(), [table]
    while tables:
        table = tables.pop()
        found |= {s.get_name() for s in table.get_symbols()
                  if (s.is_global() or table.get_type() == "module") and s.is_referenced()}
        tables += table.get_children()
    return found
