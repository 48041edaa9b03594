"""What a class got wrong: OUT/mistakes.csv and OUT/report.html, built from the
entries of grades.json (by `grade`, or again by `python -m grader report OUT`).

A mistake is one row: the learners whose exercise's first message named the
same cause (its id, grader.grading.mistakes), however they wrote their code. A learner
with two unpassed exercises is in two rows; one who passed is in none. The
report shows the class at a glance (the score distribution, each exercise's
pass rate) and then, exercise by exercise in chapter order, its mistakes,
most common first, each with one message as a learner read it. It is one file
that opens offline: its style is inline, its plot an inline SVG, and it has
no script. Its texts are in the language shown (grader.i18n); the mistakes'
titles and messages are as graded, in the class's language.
"""
import csv
import html
import io
import json
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from grader.exercises import BY_NAME, NAMES
from grader.grading.grades import SHORT, Status
from grader.grading.wording import clip
from grader.i18n import N_, _, language, ngettext
from grader.grading.files import atomic_write

CSV_COLUMNS = ("exercise", "mistake", "status", "title", "count", "learners", "example")


@dataclass
class Mistake:
    """One (exercise, mistake) row: its learners in id order, the first one's
    status, title and message standing for all."""
    exercise: str
    mistake: str
    status: str
    title: str
    example: str
    learners: list = field(default_factory=list)


def mistakes(entries):
    """The rows of `entries` (grades.json's submissions): per exercise in chapter
    order (then any other, as met), most common first, then by id. An exercise
    graded by an older kit, with no mistake id, is grouped by its status."""
    rows = {}
    for entry in sorted(_learners(entries), key=lambda e: str(e["id"])):
        for name, result in _results(entry):
            if result.get("status", Status.PASSED) == Status.PASSED:
                continue
            status = str(result.get("status"))
            mistake = str(result.get("mistake") or f"{name}/{status.replace('_', '-')}")
            row = rows.setdefault((name, mistake), Mistake(
                name, mistake, status, str(result.get("mistake_title") or _(
                    SHORT.get(status, status))), str(result.get("feedback", ""))))
            row.learners.append(str(entry["id"]))
    order = _chapter_order(name for name, _mistake in rows)
    return sorted(rows.values(), key=lambda r: (order[r.exercise], -len(r.learners), r.mistake))


def _learners(entries):
    """The entries that are learners' grades (an unreadable one is left out)."""
    return [e for e in entries if isinstance(e, dict) and "id" in e
            and isinstance(e.get("exercises"), dict)]


def _results(entry):
    return [(name, r) for name, r in entry["exercises"].items() if isinstance(r, dict)]


def _chapter_order(names):
    """{exercise: its rank}: the chapter's order, then names it lacks as met."""
    order = {name: i for i, name in enumerate(NAMES)}
    for name in names:
        order.setdefault(name, len(order))
    return order


def mistakes_csv(rows):
    """mistakes.csv: CSV_COLUMNS (English, as tools read them), one row per mistake;
    learners `;`-separated, example the first learner's whole first message."""
    table = io.StringIO(newline="")
    writer = csv.writer(table)
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow([r.exercise, r.mistake, r.status, r.title, len(r.learners),
                         ";".join(r.learners), r.example])
    return table.getvalue()


# The report's texts (translated where shown).
TITLE = N_("d2l chapter 3: what the class got wrong")
GLANCE = N_("The class at a glance")
BY_EXERCISE = N_("Mistakes, exercise by exercise")
OLD_GRADES = N_("This grades.json was written by an older kit, which kept no mistakes:"
                " its exercises are grouped by status only. Grade again with --regrade to"
                " group them by mistake.")
REBUILD = N_("Built from grades.json; `python -m grader report {out}` builds it again."
             " mistakes.csv holds the same rows.")


def report_html(entries, out="OUT"):
    """report.html of `entries` (grades.json's submissions), in the language shown."""
    learners, rows = _learners(entries), mistakes(entries)
    by_exercise = defaultdict(list)
    for row in rows:
        by_exercise[row.exercise].append(row)
    graded = _graded_exercises(learners)
    parts = [f"<h1>{esc(_(TITLE))}</h1>", _overview(learners)]
    if any("mistake" not in r for e in learners for _name, r in _results(e)
           if r.get("status", Status.PASSED) != Status.PASSED):
        parts.append(f"<p class='note'>{esc(_(OLD_GRADES))}</p>")
    if learners:
        parts += [f"<h2>{esc(_(GLANCE))}</h2>", _histogram(learners),
                  _pass_rates(learners, graded, by_exercise),
                  f"<h2>{esc(_(BY_EXERCISE))}</h2>"]
        parts += [_exercise_section(name, results, by_exercise[name], len(learners))
                  for name, results in graded.items()]
    parts.append(f"<p class='foot'>{esc(_(REBUILD).format(out=out))}</p>")
    return (f"<!DOCTYPE html>\n<html lang='{language()}'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width'>"
            f"<title>{esc(_(TITLE))}</title><style>{STYLE}</style></head>\n<body>\n"
            + "\n".join(parts) + "\n</body></html>\n")


