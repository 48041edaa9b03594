"""The from-scratch rule, read from the learner's source in the grader's own process.

The rule's first half watches calls where the learner's code runs
(seam.FromScratch), and a submission's code can switch that off in its own
process. This half reads the code: the exercise's definition and every
function or class of the learner's files it refers to by name, however deep,
for a built-in that does the exercise's whole job named in it (`torch.softmax`,
`X.softmax`, `F.cross_entropy`, `nn.MSELoss`, `torch.optim`, `DataLoader`,
`from torch.nn.functional import softmax`), and for names built while the code
runs (getattr with a computed name, eval, importlib, sys.modules, __dict__...),
which would hide one. It runs where the grader runs, on the files the
grader read, so no submission can change what it finds. Torch-free.
"""
import ast
import json

from grader.i18n import _

# PyTorch's module classes that call a built-in of the rule, by that built-in's name.
MODULE_CLASSES = {"Softmax": "softmax", "LogSoftmax": "log_softmax",
                  "CrossEntropyLoss": "cross_entropy", "NLLLoss": "nll_loss",
                  "MSELoss": "mse_loss", "HuberLoss": "huber_loss",
                  "SmoothL1Loss": "smooth_l1_loss", "Linear": "linear"}
# Calls and attributes that look a function up by a name built at run time, or
# reach past the code as written.
DYNAMIC_CALLS = {"getattr", "setattr", "eval", "exec", "compile", "__import__", "globals",
                 "vars", "locals", "attrgetter", "methodcaller", "import_module"}
DYNAMIC_ATTRIBUTES = {"__dict__", "__getattribute__", "__getattr__", "__builtins__",
                      "__globals__", "__subclasses__", "__code__", "__closure__", "f_globals",
                      "f_locals", "f_back", "_getframe", "modules", "DisableTorchFunction",
                      "_pop_mode", "_len_torch_function_stack", "_C"}


def _plain_name(name):
    """A function's name as the rule compares it: torch.ops.aten._softmax is softmax,
    torch.special.softmax and torch.linalg.inv alike."""
    return MODULE_CLASSES.get(name, name).lstrip("_").removeprefix("special_") \
        .removeprefix("linalg_")


def rule_names(spec):
    """{name as written in code: the built-in it stands for} of one exercise's
    seam spec: its forbidden functions (and the module classes that call them),
    and the last part of each forbidden code path (torch.optim: optim)."""
    names = {name: name for name in spec["forbidden"]}
    names.update((cls, MODULE_CLASSES[cls]) for cls in MODULE_CLASSES
                 if MODULE_CLASSES[cls] in spec["forbidden"])
    for prefix, label in spec["forbidden_code"].items():
        names[label.rsplit(".", 1)[-1]] = label
    return names


class Source:
    """The learner's files as the rule reads them: for each file, its top-level
    bindings (the last statement binding each name: a def, a class, an import or
    an assignment), notebooks' code cells read as one file."""

    def __init__(self, files):
        self.files = {}
        for name, text in files.items():
            tree = _parse(name, text)
            if tree is not None:
                self.files[name] = _bindings(tree)

    def definition(self, exercise, module):
        """(file, node) of `exercise`'s implementation: in module.py if that file
        implements it, else the first notebook that does; None if none does."""
        order = [f"{module}.py"] + sorted(n for n in self.files if n.endswith(".ipynb"))
        for name in order:
            node = self.files.get(name, {}).get(exercise)
            if node is not None and _implemented(node):
                return name, node
        return None

    def first_use(self, exercise, spec):
        """(what, line, dynamic) of the first place where `exercise`'s code, or code
        it refers to, names a built-in of its rule (what: as written, dynamic False)
        or looks a name up at run time (what: the call or attribute, dynamic True);
        None if there is none, or the exercise has no rule."""
        names = rule_names(spec)
        found = self.definition(exercise, spec["module"])
        if not names or found is None:
            return None
        seen, todo = set(), [found]
        while todo:
            file, node = todo.pop(0)
            if (file, id(node)) in seen:
                continue
            seen.add((file, id(node)))
            use = _first_use(node, names, spec["forbidden_code"], self.files[file])
            if use is not None:
                return use
            todo += [(f, n) for f, n in self._referred(file, node)]
        return None

    def _referred(self, file, node):
        """The learner's own definitions `node` refers to by name: in its file, or
        imported from a sibling module (from softmax_regression import accuracy)."""
        bindings = self.files[file]
        for name in sorted({n.id for n in ast.walk(node) if isinstance(n, ast.Name)}):
            target = bindings.get(name)
            if isinstance(target, ast.ImportFrom) and not target.level \
                    and f"{target.module}.py" in self.files:
                original = next((a.name for a in target.names if (a.asname or a.name) == name),
                                name)
                sibling = self.files[f"{target.module}.py"].get(original)
                if sibling is not None and not isinstance(sibling, (ast.Import, ast.ImportFrom)):
                    yield f"{target.module}.py", sibling
            elif target is not None and target is not node \
                    and not isinstance(target, (ast.Import, ast.ImportFrom)):
                yield file, target


