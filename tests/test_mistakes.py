"""The mistakes: each wrong implementation gets the id its first message names
(test_verdicts asserts it for the whole catalogue, with named_mistake below),
one mistake written differently gets one id, whatever the examples; a class
graded by `python -m grader grade` gets its mistakes grouped in mistakes.csv
and report.html, which `python -m grader report` builds again, also from an
older grades.json; and report.html shows it all in a real browser, in English
and in Chinese."""
import csv
import io
import json
import re
import shutil
import subprocess
import sys
import textwrap
from functools import cache

import pytest

from grader.exercises import MODULES, NAMES
from grader.grading.mistakes import ERROR, HINT, TITLE, identify
from grader.grading.failures import KNOWN_ERRORS
from tests import wrong  # noqa: F401 - registers the catalogue
from tests.catalogue import WRONG
from tests.conftest import KIT_ROOT, learner_grade, with_variant

LINEAR, SOFTMAX, TRAINING, CONCISE = MODULES


@cache
def templates():
    """(pattern, template) of every text marked in grader/ (an ngettext's plural
    form too, under its singular), the most literal first: a pattern matches a
    text made from the template, whatever the values of its placeholders."""
    from tests.test_i18n import marked_texts
    found = []
    for text in marked_texts():
        for form in text if isinstance(text, tuple) else (text,):
            parts = re.split(r"\{[^{}]*\}", form)
            found.append((re.compile("(?s:.+?)".join(map(re.escape, parts))), text[0]
                          if isinstance(text, tuple) else text, len("".join(parts))))
    return [(pattern, template) for pattern, template, _ in sorted(found, key=lambda f: -f[2])]


def template_of(text):
    """The template of the catalogue that `text` reads as, whole; None if none."""
    return next((t for pattern, t in templates() if pattern.fullmatch(text)), None)


# The failed outcomes (grader.portable.seam), by how their template begins.
OUTCOMES = {"{exercise} did not end": "never-ends", "{label} calls {written}(...)": "calls-d2l"}


def named_mistake(exercise, result, statuses):
    """The id of the mistake that the English first message of `exercise`
    (`result`, GradeBook.exercise) names, read from the message itself: its
    hint's template, else, for an error, its type, else its title's template
    and the check that failed (the first in `statuses` that did not pass); an
    outcome's status and kind."""
    feedback, status = result["feedback"], result["status"]
    first = next(check for check, s in statuses.items() if s not in ("passed", "skipped"))
    hint = re.search(r"^  hint     (.*)$", feedback, re.M)
    hint = template_of(hint.group(1)) if hint else None
    if status == "error" and " raised an error\n" in feedback:
        known = {h for _words, _exercises, h, _values in KNOWN_ERRORS}
        cause = HINT + hint if hint in known else \
            ERROR + re.search(r"^  got      (\w+):", feedback, re.M).group(1)
    elif status == "failed" and "\n  called   " not in feedback:  # an outcome, no Failure
        first_line = template_of(feedback.partition("\n")[0])
        name = next(name for start, name in OUTCOMES.items() if first_line.startswith(start))
        return f"{exercise}/{name}"
    elif status == "failed" and hint:
        cause = HINT + hint
    elif status == "failed":
        title = feedback.partition("\n")[0].removeprefix(f"{exercise}: ")
        cause = TITLE + (template_of(title) or "")
    else:
        return identify(exercise, status, "", "", first, "")[0]
    return identify(exercise, status, cause, "", first, "")[0]


# Mistakes of the catalogue each written in several ways (its functions' names).
SAME_MISTAKE = [
    ("softmax_rewraps_with_torch_tensor", "softmax_through_numpy"),
    ("sgd_rebinds_the_loop_variable", "sgd_replaces_list_entries",
     "sgd_updates_only_the_first_param"),
    ("synthetic_data_noise_std_0_1", "synthetic_data_noise_std_1"),
    ("synthetic_data_noise_as_a_column", "synthetic_data_w_as_a_column"),
    ("data_iter_never_stops", "data_iter_repeats_the_first_batch_forever"),
    ("accuracy_argmax_over_examples", "accuracy_book_with_axis_0"),
    ("TimerReadsPerfCounterImportedByName", "TimerReadsTimeImportedByName"),
]
BY_FUNCTION = {v.fn.__name__: v for v in WRONG}


