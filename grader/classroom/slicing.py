"""Parts of a module's or a package's source: the definitions some names need, and nothing else.

The judge sends a submission's process only the oracle's functions that its
requests use as stand-ins, and only the recipes they run (grader.classroom.remote): a
Slice of grader/portable/oracle.py or of the package grader/portable/recipes/ holds the
top-level definitions of the names asked for, with those they refer to, however
deep and across the package's modules (through `from .module import name`), and
the imports of the modules they come from. The process runs a slice in one
namespace, so the names of one slice's definitions must differ. Torch-free.
"""
import ast
import graphlib
import symtable
from pathlib import Path


class Slice:
    """The top-level definitions of one module's source, or of a package's
    modules (its __init__ aside), by module and name."""

    def __init__(self, path):
        path = Path(path)
        files = sorted(p for p in path.glob("*.py") if p.name != "__init__.py") \
            if path.is_dir() else [path]
        self.imports, self.links, self.nodes = {}, {}, {}
        for file in files:
            module, tree = file.stem, ast.parse(file.read_text())
            self.imports[module] = [n for n in tree.body if isinstance(n, ast.Import)
                                    or isinstance(n, ast.ImportFrom) and not n.level]
            self.links[module] = dict(pair for node in tree.body if isinstance(node, ast.ImportFrom)
                                      and node.level for pair in _linked(node, file))
            for node in tree.body:
                for name in _bound(node):
                    self.nodes.setdefault((module, name), []).append(node)
        self.defined = {}  # name -> the (module, name) of its definitions
        for key in self.nodes:
            self.defined.setdefault(key[1], []).append(key)
        # The modules in an order where each comes after those it imports from.
        self.order = list(graphlib.TopologicalSorter(
            {module: {m for m, _ in links.values()} for module, links in self.links.items()}
        ).static_order())
        self.needs = {key: set(filter(None, (self._resolve(key[0], name) for name in
                                             set().union(*map(_globals_of, nodes))))) - {key}
                      for key, nodes in self.nodes.items()}

    def _resolve(self, module, name):
        """The (module, name) of the definition that `name` means in `module`,
        through its imports from the package; None for a builtin or an import
        from outside."""
        while (module, name) not in self.nodes:
            if name not in self.links[module]:
                return None
            module, name = self.links[module][name]
        return module, name

    def _keys(self, names):
        """The (module, name) of `names` and of every top-level definition their
        definitions refer to, however deep; a name no module defines is left out."""
        found, todo = set(), []
        for name in names:
            defined = self.defined.get(name, [])
            if len(defined) > 1:
                raise ValueError(f"{name} is defined in several modules: {sorted(defined)}")
            todo += defined
        while todo:
            key = todo.pop()
            if key not in found:
                found.add(key)
                todo += self.needs[key]
        if len({name for _, name in found}) < len(found):
            raise ValueError(f"two definitions of one name in a slice: {sorted(found)}")
        return found

    def closure(self, names):
        """`names` and every top-level name their definitions refer to, however deep."""
        return {name for _, name in self._keys(names)}

    def definitions(self, names):
        """The statements of closure(names), each once, in the order they run:
        module by module (each after those it imports from), then line by line."""
        keys, rank = self._keys(names), {module: i for i, module in enumerate(self.order)}
        nodes = {id(node): (rank[module], node) for module, name in keys
                 for node in self.nodes[module, name]}
        return [node for _, node in sorted(nodes.values(), key=lambda p: (p[0], p[1].lineno))]

    def source(self, names):
        """The imports of the modules closure(names) comes from, then its definitions."""
        modules = {module for module, _ in self._keys(names)}
        imports = [node for module in self.order if module in modules
                   for node in self.imports[module]]
        lines = dict.fromkeys(ast.unparse(node) for node in imports)
        return "\n".join([*lines, ast.unparse(ast.Module(self.definitions(names), []))])


def _linked(node, file):
    """(name, (module, name)) for each name a `from .module import name` binds."""
    if node.level != 1 or node.module is None or any(
            alias.asname not in (None, alias.name) for alias in node.names):
        raise ValueError(f"{file.name}: only `from .module import name` may import from "
                         f"the package: the process sent a slice has one namespace")
    return [(alias.name, (node.module, alias.name)) for alias in node.names]


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
