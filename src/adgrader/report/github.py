"""GitHub Actions views: workflow-command annotations and a Markdown job summary.

`annotations` prints `::error`/`::warning` lines that GitHub pins to the submission's
lines in the pull request; `summary` is Markdown for `$GITHUB_STEP_SUMMARY`. GitHub
shows only a few annotations per step, so the worst come first and a `::notice` counts
the rest.
"""

# No `from __future__ import annotations` here: it would bind the name `annotations`,
# which is this module's main function. Python 3.10 evaluates `X | None` hints anyway.

from ..result import VERDICTS, PuzzleResult, Report
from ..spec import PuzzleSet
from .common import (
    finding_line,
    first_line,
    isolation_warning,
    md_details,
    md_escape,
    md_table,
    message,
    mismatch_line,
    more_entries,
    progress_text,
)

MESSAGE_LINES = 3  # mismatch or finding lines under an annotation's message
SUMMARY_ROWS = 5  # mismatch rows per puzzle in the job summary


def escape_data(text: str) -> str:
    """A command's message: `%`, CR and LF percent-encoded, so it stays one line."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A command's property value: as escape_data, and `:` and `,` too."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, properties: dict[str, str | int | None], data: str) -> str:
    """`::name k=v,k=v::data`, escaped; properties whose value is None are left out."""
    props = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in properties.items()
        if value is not None
    )
    return f"::{name}{' ' + props if props else ''}::{escape_data(data)}"


def annotations(report: Report, limit: int = 10) -> str:
    """One `::error` per puzzle not passed, then one `::warning` per puzzle passed with
    warnings, `limit` in all; a final `::notice` says how many more were left out."""
    lines = [command("warning", {}, isolation_warning(report))] if isolation_warning(report) else []
    lines += [_error(report, p) for p in report.puzzles if not p.passed]
    lines += [_warning(report, p) for p in report.puzzles if p.passed and p.warnings]
    shown = lines[: max(limit, 0)]
    rest = len(lines) - len(shown)
    if rest:
        noun = "annotation" if rest == 1 else "annotations"
        shown.append(
            command("notice", {}, f"adgrader: {rest} more {noun} not shown; see the job summary")
        )
    return "".join(line + "\n" for line in shown)


def _error(report: Report, p: PuzzleResult) -> str:
    extra = [mismatch_line(m) for m in p.mismatches[:MESSAGE_LINES]]
    if extra and more_entries(p, len(extra)):
        extra.append(more_entries(p, len(extra)))
    extra += [finding_line(f) for f in p.violations[:MESSAGE_LINES]]
    line = next((f.line for f in p.violations if f.line), p.line)
    props = {
        "file": report.submission,
        "line": None if p.cell else line,
        "title": f"{p.id}: {p.status}" + (f" (cell {p.cell})" if p.cell else ""),
    }
    return command("error", props, "\n".join([message(p), *extra]))


def _warning(report: Report, p: PuzzleResult) -> str:
    line = next((f.line for f in p.warnings if f.line), p.line)
    props = {
        "file": report.submission,
        "line": None if p.cell else line,
        "title": f"{p.id}: warning" + (f" (cell {p.cell})" if p.cell else ""),
    }
    return command("warning", props, "\n".join(finding_line(f) for f in p.warnings))


def summary(report: Report, pset: PuzzleSet | None = None) -> str:
    """The job summary: score heading, one table row per puzzle, then what went wrong."""
    parts = [
        f"## adgrader: {report.score:g}/{report.max_score:g} · {md_escape(report.submission)}",
        md_escape(progress_text(report))
        + f" · set {md_escape(report.set)} · seed {report.seed} · {report.points} points"
        + f" · isolation {report.isolation}",
    ]
    if isolation_warning(report):
        parts.append(f"> **Warning:** {md_escape(isolation_warning(report))}")
    rows = [
        [str(k), f"{p.id} · {p.title}", _marker(p), f"{p.score:g}/{p.max_score:g}", _reason(p)]
        for k, p in enumerate(report.puzzles, start=1)
    ]
    parts.append(md_table(["#", "puzzle", "status", "score", "details"], rows, align="rllrl"))
    for p in report.puzzles:
        if not p.passed and p.status != "missing":
            heading = f"### {md_escape(p.id)} · {md_escape(p.title)}: {_marker(p)}"
            parts += [heading, md_details(p, pset, limit=SUMMARY_ROWS)]
    return "\n\n".join(parts) + "\n"


def _marker(p: PuzzleResult) -> str:
    return VERDICTS[p.status].marker


def _reason(p: PuzzleResult) -> str:
    if p.passed:
        n = len(p.warnings)
        return f"{n} warning{'s' if n > 1 else ''}" if n else ""
    return first_line(message(p), 80)