def _graded_exercises(learners):
    """{exercise: [its result in each entry that has it]}, in chapter order."""
    graded = defaultdict(list)
    for entry in learners:
        for name, result in _results(entry):
            graded[name].append(result)
    order = _chapter_order(graded)
    return dict(sorted(graded.items(), key=lambda item: order[item[0]]))


def _passed(results):
    return sum(r.get("status") == Status.PASSED for r in results)


def _overview(learners):
    if not learners:
        return "<p class='lead'>" + esc(_("No submission was graded.")) + "</p>"
    scores = [_number(e.get("score")) for e in learners]
    max_score = max(_number(e.get("max_score")) for e in learners)
    text = ngettext("{count} learner graded: mean score {mean} of {max_score}, median {median}.",
                    "{count} learners graded: mean score {mean} of {max_score}, median"
                    " {median}.", len(learners)).format(
        count=len(learners), mean=f"{statistics.mean(scores):.1f}", max_score=f"{max_score:g}",
        median=f"{statistics.median(scores):g}")
    return f"<p class='lead'>{esc(text)}</p>"


def _number(value):
    return value if isinstance(value, (int, float)) else 0


def _histogram(learners):
    """The scores as a histogram: a matplotlib figure as inline SVG, its glyphs as
    paths (no font needed); the words are in the caption, in HTML, so that any
    language shows."""
    import matplotlib
    from matplotlib.figure import Figure
    scores = [_number(e.get("score")) for e in learners]
    top = max([_number(e.get("max_score")) for e in learners] + scores + [1])
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": "d2lkit",
                                "font.size": 9}):
        figure = Figure(figsize=(6.4, 2.0))
        axes = figure.subplots()
        axes.hist(scores, bins=20, range=(0, top), color="#4a7ab7", edgecolor="white")
        axes.set_xlim(0, top)
        axes.yaxis.get_major_locator().set_params(integer=True)
        axes.spines[["top", "right"]].set_visible(False)
        figure.tight_layout(pad=0.3)
        svg = io.StringIO()
        figure.savefig(svg, format="svg", metadata={"Date": None})
    caption = _("Scores out of {max_score} (across), and how many learners got each"
                " (up).").format(max_score=f"{top:g}")
    return (f"<figure>{svg.getvalue()[svg.getvalue().index('<svg'):]}"
            f"<figcaption>{esc(caption)}</figcaption></figure>")


def _share(count, total):
    return f"{count / total:.0%}" if total else "-"


def _pass_rates(learners, graded, by_exercise):
    """A table: each exercise, its d2l section, its pass rate as a bar, how many
    have not attempted it, and its most common mistake (the title cut to a
    line), linked to its section below."""
    head = "".join(f"<th>{esc(_(h))}</th>" for h in (
        N_("exercise"), N_("d2l section"), N_("passed"), N_("not attempted"),
        N_("most common mistake")))
    rows = []
    for name, results in graded.items():
        passed, count = _passed(results), len(results)
        mistakes_made, unattempted = _split(by_exercise[name])
        common = "" if not mistakes_made else (
            f"<a href='#{esc(name)}'>{esc(clip(mistakes_made[0].title, TITLE_WIDTH))}</a>"
            f" ({len(mistakes_made[0].learners)})")
        rate = _("{passed} of {count}").format(passed=passed, count=count)
        rows.append(
            f"<tr><td><code>{esc(name)}</code></td><td class='d2l'>{esc(_section(name))}</td>"
            f"<td class='rate'><span class='bar'><span style='width:{_share(passed, count)}'>"
            f"</span></span> {esc(rate)} ({_share(passed, count)})</td>"
            f"<td class='count'>{len(unattempted)}</td><td>{common}</td></tr>")
    return f"<table class='rates'><tr>{head}</tr>{''.join(rows)}</table>"


TITLE_WIDTH = 90  # columns of a mistake's title in the table at a glance


def _split(rows):
    """(the mistakes of `rows`, the learners who have not attempted the exercise):
    not attempting is no mistake in the code, and its message says no more."""
    return ([r for r in rows if r.status != Status.NOT_ATTEMPTED],
            [i for r in rows if r.status == Status.NOT_ATTEMPTED for i in r.learners])