@pytest.mark.parametrize("names", SAME_MISTAKE, ids=lambda names: names[0])
def test_one_mistake_written_differently_gets_one_id_whatever_the_examples(names, tmp_path,
                                                                          request):
    """The variants give different messages (other values, other code) and one
    id; the first also under an instructor's grading seed, which draws other
    examples."""
    ids = set()
    for name in names:
        variant = BY_FUNCTION[name]
        learner = with_variant(tmp_path / name, variant)
        result, _statuses = learner_grade(learner, variant.exercise, request)
        ids.add(result["mistake"])
    variant = BY_FUNCTION[names[0]]
    learner = with_variant(tmp_path / "seeded", variant)
    result, _statuses = learner_grade(learner, variant.exercise, request, grading_seed=2024)
    ids.add(result["mistake"])
    assert len(ids) == 1, ids
    assert ids.pop().startswith(variant.exercise + "/")


# --- A class, graded by `python -m grader grade` ------------------------------

REFERENCE_SOFTMAX = """
def softmax(X):
    X_exp = torch.exp(X - X.max(dim=1, keepdim=True).values)
    return X_exp / X_exp.sum(dim=1, keepdim=True)
"""
# The book's softmax (d2l 3.6.2) written four ways: none subtracts the row's max.
NAIVE_SOFTMAX = [
    "def softmax(X):\n    X_exp = torch.exp(X)\n    partition = X_exp.sum(1, keepdim=True)\n"
    "    return X_exp / partition\n",
    "def softmax(X):\n    return X.exp() / X.exp().sum(dim=-1, keepdim=True)\n",
    "def softmax(X):\n    e = torch.exp(X)\n    return e / torch.sum(e, dim=1).reshape(-1, 1)\n",
    "def softmax(X):\n    return torch.exp(X) / torch.exp(X).sum(axis=1, keepdims=True)\n",
]
# squared_loss without / 2, three ways; sgd without / batch_size, two ways.
NO_HALF = [
    "def squared_loss(y_hat, y):\n    return (y_hat - y.reshape(y_hat.shape)) ** 2\n",
    "def squared_loss(y_hat, y):\n    return torch.square(y_hat - y.reshape(y_hat.shape))\n",
    "def squared_loss(y_hat, y):\n    d = y_hat - y.view(y_hat.shape)\n    return d * d\n",
]
NO_BATCH_SIZE = [
    "def sgd(params, lr, batch_size):\n    with torch.no_grad():\n        for p in params:\n"
    "            p -= lr * p.grad\n            p.grad.zero_()\n",
    "def sgd(params, lr, batch_size):\n    with torch.no_grad():\n        for p in params:\n"
    "            p.sub_(lr * p.grad)\n            p.grad.zero_()\n",
]
CLASS = {  # id -> {module: source appended to its stub}
    "right": {SOFTMAX: REFERENCE_SOFTMAX},
    **{f"naive{i}": {SOFTMAX: source} for i, source in enumerate(NAIVE_SOFTMAX, 1)},
    **{f"nohalf{i}": {LINEAR: source} for i, source in enumerate(NO_HALF, 1)},
    **{f"nobatch{i}": {LINEAR: source} for i, source in enumerate(NO_BATCH_SIZE, 1)},
    "two_wrong": {SOFTMAX: NAIVE_SOFTMAX[0], LINEAR: NO_HALF[0]},
    "builtin": {SOFTMAX: "def softmax(X):\n    return torch.softmax(X, dim=1)\n"},
    "syntax": {SOFTMAX: "def softmax(X:\n"},
    "raises": {SOFTMAX: "def softmax(X):\n    raise LookupError('no idea')\n"},
}
NAIVE = {"naive1", "naive2", "naive3", "naive4", "two_wrong"}