def _parse(name, text):
    """A learner file's syntax tree (a notebook's code cells in order), None if unreadable."""
    from grader.portable.sources import parse_source
    if name.endswith(".ipynb"):
        try:
            notebook = json.loads(text)
            cells = notebook["cells"] if notebook.get("nbformat", 4) >= 4 else [
                c for sheet in notebook.get("worksheets", []) for c in sheet.get("cells", [])]
            body = []
            for cell in cells:
                if cell.get("cell_type") == "code":
                    source = cell.get("source", cell.get("input", ""))
                    try:
                        body += parse_source("".join(source) if isinstance(source, list)
                                             else source, name)[0].body
                    except (SyntaxError, ValueError, TypeError):
                        continue
            return ast.Module(body, [])
        except (ValueError, AttributeError, KeyError, TypeError):
            return None
    try:
        return parse_source(text.decode() if isinstance(text, bytes) else text, name)[0]
    except (SyntaxError, ValueError, UnicodeDecodeError):
        return None


def _bindings(tree):
    """{name: the last top-level statement binding it}, but that a value assigned
    to a name defined by def or class (3.3's `data_iter = load_array(...)` after
    3.2's `def data_iter`) does not replace the definition, as grader.portable.cells.Cells grades
    a notebook; an alias (`softmax = torch.softmax`, a lambda) does."""
    found = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found[node.name] = node
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            found.update(((a.asname or a.name).split(".")[0], node) for a in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            alias = isinstance(node.value, (ast.Name, ast.Attribute, ast.Lambda))
            found.update((t.id, node) for t in targets if isinstance(t, ast.Name) and (
                alias or not isinstance(found.get(t.id), (ast.FunctionDef, ast.ClassDef))))
    return found


def _implemented(node):
    from grader.portable.sources import is_stub
    return not (isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                and is_stub(node))


def _first_use(node, names, prefixes, bindings):
    """The first place in `node` that names a built-in of `names` (or imports from
    a module under one of `prefixes`, forbidden code) or looks a name up at run
    time, as first_use gives it."""
    plain = {_plain_name(n): label for n, label in names.items()}

    def forbidden(full):
        last = full.rsplit(".", 1)[-1]
        return last in names or _plain_name(last) in plain or any(
            full == prefix or full.startswith(prefix + ".") for prefix in prefixes)

    # getattr(x, "weight") names what it looks up
    constant = {id(call.func) for call in ast.walk(node) if isinstance(call, ast.Call)
                and isinstance(call.func, ast.Name) and call.func.id in ("getattr", "setattr")
                and len(call.args) >= 2 and isinstance(call.args[1], ast.Constant)
                and not (isinstance(call.args[1].value, str) and (
                    call.args[1].value in names or _plain_name(call.args[1].value) in plain))}
    for sub in sorted((n for n in ast.walk(node) if hasattr(n, "lineno")),
                      key=lambda n: (n.lineno, n.col_offset)):
        if isinstance(sub, ast.Attribute):
            if sub.attr in names or _plain_name(sub.attr) in plain:
                return ast.unparse(sub), sub.lineno, False
            if sub.attr in DYNAMIC_ATTRIBUTES:
                return ast.unparse(sub), sub.lineno, True
        elif isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load):
            imported = _imported_as(bindings.get(sub.id), sub.id)
            if imported is not None and forbidden(imported):
                return imported, sub.lineno, False
            if (sub.id in DYNAMIC_CALLS or sub.id == "importlib") and id(sub) not in constant:
                return sub.id, sub.lineno, True
        elif isinstance(sub, (ast.Import, ast.ImportFrom)):
            for alias in sub.names:
                full = f"{getattr(sub, 'module', None) or ''}.{alias.name}".lstrip(".")
                if forbidden(full):
                    return full, sub.lineno, False
                if full.split(".")[0] in ("importlib", "ctypes", "gc", "inspect"):
                    return full, sub.lineno, True
    return None


def _imported_as(binding, name):
    """What an import binds to `name` (torch.nn.functional.softmax), or None."""
    if isinstance(binding, ast.ImportFrom) and not binding.level:
        for alias in binding.names:
            if (alias.asname or alias.name) == name:
                return f"{binding.module}.{alias.name}"
    if isinstance(binding, ast.Import):
        for alias in binding.names:
            if (alias.asname or alias.name.split(".")[0]) == name:
                return alias.name
    return None


def dynamic_message(exercise, what, line):
    """What a learner reads when `exercise`'s code looks a name up at run time."""
    return _("{exercise} looks a function up by a name built while it runs ({what}, line"
             " {line}): the grader reads your code to check that it calls no built-in that does"
             " the whole job, and cannot read that. Call functions by their names.").format(
                 exercise=exercise, what=what, line=line)


_SCANNED = {}


def first_use_in(learner, exercise):
    """Source.first_use of `exercise` in the files `learner` was loaded from
    (learner.sources()), read once per learner."""
    if not hasattr(learner, "sources"):  # a stand-in of the kit's own tests
        return None
    key = id(learner)
    if key not in _SCANNED or _SCANNED[key][0] is not learner:
        _SCANNED.clear()
        _SCANNED[key] = (learner, Source(learner.sources()))
    return _SCANNED[key][1].first_use(exercise, learner.spec[exercise])
