"""The learner's language: the catalogue covers every marked text with the same
placeholders, the locale picks the language, and a Chinese run says in Chinese
what an English run says, with the same verdicts."""
import json
import re
import string
import subprocess
import sys

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from grader import i18n
from grader.exercises import NAMES
from tests.conftest import KIT_ROOT
from tests.test_plugin import kit, run_grading, write  # noqa: F401 - kit is a fixture
from tests.test_release import release_texts

pytest_plugins = ["pytester"]

KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def marked_texts():
    """{English text, or (singular, plural): first "file:line"} of every text
    marked in grader/, as `pybabel extract` finds them."""
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            KIT_ROOT / "grader", method_map=[("**.py", "python")], keywords=KEYWORDS,
            comment_tags=()):
        found.setdefault(message, f"{filename}:{lineno}")
    return found


def placeholders(text):
    """The names of the {placeholders} in a str.format text."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def catalogue(lang):
    with open(KIT_ROOT / "grader" / "locale" / f"{lang}.po", "rb") as f:
        return read_po(f)


@pytest.mark.parametrize("lang", [lang for lang in i18n.LANGUAGES if lang != "en"])
def test_every_marked_text_has_a_translation_with_its_placeholders_and_none_is_stale(
        lang, tmp_path, monkeypatch):
    """Marked texts are those of the code; the release's (docstrings, comments,
    README blocks) are not marked, so an entry is stale when neither uses it."""
    texts, po = marked_texts(), catalogue(lang)
    problems = []
    for text, where in texts.items():
        key = text[0] if isinstance(text, tuple) else text
        entry = po.get(key)
        english = placeholders(text) if isinstance(text, str) else \
            placeholders(text[0]) | placeholders(text[1])
        translations = entry.string if entry else None
        translations = [translations] if isinstance(translations, str) else list(translations or [])
        if not any(translations):
            problems.append(f"{where}: no {lang} text for {text!r}")
        for translation in filter(None, translations):
            if placeholders(translation) != english:
                problems.append(f"{where}: {lang} text {translation!r} has the placeholders"
                                f" {sorted(placeholders(translation))}, not {sorted(english)}")
    used = {text[0] if isinstance(text, tuple) else text for text in texts}
    used |= set(release_texts(tmp_path / "kit", monkeypatch, lang))
    problems += [f"{lang}.po: stale entry {m.id!r} (no code uses it)"
                 for m in po if m.id and (m.id[0] if isinstance(m.id, tuple) else m.id) not in used]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("environ, lang", [
    ({"LANG": "zh_CN.UTF-8"}, "zh"),
    ({"LANG": "zh_TW"}, "zh"),
    ({"LANG": "en_US.UTF-8"}, "en"),
    ({"LANG": "C"}, "en"),
    ({"LANGUAGE": "zh_CN:en", "LANG": "en_US.UTF-8"}, "zh"),
    ({"LANGUAGE": "en_GB", "LC_ALL": "zh_CN.UTF-8"}, "en"),
    ({"LC_ALL": "zh_CN.UTF-8", "LC_MESSAGES": "en_US", "LANG": "en_US"}, "zh"),
    ({"LC_MESSAGES": "zh_CN.UTF-8", "LANG": "C"}, "zh"),
    ({"LANGUAGE": "", "LC_ALL": "", "LANG": "zh_CN.UTF-8"}, "zh"),
])
def test_the_language_comes_from_the_first_locale_variable_set(environ, lang):
    assert i18n.language_from_environment(environ) == lang


def test_with_no_locale_variable_the_system_locale_decides(monkeypatch):
    monkeypatch.setattr(i18n, "_system_locale", lambda: "")
    assert i18n.language_from_environment({}) == "en"
    monkeypatch.setattr(i18n, "_system_locale", lambda: "Chinese (Simplified)_China")
    assert i18n.language_from_environment({}) == "zh"


WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?[,.;:!?]?")


def english_sentences(text):
    """The runs of four or more English words in `text`: what a Chinese reader
    would have to read in English. Rule: code is not English, so text between
    backticks is dropped, and so is every line that is code or a tensor (it
    starts with `tensor(`, `[`, `>>>` or `at `, or holds ` = `), and what follows
    an exception's name (`TypeError: ...`: Python's or torch's own words, quoted
    as they are, which the kit's hint beside them explains); a word is a
    whitespace-separated token of ASCII letters only (an apostrophe and one
    trailing punctuation mark allowed), so a token with digits, dots, brackets,
    underscores or `=` (names, shapes, calls) ends a run, and so does any
    Chinese character."""
    runs = []
    for line in text.splitlines():
        line = re.sub(r"`[^`]*`", " ", line)
        line = re.sub(r"\b[A-Z]\w*(Error|Exception|Warning|Interrupt): .*", " ", line).strip()
        if line.startswith(("tensor(", "[", ">>>", "at ")) or " = " in line:
            continue
        run = []
        for token in line.split() + [""]:
            if WORD.fullmatch(token):
                run.append(token)
                continue
            if len(run) >= 4:
                runs.append(" ".join(run))
            run = []
    return runs


def test_english_sentences_finds_prose_and_leaves_code():
    assert english_sentences("softmax: each row must sum to 1") == ["softmax: each row must sum to"]
    assert english_sentences("下一步：linreg() 仍然抛出 NotImplementedError：请实现它") == []
    assert english_sentences("  提示     `with torch.no_grad():` 里 param.grad.zero_()") == []
    assert english_sentences("           X = tensor([[1., 2.]])") == []
    assert english_sentences("  得到     TypeError: batch must contain tensors, numpy arrays") == []


def english_locale(monkeypatch):
    for variable in LOCALE_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LANG", "C")


def without_timing(out):
    return re.sub(r" in [0-9.]+s( \([0-9:]+\))? =", " =", out)


def test_untouched_stubs_in_chinese_and_in_english(kit, monkeypatch):
    english_locale(monkeypatch)
    args = ("--impl", "mine", "--data-dir", "data")
    zh, zh_grade = run_grading(kit, *args, "--lang", "zh")
    en, en_grade = run_grading(kit, *args, "--lang", "en")
    default, default_grade = run_grading(kit, *args)
    assert _same_verdicts(zh_grade, en_grade)
    assert without_timing(en.stdout.str()) == without_timing(default.stdout.str())
    assert en_grade == default_grade
    zh.stdout.fnmatch_lines(["*d2l 第 3 章：你的成绩*", "*softmax*尚未作答*0/8*", "*总分*0/100*",
                             "*下一步：Timer* 仍然抛出 NotImplementedError：请在"
                             " linear_regression.py 中实现它*",
                             "*然后运行 `pytest exercises --exercise Timer`，只评这一道练习*",
                             "=*评分用时 * 秒*="])
    # pytest's own English lines ("test session starts", "126 not attempted in
    # 14.5s") give way to the kit's closing line.
    assert english_sentences(zh.stdout.str()) == [], zh.stdout.str()
    assert "collected" not in zh.stdout.str() and "评分用时" not in en.stdout.str()
    assert (zh.ret, en.ret) == (1, 1)


def _same_verdicts(a, b):
    """The same statuses and points, whatever the messages say."""
    return {n: (e["status"], e["score"]) for n, e in a["exercises"].items()} == \
        {n: (e["status"], e["score"]) for n, e in b["exercises"].items()} \
        and a["score"] == b["score"]


WRONG_SOFTMAX = ("import torch\n\ndef softmax(X):\n    X_exp = torch.exp(X)\n"
                 "    return X_exp / X_exp.sum(1, keepdim=True)\n")


def test_a_wrong_function_in_chinese_has_the_same_verdict_and_chinese_labels(kit, monkeypatch):
    english_locale(monkeypatch)
    write(kit, "softmax_regression", WRONG_SOFTMAX)
    args = ("--impl", "mine", "-k", "softmax and not fashion")
    zh, zh_grade = run_grading(kit, *args, "--lang", "zh")
    en, en_grade = run_grading(kit, *args)
    assert _same_verdicts(zh_grade, en_grade)
    assert zh_grade["exercises"]["softmax"]["status"] == "failed"
    feedback = zh_grade["exercises"]["softmax"]["feedback"].splitlines()
    english = en_grade["exercises"]["softmax"]["feedback"].splitlines()
    # The same layout: each label line of the English message has a Chinese one.
    labels = {"called": "调用", "expected": "期望", "got": "得到", "hint": "提示", "also": "另外"}
    for en_line, zh_line in zip(english, feedback):
        word = en_line[2:11].strip()
        if en_line.startswith("  ") and word in labels:
            assert zh_line.startswith(f"  {labels[word]}     "), zh_line
    assert len(feedback) == len(english)
    zh.stdout.fnmatch_lines(["*d2l 第 3 章：需要修改的地方*", "*d2l 第 3 章：你的成绩*",
                             "*softmax*未通过*0/8*", "*总分*", "*下一步：softmax*"])
    # The check titles and hints are not translated on this branch (grader/grading/checks):
    # only what this one translates is read, the labels and the section titles.
    translated = [line.split()[0] for line in feedback
                  if line.startswith("  ") and not line.startswith("   ")]
    translated += [line for line in zh.stdout.lines if line.startswith("=")]
    assert english_sentences("\n".join(translated)) == []
    assert "  called   softmax(X)" in en_grade["exercises"]["softmax"]["feedback"]


def test_the_ini_option_sets_the_language_and_a_bad_value_names_it(kit, monkeypatch):
    english_locale(monkeypatch)
    kit.makeini("[pytest]\nd2l_lang = zh\n")
    result = kit.runpytest_subprocess("test_chapter3.py", "--impl", "mine", "--exercise", "sgd")
    result.stdout.fnmatch_lines(["*sgd*尚未作答*"])
    kit.makeini("[pytest]\nd2l_lang = fr\n")
    result = kit.runpytest_subprocess("test_chapter3.py", "--impl", "mine", "--exercise", "sgd")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*ini option d2l_lang: 'fr' is not one of en, zh*"])


def test_a_class_graded_in_chinese_gets_chinese_feedback_from_its_judge(tmp_path):
    """The instructor's --lang reaches the judge and the submission's worker (whose
    NotImplementedError message is built there), feedback.txt and results.json."""
    (tmp_path / "subs").mkdir()
    stub = tmp_path / "subs" / "alice"
    stub.mkdir()
    for module in ("linear_regression", "softmax_regression", "training", "concise"):
        (stub / f"{module}.py").write_text((KIT_ROOT / "exercises" / f"{module}.py").read_text())
    subprocess.run([sys.executable, "-m", "grader", "grade", str(tmp_path / "subs"), "--out",
                    str(tmp_path / "out"), "--no-sandbox", "--lang", "zh"], check=True,
                   cwd=KIT_ROOT, capture_output=True, timeout=600)
    feedback = (tmp_path / "out" / "submissions" / "alice" / "feedback.txt").read_text()
    assert "softmax() 仍然抛出 NotImplementedError：请在 softmax_regression.py 中实现它" in feedback
    assert feedback.startswith("d2l 第 3 章：alice：0/100") and "softmax " in feedback
    assert english_sentences(feedback) == [] and "not_attempted" not in feedback, feedback
    results = json.loads((tmp_path / "out" / "submissions" / "alice" / "results.json")
                         .read_text())
    assert results["output"].startswith(f"**0/100**：{len(NAMES)} 道练习中通过了 0 道。")
    assert "尚未作答" in results["tests"][0]["output"]
    grades = json.loads((tmp_path / "out" / "grades.json").read_text())
    assert {e["status"] for e in grades["submissions"][0]["exercises"].values()} == \
        {"not_attempted"}


def test_a_chinese_locale_grades_the_chinese_release_to_100_without_english(tmp_path, monkeypatch):
    """The issue's end: a learner in a Chinese locale runs the Chinese release's
    grading command (its README's) on right code and reads no English sentence."""
    from grader.classroom.release import release
    release(tmp_path / "kit", lang="zh")
    for module in ("linear_regression", "softmax_regression", "training", "concise"):
        (tmp_path / "kit" / "exercises" / f"{module}.py").write_text(
            (KIT_ROOT / "solutions" / f"{module}.py").read_text())
    english_locale(monkeypatch)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    done = subprocess.run([sys.executable, "-m", "pytest", "exercises", "--grade-json", "g.json"],
                          cwd=tmp_path / "kit", capture_output=True, text=True, timeout=900)
    grade = json.loads((tmp_path / "kit" / "g.json").read_text())
    assert (done.returncode, grade["score"]) == (0, 100), done.stdout
    assert "总分" in done.stdout and english_sentences(done.stdout) == [], done.stdout
