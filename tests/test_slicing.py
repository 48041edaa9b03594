"""Slices of the recipes' package: what a submission's process is sent to run a
recipe (grader.classroom.slicing), across the package's modules, and nothing more."""
import ast
from pathlib import Path

import pytest

from grader.classroom.replies import RECIPE_RESULTS, RECIPE_SLICE
from grader.classroom.slicing import Slice
from grader.portable import recipes

PACKAGE = Path(recipes.__file__).parent


@pytest.mark.parametrize("name", sorted(RECIPE_RESULTS))
def test_a_recipe_s_slice_runs_alone_and_holds_only_what_it_needs(name):
    source = RECIPE_SLICE.source([name, "ScaledImages"])
    namespace = {"__name__": "d2lkit_recipes"}
    exec(compile(source, "d2lkit_recipes.py", "exec"), namespace)
    assert callable(namespace[name])
    defined = {n.name for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)}
    assert not {"RESULTS"} & set(namespace)
    assert not {n for n in defined if n.startswith("is_")}  # the judge's tests of results
    assert not (set(RECIPE_RESULTS) - {name}) & defined  # no other recipe
    imported = [n.module for n in ast.walk(ast.parse(source)) if isinstance(n, ast.ImportFrom)]
    assert not [m for m in imported if m is None or m.split(".")[0] == "grader"]


def test_a_slice_follows_the_package_s_imports_across_modules():
    closure = RECIPE_SLICE.closure(["train_one_epoch"])
    assert {"SGD", "number", "numbers", "ModeNet"} <= closure  # sgd.py, plain.py, loops.py
    assert "train_softmax_concise" not in closure


def test_a_slice_runs_its_modules_after_those_they_import_from(tmp_path):
    (tmp_path / "a_sub.py").write_text("from .z_base import Base\n\n\nclass Sub(Base):\n"
                                       "    pass\n")
    (tmp_path / "z_base.py").write_text("import math\n\n\nclass Base:\n    tau = math.tau\n")
    namespace = {}
    exec(Slice(tmp_path).source(["Sub"]), namespace)
    assert namespace["Sub"].tau > 6


def test_a_slice_with_two_definitions_of_one_name_is_refused(tmp_path):
    (tmp_path / "a.py").write_text("from .b import two\n\n\ndef one():\n"
                                   "    return two(), helper()\n\n\ndef helper():\n    pass\n")
    (tmp_path / "b.py").write_text("def two():\n    return helper()\n\n\n"
                                   "def helper():\n    pass\n")
    package = Slice(tmp_path)
    assert package.closure(["two"]) == {"two", "helper"}
    with pytest.raises(ValueError, match="two definitions"):
        package.source(["one"])


def test_an_import_from_the_package_under_another_name_is_refused(tmp_path):
    (tmp_path / "a.py").write_text("from .b import two as deux\n")
    (tmp_path / "b.py").write_text("def two():\n    pass\n")
    with pytest.raises(ValueError, match="only `from .module import name`"):
        Slice(tmp_path)
