"""Pieces shared by the plain-text and Markdown views (JUnit, GitHub, Gradescope).

One place decides how a mismatch, a rule finding or a puzzle's details read, so the
formats a CI server, GitHub and Gradescope show agree with each other and with the
terminal report.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from ..result import VERDICTS, Finding, Mismatch, PuzzleResult, Report, where
from ..spec import Puzzle, PuzzleSet

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")
# What would open a list, heading or rule at the start of a line: `- `, `+ `, `1. `, `# `.
_MD_BLOCK_START = re.compile(r"^(?:[-+=]+|#{1,6}|\d{1,9}(?=[.)]))(?=[.)]?(?:\s|$))")


def number(value: float) -> str:
    """A compact, exact-enough rendering of an entry (scale-aware: 1e-21 stays visible)."""
    if value != value:
        return "nan"
    if value == 0:
        return "0"
    if abs(value) >= 1e5 or abs(value) < 1e-3:
        return f"{value:.4g}"
    return f"{value:.6g}"


def index(idx: tuple[int, ...]) -> str:
    """`3` for one component, `(3, 1)` for several."""
    return str(idx[0]) if len(idx) == 1 else "(" + ", ".join(str(i) for i in idx) + ")"


def names(components: tuple[str, ...]) -> str:
    return components[0] if len(components) == 1 else "(" + ", ".join(components) + ")"


def progress_head(report: Report, verb: str = "passed") -> str:
    return f"{report.passed}/{len(report.puzzles)} {verb}"


def score_text(report: Report) -> str:
    return f"score {report.score:g}/{report.max_score:g}"


def others_text(report: Report) -> str:
    """`3 failed, 2 errors`: the puzzles that did not pass, by status."""
    return ", ".join(
        f"{n} {VERDICTS[s].plural if n > 1 else s}"
        for s, n in report.counts().items()
        if s != "passed"
    )


ISOLATION_WARNING = "not jailed by the kernel: Python guards only (see README, Trust model)"


def isolation_warning(report: Report) -> str:
    """A warning when the answers were not jailed by the kernel, else ""."""
    return ISOLATION_WARNING if report.isolation == "python" else ""


def progress_text(report: Report, verb: str = "passed") -> str:
    """`12/20 passed · score 12/20 · 3 failed, 5 missing`, as plain text."""
    parts = [progress_head(report, verb), score_text(report), others_text(report)]
    return " · ".join(p for p in parts if p)


def message(p: PuzzleResult) -> str:
    """The puzzle's message, or a stand-in when the grader left it empty."""
    if p.message:
        return f"{p.message}\nLooks like: {p.diagnosis}" if p.diagnosis else p.message
    if p.status == "missing":
        return "no answer found"
    if p.status == "passed":
        return "all entries match"
    return p.status


def first_line(text: str, width: int = 200) -> str:
    """The first non-blank line, cut to `width` characters (for attributes and cells)."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= width else line[: width - 3] + "..."


def puzzle_of(p: PuzzleResult, pset: PuzzleSet | None) -> Puzzle | None:
    """The spec of a result's puzzle, if a set is given and holds it (never raises)."""
    if pset is None:
        return None
    return next((q for q in pset.puzzles if q.id == p.id), None)


def mismatch_grid(
    p: PuzzleResult, pset: PuzzleSet | None = None, wrt: bool = True
) -> tuple[list[str], list[list[str]]]:
    """The shown mismatches as a header and rows, for every table view.

    A Jacobian entry has `wrt`, `out`, `in`; a backward's gradient for the point's `g`
    has `gradient` (which input) and `in`; a forward's value has `out`. With the set,
    `out`/`in` carry the puzzle's index names (`in i`); an index column that is empty
    for every row (a scalar puzzle's) is left out, and so is `wrt` when not wanted.
    """
    puzzle = puzzle_of(p, pset)
    kind = p.mismatches[0].kind if p.mismatches else "jacobian"
    out_label, in_label = "out", "in"
    if puzzle is not None:
        wrts = dict.fromkeys(m.wrt for m in p.mismatches) or dict.fromkeys(puzzle.arg_names)
        ins = [names(i.index) for i in puzzle.inputs if i.name in wrts]
        out_label = f"out {names(puzzle.out_index) or 'o'}"
        in_label = f"in {' / '.join(dict.fromkeys(ins)) or 'i'}"
    columns: list[tuple[str, Callable[[Mismatch], str]]] = []
    if kind == "vjp":
        columns += [("gradient", lambda m: m.wrt), (in_label, lambda m: index(m.inp))]
    elif kind == "value":
        columns += [(out_label, lambda m: index(m.out))]
    else:
        columns += [("wrt", lambda m: m.wrt)] if wrt else []
        columns += [(out_label, lambda m: index(m.out)), (in_label, lambda m: index(m.inp))]
    columns += [("yours", lambda m: number(m.yours)), ("expected", lambda m: number(m.expected))]
    columns = [
        (head, cell)
        for head, cell in columns
        if head in ("yours", "expected", "wrt", "gradient")
        or any(cell(m) != "()" for m in p.mismatches)
    ]
    rows = [[cell(m) for _, cell in columns] for m in p.mismatches]
    return [head for head, _ in columns], rows


