"""The grade book: per-check outcomes folded into per-exercise statuses and points."""
from dataclasses import dataclass, field

from grader.exercises import DEFAULT_POINTS, NAMES
# The status an exercise gets is the first of these that any of its checks got.
PRECEDENCE = ("missing", "not_attempted", "error", "timeout", "failed", "passed")


@dataclass
class CheckResult:
    name: str
    status: str
    message: str = ""
    notes: list = field(default_factory=list)


@dataclass
class GradeBook:
    points: dict
    checks: dict = field(default_factory=dict)

    def expect(self, exercise):
        self.checks.setdefault(exercise, [])

    def record(self, exercise, result):
        """Note a check's result; a skipped check counts for nothing."""
        self.checks.setdefault(exercise, [])
        if result.status != "skipped":
            self.checks[exercise].append(result)

    def statuses(self, exercise):
        """The statuses of `exercise`'s checks so far; None if it is not graded."""
        results = self.checks.get(exercise)
        return None if results is None else [r.status for r in results]

    def exercise(self, exercise):
        """{"status", "score", "max_score", "feedback"} for one exercise."""
        results = self.checks[exercise]
        statuses = {r.status for r in results}
        status = next((s for s in PRECEDENCE if s in statuses), "error")
        max_score = self.points[exercise]
        if not results:
            feedback = "not graded: the run stopped before any of its checks ran"
        elif status == "passed":
            feedback = "\n\n".join([f"all {len(results)} checks passed"]
                                   + [n for r in results for n in r.notes])
        else:
            bad = [r for r in results if r.status == status]
            feedback = bad[0].message
            if len(bad) > 1 and status in ("failed", "error", "timeout"):
                feedback += f"\n({len(bad) - 1} more checks {status}: " \
                            + ", ".join(r.name for r in bad[1:]) + ")"
        return {"status": status, "score": max_score if status == "passed" else 0,
                "max_score": max_score, "feedback": feedback}

    def as_json(self):
        exercises = {name: self.exercise(name) for name in NAMES if name in self.checks}
        return {"score": sum(e["score"] for e in exercises.values()),
                "max_score": sum(e["max_score"] for e in exercises.values()),
                "exercises": exercises}


def parse_points(entries, source):
    """NAME=POINTS entries over the defaults; a bad entry names its source."""
    points = dict(DEFAULT_POINTS)
    for entry in entries:
        name, sep, value = entry.partition("=")
        name = name.strip()
        if not sep or name not in points or not value.strip().isdigit():
            raise ValueError(f"{source}: bad points entry {entry!r}; expected NAME=POINTS with NAME"
                             f" one of {', '.join(points)} and POINTS a whole number")
        points[name] = int(value)
    return points
