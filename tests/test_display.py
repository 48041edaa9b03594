"""What the learner sees of a grade: what their code warned, said once; large
inputs described; and the notebook's HTML as a browser renders it."""
import html
import json
import re
import shutil
import subprocess
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch

from grader import i18n
from grader.grading import wording
from grader.learner import notebook
from grader.portable.warned import noting_warnings, taken_warnings
from grader.grading.failures import show_input
from tests.test_notebook import BOOK_NORMAL, reference_namespace


def test_each_warning_is_counted_once_per_raise_and_filtered_as_before():
    """Each time the learner's code raises a warning counts, even where Python
    would show it once per place; a filter that ignores one still does; nothing
    is shown, and the caller's filters are as they were after."""
    shown = []
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.filterwarnings("ignore", "quiet")
        warnings.showwarning = lambda *args, **kwargs: shown.append(args)
        before = list(warnings.filters)
        taken_warnings()
        for _ in range(3):
            with noting_warnings("normal"):
                for _ in range(2):
                    warnings.warn("loud\nsecond line", DeprecationWarning)
                warnings.warn("quiet")
        assert warnings.filters == before
    assert shown == []
    assert taken_warnings() == [["normal", "DeprecationWarning: loud", 6]]
    assert taken_warnings() == []


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_note_names_the_function_the_warning_and_its_count(lang):
    warned = Counter({("normal", f"UserWarning: w{i}"): 10 - i for i in range(5)})
    i18n.set_language(lang)
    try:
        lines = wording.warnings_note(warned).splitlines()
    finally:
        i18n.set_language("en")
    assert len(lines) == wording.WARNINGS_SHOWN + 1
    if lang == "en":
        assert lines[0] == "  warning  normal raised this 10 times: UserWarning: w0"
        assert lines[-1] == "  warning  and 13 warnings of other kinds"
    else:
        assert lines[0] == "  警告     normal 引发了 10 次：UserWarning: w0"


def test_a_grade_says_a_warning_of_the_learners_code_once(capfd):
    names = reference_namespace()
    exec(BOOK_NORMAL, names)
    result = notebook.check_names(names, "normal")
    said = result.grade["exercises"]["normal"]["feedback"]
    assert result.status("normal") == "passed", said
    [line] = [line for line in said.splitlines() if "__array_wrap__" in line]
    assert re.match(r"  warning  normal raised this \d+ times: DeprecationWarning: __array_wrap__",
                    line), line
    assert "__array_wrap__" not in "".join(capfd.readouterr())


def test_large_inputs_are_described_and_small_ones_shown():
    images = torch.arange(784, dtype=torch.float32).reshape(1, 1, 28, 28) / 784
    assert show_input(images) == ("a tensor of shape (1, 1, 28, 28), float32, flattened:"
                                  " [0., 0.001276, 0.002551, ..., 0.9962, 0.9974, 0.9987]")
    assert show_input(np.arange(60)) == \
        "a numpy array of shape (60,), int64, flattened: [0, 1, 2, ..., 57, 58, 59]"
    assert show_input([torch.zeros(28, 28)] * 5) == "a list of 5 Tensor"
    assert show_input(torch.tensor([[1., 2.]])) == "tensor([[1., 2.]])"
    assert show_input([1, 2]) == "[1, 2]"


# The notebook's HTML in a browser.

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync")
# Written into the page: it opens the folded notes, then records, for each name
# and message of the grade, its text-align, how far its text starts from its
# box's left edge, and (for messages) the widths of "iiiiiiiiii" and
# "MMMMMMMMMM" in its font, equal in a monospace font.
PROBE = """<script>
(() => {
  document.querySelectorAll('.d2lkit-grade details').forEach(d => { d.open = true; });
  const left = (el) => {
    const style = getComputedStyle(el), range = document.createRange();
    range.selectNodeContents(el);
    return {align: style.textAlign, offset: range.getBoundingClientRect().left
            - el.getBoundingClientRect().left - parseFloat(style.paddingLeft)
            - parseFloat(style.borderLeftWidth)};
  };
  const widths = (el) => {
    const style = getComputedStyle(el), span = document.createElement('span');
    for (const key of ['fontFamily', 'fontSize', 'fontWeight', 'fontStyle']) {
      span.style[key] = style[key];
    }
    span.style.whiteSpace = 'pre';
    document.body.appendChild(span);
    span.textContent = 'iiiiiiiiii';
    const narrow = span.getBoundingClientRect().width;
    span.textContent = 'MMMMMMMMMM';
    const wide = span.getBoundingClientRect().width;
    span.remove();
    return {font: style.fontFamily, narrow: narrow, wide: wide};
  };
  const found = [];
  for (const grade of document.querySelectorAll('.d2lkit-grade')) {
    for (const row of grade.querySelectorAll('tr')) {
      const cells = row.children;
      found.push({kind: 'name', text: cells[0].textContent, ...left(cells[0])});
      if (cells[3].textContent && cells[1].textContent) {  // not the total row
        found.push({kind: 'message', text: cells[3].textContent, ...left(cells[3]),
                    ...widths(cells[3])});
      }
    }
    for (const pre of grade.querySelectorAll('pre')) {
      found.push({kind: 'pre', text: pre.textContent, ...left(pre), ...widths(pre)});
    }
  }
  const out = document.createElement('pre');
  out.id = 'd2lkit-probe';
  out.style.display = 'none';
  out.textContent = JSON.stringify(found);
  document.body.appendChild(out);
})();
</script>"""
BOOK_SOFTMAX = ("def softmax(X):\n    X_exp = torch.exp(X)\n"
                "    return X_exp / X_exp.sum(1, keepdim=True)\n")


