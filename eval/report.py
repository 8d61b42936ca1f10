"""Presenting an evaluation report: rich tables for the terminal and a recall chart (PNG, Agg backend)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

OVERALL = ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10")
SHORT = {
    "recall@1": "R@1",
    "recall@5": "R@5",
    "recall@10": "R@10",
    "mrr@10": "MRR",
    "ndcg@10": "nDCG",
}


def systems_table(report: Mapping[str, Any]) -> Table:
    """One row per system: the five metrics and search latency."""
    table = Table(
        title=f"{report['queries']} queries, {report['passages']} passages, {report['seconds']} s"
    )
    table.add_column("system")
    for name in OVERALL:
        table.add_column(SHORT[name], justify="right")
    for column in ("mean ms", "p50 ms", "p95 ms"):
        table.add_column(column, justify="right")
    for system, figures in report["systems"].items():
        latency = figures["latency_ms"]
        table.add_row(
            system,
            *(f"{figures[name]:.3f}" for name in OVERALL),
            *(f"{latency[key]:.1f}" for key in ("mean", "p50", "p95")),
        )
    return table


def breakdown_table(title: str, groups: Mapping[str, Mapping[str, Any]]) -> Table:
    """Rows = groups (language, pair, type); columns = R@1, R@5 and MRR for each system."""
    systems = list(next(iter(groups.values()), {}))
    table = Table(title=title)
    table.add_column(title)
    table.add_column("n", justify="right")
    for system in systems:
        for name in ("recall@1", "recall@5", "mrr@10"):
            table.add_column(f"{system} {SHORT[name]}", justify="right")
    for group, by_system in groups.items():
        count = next(iter(by_system.values()))["queries"]
        cells = [
            f"{by_system[s][n]:.3f}" for s in systems for n in ("recall@1", "recall@5", "mrr@10")
        ]
        table.add_row(group, str(count), *cells)
    return table


def attraction_table(figures: Mapping[str, Mapping[str, Any]]) -> Table:
    """Per system: the attraction questions' R@1, its ceiling, first hits gold, own-language misses.

    R@1 counts each gold source; a question with two can put only one first (the ceiling).
    """
    table = Table(title="language attraction (answer only in another language than the question's)")
    columns = ("system", "n", "R@1", "R@1 ceiling", "first hit gold", "own-language miss first")
    for column in columns:
        table.add_column(column, justify="left" if column == "system" else "right")
    shares = ("recall@1", "recall@1_ceiling", "first_hit_gold", "own_language_first")
    for system, row in figures.items():
        table.add_row(system, str(row["questions"]), *(f"{row[name]:.3f}" for name in shares))
    return table


def print_report(console: Console, report: Mapping[str, Any]) -> None:
    """The systems table, then every non-empty breakdown (and the attraction figures, if any)."""
    console.print(systems_table(report))
    for kind, groups in report["breakdown"].items():
        if groups:
            console.print(breakdown_table(kind, groups))
    if report.get("attraction"):
        console.print(attraction_table(report["attraction"]))


def write_chart(report: Mapping[str, Any], path: Path) -> Path:
    """Recall@1 and recall@5 per query language × system, as grouped bars in a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    languages = list(report["breakdown"]["language"])
    systems: Sequence[str] = list(report["systems"])
    figure, axes = plt.subplots(1, 2, figsize=(max(6, 1.6 * len(languages) + 2) * 2, 4.5))
    width = 0.8 / max(len(systems), 1)
    for axis, metric in zip(axes, ("recall@1", "recall@5")):
        for i, system in enumerate(systems):
            values = [report["breakdown"]["language"][lang][system][metric] for lang in languages]
            positions = [x + (i - (len(systems) - 1) / 2) * width for x in range(len(languages))]
            axis.bar(positions, values, width, label=system)
        axis.set_xticks(range(len(languages)), languages)
        axis.set_ylim(0, 1)
        axis.set_title(metric)
        axis.grid(axis="y", alpha=0.3)
    axes[0].legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
