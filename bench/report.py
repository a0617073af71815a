"""How ``make bench`` prints: tables of figures, each goal beside its figure with met or not, and a
summary of every goal at the end (``BENCHMARKS.md`` keeps the last run)."""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass
from typing import TextIO


@dataclass(frozen=True)
class Goal:
    """One figure held to its goal."""

    name: str
    measured: str
    goal: str
    met: bool


class Report:
    """Everything a run printed, and its goals; printed as it goes and kept for ``BENCHMARKS.md``."""

    def __init__(self, out: TextIO = sys.stdout) -> None:
        self._out = out
        self._kept = io.StringIO()
        self.goals: list[Goal] = []

    def line(self, text: str = "") -> None:
        for stream in (self._out, self._kept):
            print(text, file=stream, flush=True)

    def table(self, title: str, header: list[str], rows: list[list[str]]) -> None:
        widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
        self.line(f"\n{title}")
        for row in [header, ["-" * width for width in widths], *rows]:
            self.line(
                "  " + "  ".join(str(cell).rjust(width) for cell, width in zip(row, widths, strict=True))
            )

    def goal(self, name: str, measured: str, goal: str, met: bool) -> str:
        """Records a goal; returns the word for its table's "met" column."""
        self.goals.append(Goal(name, measured, goal, met))
        return met_word(met)

    def summary(self) -> None:
        unmet = [goal for goal in self.goals if not goal.met]
        self.table(
            f"Goals: {len(self.goals) - len(unmet)} of {len(self.goals)} met",
            ["goal", "measured", "goal", "met"],
            [[goal.name, goal.measured, goal.goal, met_word(goal.met)] for goal in self.goals],
        )

    @property
    def text(self) -> str:
        return self._kept.getvalue()


def met_word(met: bool) -> str:
    return "yes" if met else "NO"