def build_class(root, ids=CLASS):
    for sub_id in ids:
        additions, folder = CLASS[sub_id], root / sub_id
        folder.mkdir(parents=True)
        for module in MODULES:
            stub = (KIT_ROOT / "exercises" / f"{module}.py").read_text()
            (folder / f"{module}.py").write_text(
                stub + "\n\nimport torch\n" + textwrap.dedent(additions.get(module, "")))


def grader_command(*args, timeout=1200):
    done = subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=KIT_ROOT)
    assert done.returncode == 0, done.stderr
    return done


def grade_class(root, lang, ids=CLASS):
    build_class(root / "subs", ids)
    grader_command("grade", str(root / "subs"), "--out", str(root / "out"), "--jobs", "2",
                   "--call-timeout", "5", "--lang", lang)
    return root / "out"


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    return grade_class(tmp_path_factory.mktemp("class"), "en")


# Part of the class, graded in Chinese.
CLASS_ZH = ("right", "naive1", "naive2", "nohalf1")


@pytest.fixture(scope="module")
def graded_class_zh(tmp_path_factory):
    return grade_class(tmp_path_factory.mktemp("class-zh"), "zh", CLASS_ZH)


def read_rows(out):
    return list(csv.DictReader(io.StringIO((out / "mistakes.csv").read_text())))


def test_a_class_gets_its_mistakes_grouped_by_cause(graded_class):
    rows = read_rows(graded_class)
    graded = json.loads((graded_class / "grades.json").read_text())
    results = {e["id"]: e["exercises"] for e in graded["submissions"]}
    by_learners = {frozenset(r["learners"].split(";")): r for r in rows
                   if r["exercise"] in ("softmax", "squared_loss", "sgd")}

    naive = by_learners[frozenset(NAIVE)]
    assert naive["exercise"] == "softmax" and naive["count"] == "5"
    assert naive["mistake"] == results["naive1"]["softmax"]["mistake"]
    assert naive["title"] == results["naive1"]["softmax"]["mistake_title"]
    assert naive["example"] == results["naive1"]["softmax"]["feedback"]
    assert naive["title"] in naive["example"]
    no_half = by_learners[frozenset({"nohalf1", "nohalf2", "nohalf3", "two_wrong"})]
    assert no_half["exercise"] == "squared_loss" and "/ 2" in no_half["title"]
    no_batch = by_learners[frozenset({"nobatch1", "nobatch2"})]
    assert no_batch["exercise"] == "sgd" and "batch_size" in no_batch["title"]
    softmax = {r["mistake"]: r["learners"] for r in rows if r["exercise"] == "softmax"}
    assert softmax["softmax/from-scratch"] == "builtin"
    assert softmax["softmax/import-error"] == "syntax"
    assert softmax[identify("softmax", "error", ERROR + "LookupError", "", "", "")[0]] == "raises"
    assert softmax["softmax/not-attempted"] == ";".join(sorted(
        i for i in CLASS if SOFTMAX not in CLASS[i]))
    assert "right" not in ";".join(softmax.values()).split(";")
    # every learner's every unpassed exercise is in exactly one row
    in_rows = sorted((r["exercise"], i) for r in rows for i in r["learners"].split(";"))
    assert in_rows == sorted((name, i) for i, exercises in results.items()
                             for name, r in exercises.items() if r["status"] != "passed")
    assert [r["exercise"] for r in rows] == sorted((r["exercise"] for r in rows),
                                                   key=NAMES.index)


