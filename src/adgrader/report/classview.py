"""The terminal view of a batch: how each puzzle fared across the class."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..grading.batch import Batch


def pass_rate_table(batch: Batch) -> Table:
    table = Table(
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        title=Text("pass rate per puzzle", style="bold"),
        title_justify="left",
    )
    table.add_column("puzzle", style="bold", no_wrap=True)
    table.add_column("passed", justify="right")
    table.add_column("rate", justify="right")
    table.add_column("", no_wrap=True)
    for pid, passed, graded in batch.pass_rates():
        share = passed / graded if graded else 0.0
        bar = "█" * round(share * 20)
        style = "green" if share >= 0.8 else "yellow" if share >= 0.4 else "red"
        table.add_row(pid, f"{passed}/{graded}", f"{share:.0%}", Text(bar, style=style))
    return table


def render(batch: Batch, console: Console, written: str) -> None:
    """The pass-rate table and a closing line saying where the grades are."""
    console.print(pass_rate_table(batch))
    total = len(batch.rows)
    perfect = sum(all(s == "passed" for s in r.statuses.values()) for r in batch.rows)
    mean = sum(r.score for r in batch.rows) / total if total else 0.0
    top = max((r.max_score for r in batch.rows), default=0.0)
    console.print(
        Text(
            f"{total} submission{'s' if total != 1 else ''} graded · "
            f"{perfect} with every puzzle passed · mean score {mean:.1f}/{top:g}",
            style="bold",
        )
    )
    console.print(Text(written, style="dim"))
