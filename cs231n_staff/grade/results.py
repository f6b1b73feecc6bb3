"""The grader's verdicts: one `TestResult` per test, written as Gradescope's results.json.

Gradescope reads a JSON object with the total `score`, the `execution_time` in seconds and a
list of `tests`, each with a `name`, a `score`, a `max_score` and an `output` shown to the
student (https://gradescope-autograders.readthedocs.io/en/latest/specs/). The grader also prints
a short summary, one line per test, for course staff at a terminal.
"""

import json
import math
from dataclasses import dataclass, field


@dataclass
class TestResult:
    """The verdict of one test.

    Attributes
    ----------
    name : str
        What was tested, as the student sees it.
    max_score : float
        Points the test is worth.
    score : float
        Points earned, 0 <= score <= max_score.
    lines : list of str
        Feedback, one line each: what was expected and what was received.
    """

    name: str
    max_score: float
    score: float = 0.0
    lines: list = field(default_factory=list)

    def award(self, fraction, *lines):
        """Set the score to `fraction` of max_score (clipped to [0, 1]) and add feedback lines."""
        fraction = min(max(float(fraction), 0.0), 1.0) if math.isfinite(fraction) else 0.0
        self.score = round(self.max_score * fraction, 2)
        self.lines.extend(lines)
        return self

    @property
    def full(self):
        return self.score >= self.max_score

    def as_json(self):
        return {
            "name": self.name,
            "score": self.score,
            "max_score": self.max_score,
            "output": "\n".join(self.lines),
        }


def results_json(results, execution_time, notes=()):
    """The Gradescope results.json object for a list of TestResult."""
    return {
        "score": round(sum(r.score for r in results), 2),
        "execution_time": round(float(execution_time), 1),
        "output": "\n".join(notes),
        "tests": [r.as_json() for r in results],
    }


def write_results(path, results, execution_time, notes=()):
    """Write results.json to `path`."""
    with open(path, "w", encoding="utf-8") as f:
        json.dump(results_json(results, execution_time, notes), f, indent=2)
        f.write("\n")


def summary(results, notes=()):
    """A short human summary: one line per test, and two lines of feedback when not full."""
    lines = []
    for r in results:
        lines.append(f"{r.score:6.2f} / {r.max_score:<3g} {r.name}")
        if not r.full:
            lines += [f"{'':13}{line}" for line in r.lines[:2]]
    total = sum(r.score for r in results)
    possible = sum(r.max_score for r in results)
    lines.append(f"{total:6.2f} / {possible:<3g} total")
    lines.extend(notes)
    return "\n".join(lines)


MAX_TEXT = 160


def clean_text(text, limit=MAX_TEXT):
    """One short, printable line of untrusted `text` (e.g. from the student's process): its first
    line, without control characters, every token holding a '/' or a '\\' (a path) replaced by
    <path>, cut to `limit` characters. Linear time; no regular expression."""
    if not isinstance(text, str):
        return ""
    first = text[: 4 * limit].strip().split("\n", 1)[0] if text.strip() else ""
    printable = "".join(ch if ch.isprintable() else " " for ch in first)
    words = ["<path>" if ("/" in w or "\\" in w) else w for w in printable.split(" ")]
    line = " ".join(words).strip()
    return line if len(line) <= limit else line[: limit - 3].rstrip() + "..."