def _section(name):
    return _(BY_NAME[name].section) if name in BY_NAME else ""


def _exercise_section(name, results, rows, learners):
    """An exercise's mistakes, most common first, each with its learners and the
    first one's message; then who has not attempted it, on one line."""
    passed, count = _passed(results), len(results)
    heading = _("{passed} of {count} passed ({share})").format(
        passed=passed, count=count, share=_share(passed, count))
    d2l = f" <span class='d2l'>d2l {esc(_section(name))}</span>" if name in BY_NAME else ""
    parts = [f"<section id='{esc(name)}'><h3><code>{esc(name)}</code>{d2l}"
             f" <span class='score'>{esc(heading)}</span></h3>"]
    made, unattempted = _split(rows)
    if passed == count:
        parts.append("<p>" + esc(_("Every learner passed it.")) + "</p>")
    for row in made:
        who = ngettext("{count} learner ({share} of the class)",
                       "{count} learners ({share} of the class)", len(row.learners)).format(
            count=len(row.learners), share=_share(len(row.learners), learners))
        read = _("What {learner} read:").format(learner=row.learners[0])
        parts.append(
            f"<div class='mistake'><h4>{esc(row.title)}</h4>"
            f"<p class='who'><b>{esc(who)}</b> <code class='id'>{esc(row.mistake)}</code></p>"
            f"<p class='learners'>{esc(', '.join(row.learners))}</p>"
            f"<p class='said'>{esc(read)}</p><pre>{esc(row.example)}</pre></div>")
    if unattempted:
        said = ngettext("{count} learner has not attempted it: {learners}",
                        "{count} learners have not attempted it: {learners}",
                        len(unattempted)).format(count=len(unattempted),
                                                 learners=", ".join(unattempted))
        parts.append(f"<p class='unattempted'>{esc(said)}</p>")
    return "".join(parts) + "</section>"


def esc(text):
    return html.escape(str(text), quote=True)


STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","Microsoft YaHei",
sans-serif;max-width:60rem;margin:1.5rem auto;padding:0 1rem;color:#1f2328;line-height:1.45}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d0d7de}
h3{font-size:1.05rem;margin:1.6rem 0 .4rem}h4{font-size:1rem;margin:.2rem 0}
code,pre{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:.85rem}
html[lang=zh] pre{font-family:"Noto Sans Mono CJK SC","Sarasa Mono SC",monospace}
pre{background:#f6f8fa;border:1px solid #d0d7de;border-radius:4px;padding:.5rem .7rem;
white-space:pre-wrap;overflow-wrap:anywhere}
figure{margin:0}figure svg{max-width:100%;height:auto}figcaption{color:#57606a;font-size:.9rem}
table.rates{border-collapse:collapse;width:100%;font-size:.9rem;margin-top:1rem}
table.rates td,table.rates th{border-bottom:1px solid #eaeef2;padding:.25rem .4rem;
text-align:left;vertical-align:top}
.bar{display:inline-block;width:6rem;height:.7rem;background:#f0d0d0;vertical-align:middle}
.bar span{display:block;height:100%;background:#2e7d32}
.rate{white-space:nowrap}.d2l,.score,.id,.learners,.said,.foot{color:#57606a;font-weight:normal}
.score{font-size:.9rem}.id{font-size:.75rem}.learners{font-size:.85rem;margin:.1rem 0}
.mistake{border-left:4px solid #c62828;padding:.1rem 0 .1rem .8rem;margin:.8rem 0}
.mistake p{margin:.2rem 0}.unattempted{color:#9a6700;font-size:.9rem}
h3 code{font-size:1.05rem}td.d2l{white-space:nowrap}td.count{text-align:right}
.note{background:#fff8c5;padding:.5rem .7rem}
"""


def write_report(out, entries):
    """OUT/mistakes.csv and OUT/report.html of `entries`, in the language shown."""
    out = Path(out)
    atomic_write(out / "mistakes.csv", mistakes_csv(mistakes(entries)))
    atomic_write(out / "report.html", report_html(entries, out))


def rebuild(out):
    """The report of OUT/grades.json written again (mistakes.csv, report.html);
    the number of submissions. OSError or ValueError if it cannot be read."""
    graded = json.loads((Path(out) / "grades.json").read_text())
    entries = graded.get("submissions", []) if isinstance(graded, dict) else []
    if not isinstance(entries, list):
        raise ValueError("its submissions are not a list")
    write_report(out, entries)
    return len(_learners(entries))