def mismatch_line(m: Mismatch) -> str:
    """One wrong entry on one line: `d/dx out 3, in 4: yours 0, expected 1`."""
    values = f"yours {number(m.yours)}, expected {number(m.expected)}"
    if m.kind == "vjp":
        return f"gradient of {m.wrt} at {index(m.inp)}: {values}"
    if m.kind == "value":
        return f"forward's value at {index(m.out)}: {values}"
    return f"d/d{m.wrt} out {index(m.out)}, in {index(m.inp)}: {values}"


def more_entries(p: PuzzleResult, shown: int | None = None) -> str:
    """`+N more wrong entries` beyond the `shown` first (default: all the result keeps)."""
    rest = p.mismatch_total - (len(p.mismatches) if shown is None else shown)
    return f"+{rest} more wrong entries" if rest > 0 else ""


def findings(p: PuzzleResult) -> list[Finding]:
    return [*p.violations, *p.warnings]


def finding_line(f: Finding) -> str:
    """`rule broken [no-autodiff] line 12: ...`, worded as the terminal report does."""
    label = "warning" if f.severity == "warn" else "rule broken"
    at = where(f.line, f.cell)
    return f"{label} [{f.rule}] {at + ': ' if at else ''}{f.message}"


# ---------------------------------------------------------------- plain text


def plain_table(header: list[str], rows: list[list[str]]) -> str:
    """Columns padded to width: the first left-aligned, the others right-aligned."""
    widths = [max(len(r[k]) for r in [header, *rows]) for k in range(len(header))]

    def line(cells: list[str]) -> str:
        padded = [c.rjust(w) for c, w in zip(cells, widths, strict=True)]
        padded[0] = cells[0].ljust(widths[0])
        return "  ".join(padded).rstrip()

    return "\n".join([line(header), *(line(r) for r in rows)])


def plain_details(p: PuzzleResult, pset: PuzzleSet | None = None) -> str:
    """Message, the shown mismatches as a table, `+N more`, then rule findings."""
    parts = [message(p)]
    if p.mismatches:
        parts.append(plain_table(*mismatch_grid(p, pset)))
    if more_entries(p):
        parts.append(more_entries(p))
    if findings(p):
        parts.append("\n".join(finding_line(f) for f in findings(p)))
    return "\n\n".join(parts)


# ---------------------------------------------------------------- Markdown


def md_cell(text: str) -> str:
    """Text that renders as itself inside a table cell or a line: Markdown punctuation
    backslash-escaped (so `|` becomes `\\|`), runs of whitespace and newlines one space."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def md_escape(text: str) -> str:
    """md_cell for a line of its own: a leading `- `, `+ `, `# ` or `1. ` stays text."""
    escaped = md_cell(text)
    start = _MD_BLOCK_START.match(escaped)
    if start is None:
        return escaped
    if escaped[0].isdigit():
        return escaped[: start.end()] + "\\" + escaped[start.end() :]
    return "\\" + escaped


def md_table(header: list[str], rows: list[list[str]], align: str = "") -> str:
    """A GitHub-flavoured table, every cell escaped; `align` is one `l`/`r` per column."""
    rule = ["---:" if a == "r" else "---" for a in align.ljust(len(header), "l")]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(md_cell(c) for c in cells) + " |"

    return "\n".join([line(header), "| " + " | ".join(rule) + " |", *(line(r) for r in rows)])


def md_code_block(text: str) -> str:
    """A fenced block longer than any backtick run in `text`, so nothing escapes it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    body = "\n".join(text.rstrip().splitlines())
    return f"{fence}text\n{body}\n{fence}"


def md_message(text: str) -> str:
    """A one-line message as escaped text; a longer one (a traceback) as a code block."""
    return md_escape(text) if "\n" not in text.strip() else md_code_block(text)


def md_details(p: PuzzleResult, pset: PuzzleSet | None = None, limit: int | None = None) -> str:
    """Message, a table of the first `limit` mismatches with `+N more`, then findings."""
    parts = [md_message(message(p))]
    shown = p.mismatches[:limit]
    if shown:
        header, rows = mismatch_grid(replace(p, mismatches=shown), pset)
        parts.append(md_table(header, rows, align="l" + "r" * (len(header) - 1)))
    if more_entries(p, len(shown)):
        parts.append(md_escape(more_entries(p, len(shown))))
    if findings(p):
        parts.append("\n".join(f"- {md_escape(finding_line(f))}" for f in findings(p)))
    return "\n\n".join(parts)
