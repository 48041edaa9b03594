"""The book's d2l package as the learner's code sees it while grading: a
stand-in (BookPackage) that fails the exercise that calls it, bound by
rewriting each import of d2l (BookImports). Grading never loads the d2l
package, which ships the book's answers."""
import ast

from grader.portable.said import _

# The name under which a learner's module holds BookPackage, for the imports of
# d2l that BookImports rewrites.
BOOK_BINDING = "__d2lkit_book__"


class BookCalled(BaseException):
    """The learner's code called the d2l package's code. A BaseException, so that
    the learner's own try/except does not hide it."""

    def __init__(self, written, origin):
        super().__init__(written)
        self.written, self.origin = written, origin


# The d2l calls made since the guard last looked: one that the learner's own
# try/except hid still fails the exercise.
BOOK_CALLS = []


def _draws_nothing(*args, **kwargs):
    """The book's 2.4 plotting helpers d2l.plot and d2l.set_figsize while grading
    (3.1 and 3.2 plot with them at the top of the learner's file)."""


# What d2l's stand-in lends: the grader's versions of the book's helpers that
# are no exercise (set_axes, ...: Learner adds its stand-ins), and, while an
# exercise runs, the stand-ins of the exercises it uses (Learner._standing_in).
BOOK_HELPERS = {"plot": _draws_nothing, "set_figsize": _draws_nothing}
BOOK_LENT = {}


def _lent(name):
    """What d2l's stand-in lends for d2l's `name`, or None."""
    return BOOK_LENT.get(name) or BOOK_HELPERS.get(name)


class BookPackage:
    """Stands for the d2l package, or a name imported from it, in the learner's
    code: an attribute is another stand-in, a call raises BookCalled. `written`
    is how the learner's code names it (d2l.sgd), `origin` its name in d2l.

    The book's code as printed passes, though: d2l.plt is matplotlib's pyplot
    (the book's show_images and Animator draw with it), d2l's helpers that are
    no exercise are the grader's (Animator's d2l.set_axes, 3.5's
    d2l.use_svg_display(), 3.1's d2l.plot), and while an exercise runs, d2l's names of the
    exercises it uses are their stand-ins, as its own names of them are
    (predict_ch3's d2l.show_images)."""

    def __init__(self, written, origin):
        self._written, self._origin = written, origin

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        if name == "plt":
            import matplotlib.pyplot
            return matplotlib.pyplot
        lent = _lent(name)
        if lent is not None:
            return lent
        return BookPackage(f"{self._written}.{name}", f"{self._origin}.{name}")

    def __call__(self, *args, **kwargs):
        lent = _lent(self._origin.rsplit(".", 1)[-1])
        if lent is not None:  # from d2l.torch import set_axes
            return lent(*args, **kwargs)
        BOOK_CALLS.append(BookCalled(self._written, self._origin))
        raise BOOK_CALLS[-1]

    def __repr__(self):
        return f"<{self._written}, from the d2l package, which is not loaded while grading>"


def book_message(label, exercise, error):
    """What a learner reads when `label` (their exercise, its method, or a file's code)
    calls d2l."""
    if error.origin.rsplit(".", 1)[-1] == exercise:
        return _("{label} calls {written}(...), the d2l package's own {exercise}: this"
                 " exercise asks you to write it yourself. The kit does not need the d2l package:"
                 " call your own {exercise}(...), not {written}(...).").format(
                     label=label, written=error.written, exercise=exercise)
    return _("{label} calls {written}(...), from the book's d2l package, which is not loaded"
             " while grading. The kit does not need the d2l package: call your own functions,"
             " for example your own sgd(...), not d2l.sgd(...).").format(
                 label=label, written=error.written)


def _is_book(name):
    return name == "d2l" or name.startswith("d2l.")


class BookImports(ast.NodeTransformer):
    """Turns each import of the d2l package, wherever it is, into assignments
    of stand-ins; `lines` are the line numbers of those it turned."""

    def __init__(self):
        self.lines = []

    def _bind(self, node, bindings):
        self.lines.append(node.lineno)
        made = [ast.Assign([ast.Name(local, ast.Store())],
                           ast.Call(ast.Name(BOOK_BINDING, ast.Load()),
                                    [ast.Constant(local), ast.Constant(origin)], []))
                for local, origin in bindings]
        for statement in made:
            ast.fix_missing_locations(ast.copy_location(statement, node))
        return made or [ast.copy_location(ast.Pass(), node)]

    def visit_Import(self, node):
        if not any(_is_book(a.name) for a in node.names):
            return node
        others = [a for a in node.names if not _is_book(a.name)]
        made = self._bind(node, [(a.asname, a.name) if a.asname else
                                 (a.name.split(".")[0], "d2l")
                                 for a in node.names if _is_book(a.name)])
        return [ast.copy_location(ast.Import(others), node)] * bool(others) + made

    def visit_ImportFrom(self, node):
        if node.level or not _is_book(node.module or ""):
            return node
        return self._bind(node, [(a.asname or a.name, f"{node.module}.{a.name}")
                                 for a in node.names if a.name != "*"])