def graded_pages(lang):
    """The notebook's outputs of a failing check (the book's softmax), a passing
    one (the book's normal, with its warning folded away) and both in one
    grade, in `lang`: [(cell source, Result)]."""
    names = reference_namespace()
    exec(BOOK_SOFTMAX + BOOK_NORMAL, names)
    failing = notebook.check_names(names, "softmax", lang=lang)
    passing = notebook.check_names(names, "normal", lang=lang)
    exercises = {**passing.grade["exercises"], **failing.grade["exercises"]}
    both = notebook.Result({"score": passing.score, "max_score": sum(
        e["max_score"] for e in exercises.values()), "exercises": exercises}, lang)
    return [('grader.check("softmax")', failing), ('grader.check("normal")', passing),
            ("grader.check()", both)]


def rendered(results, template, page, screenshot, profile):
    """nbconvert's HTML (`template`) of a notebook whose cells show `results`,
    written to `page` with PROBE, its screenshot taken; what PROBE found."""
    import nbformat
    from nbconvert import HTMLExporter
    nb = nbformat.v4.new_notebook()
    for source, result in results:
        cell = nbformat.v4.new_code_cell(source)
        cell.outputs = [nbformat.v4.new_output("display_data", data={
            "text/html": result._repr_html_(), "text/plain": str(result)})]
        nb.cells.append(cell)
    body, _ = HTMLExporter(template_name=template).from_notebook_node(nb)
    page.write_text(body.replace("</body>", PROBE + "</body>"))
    run = [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}"]
    subprocess.run([*run, f"--screenshot={screenshot}", "--window-size=1280,1400",
                    page.as_uri()], capture_output=True, timeout=120, check=True)
    print(f"screenshot: {screenshot}")
    dom = subprocess.run([*run, "--dump-dom", page.as_uri()], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    return json.loads(html.unescape(re.search(r'<pre id="d2lkit-probe"[^>]*>(.*?)</pre>', dom,
                                              re.S)[1]))


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian: apt install"
                                             " chromium fonts-noto-cjk): the notebook's HTML"
                                             " cannot be rendered")
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_notebooks_html_is_left_aligned_with_monospace_messages(lang, tmp_path):
    """In JupyterLab's stylesheet (nbconvert's lab template; Notebook 7 uses it
    too), which right-aligns table cells, and the classic Notebook's (nbconvert's
    classic template), and with no code font defined (the lab template's pages
    leave it to the theme): every name and message starts at its box's left
    edge, and every message is in a font whose i and M are as wide."""
    results = graded_pages(lang)
    message = results[0][1].grade["exercises"]["softmax"]["feedback"]
    for template in ("lab", "classic"):
        found = rendered(results, template, tmp_path / f"{template}-{lang}.html",
                         tmp_path / f"{template}-{lang}.png", tmp_path / "chromium")
        kinds = Counter(item["kind"] for item in found)
        assert kinds["name"] == 5 and kinds["message"] == 2 and kinds["pre"] >= 4, found
        assert message in [item["text"] for item in found]
        for item in found:
            assert item["align"] in ("left", "start") and abs(item["offset"]) < 1, (template, item)
            if item["kind"] != "name":
                assert item["narrow"] > 0 and abs(item["narrow"] - item["wide"]) < 0.5, \
                    (template, item)
    assert Path(tmp_path / f"lab-{lang}.png").read_bytes()[:4] == b"\x89PNG"