def test_report_rebuilds_both_files_from_grades_json(graded_class, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(graded_class, out)
    (out / "mistakes.csv").unlink()
    (out / "report.html").unlink()
    done = grader_command("report", str(out))
    assert "report.html" in done.stdout
    assert (out / "mistakes.csv").read_text() == (graded_class / "mistakes.csv").read_text()
    assert (out / "report.html").read_text() == \
        (graded_class / "report.html").read_text().replace(str(graded_class), str(out))
    grader_command("report", str(out), "--lang", "zh")
    assert "全班错在哪里" in (out / "report.html").read_text()


def test_report_of_an_older_grades_json_groups_by_status(graded_class, tmp_path):
    """A grades.json written before mistakes were kept: grouped by status, said so."""
    out = tmp_path / "out"
    out.mkdir()
    graded = json.loads((graded_class / "grades.json").read_text())
    for entry in graded["submissions"]:
        for result in entry["exercises"].values():
            result.pop("mistake", None)
            result.pop("mistake_title", None)
    graded["submissions"].append({"id": "broken", "exercises": None})
    (out / "grades.json").write_text(json.dumps(graded))
    grader_command("report", str(out))
    rows = read_rows(out)
    naive = next(r for r in rows if r["mistake"] == "softmax/failed")
    assert set(naive["learners"].split(";")) == NAIVE | {"builtin"}
    assert "older kit" in (out / "report.html").read_text()
    (out / "grades.json").write_text("{not json")
    done = subprocess.run([sys.executable, "-m", "grader", "report", str(out)],
                          capture_output=True, text=True, cwd=KIT_ROOT)
    assert done.returncode == 2 and "cannot read" in done.stderr


# --- report.html in headless Chromium ----------------------------------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def chromium(page, tmp_path, *args):
    profile = tmp_path / "profile"
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", *args, page.as_uri()],
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Debian's chromium is not installed")
@pytest.mark.parametrize("lang, words, naive", [
    ("en", ["d2l chapter 3: what the class got wrong", "The class at a glance",
            "14 learners graded", "5 learners (36% of the class)", "subtract each row's max first",
            "5 learners have not attempted it: nobatch1, nobatch2, nohalf1, nohalf2, nohalf3"],
     "naive1, naive2, naive3, naive4, two_wrong"),
    ("zh", ["d2l 第 3 章：全班错在哪里", "全班概况", "共评了 4 名学习者",
            "2 名学习者（占全班 50%）", "先让每行减去该行的最大值", "1 名学习者尚未作答：nohalf1"],
     "naive1, naive2"),
])
def test_report_shows_the_class_in_a_browser(lang, words, naive, graded_class, request,
                                             tmp_path):
    """Rendered by Chromium, offline: the page holds no script and loads nothing;
    the DOM Chromium built shows, in the class's language, the class at a glance
    (the histogram, every exercise's pass rate in chapter order) and each
    exercise's mistakes, most common first, with their learners and one
    message; the mistakes' ids are the same whatever the language. The
    screenshot, report-LANG.png in tmp_path, is of that page."""
    graded = graded_class if lang == "en" else request.getfixturevalue("graded_class_zh")
    page = graded / "report.html"
    source = page.read_text()
    # nothing from elsewhere: references inside the page (#id) only
    assert not re.search(r"<script|<link|<img|<iframe|@import|src=|url\((?!#)|href=.(?!#)",
                         source, re.I)
    dom = chromium(page, tmp_path, "--dump-dom")
    for text in words:
        assert text in dom, text
    assert dom.count("<svg") == 1 and "<path" in dom
    assert re.findall(r"<tr><td><code>(\w+)</code>", dom) == list(NAMES)
    softmax = dom[dom.index('<section id="softmax">'):]
    softmax = softmax[:softmax.index("</section>")]
    counts = [int(n) for n in re.findall(r'<p class="who"><b>(\d+)', softmax)]
    assert counts == sorted(counts, reverse=True) and len(counts) >= 1
    english = json.loads((graded_class / "grades.json").read_text())["submissions"]
    naive_id = next(e for e in english if e["id"] == "naive1")["exercises"]["softmax"]["mistake"]
    assert f"<p class=\"learners\">{naive}</p>" in softmax and naive_id in softmax
    assert "<pre>softmax" in softmax
    shot = tmp_path / f"report-{lang}.png"
    chromium(page, tmp_path, f"--screenshot={shot}", "--window-size=1200,2400",
             "--hide-scrollbars")
    assert shot.stat().st_size > 20_000
