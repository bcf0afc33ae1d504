"""A syntax error told once: where, the line as written, a caret under the column."""

from __future__ import annotations

WIDTH = 80


def syntax_message(exc: Exception, source: str, cell: int | None = None) -> str:
    """`syntax error at line 5: expected ':'`, the line with a caret under the
    column, and what to do; for a notebook, the line is the cell's."""
    if "\0" in source or not isinstance(exc, SyntaxError):  # a NUL: no useful position
        line = source.count("\n", 0, max(source.find("\0"), 0)) + 1
        where = f"cell {cell}, line {line}" if cell is not None else f"line {line}"
        return (
            f"the text has a NUL byte at {where}: is it a Python file?\n"
            "Save your answers as plain text (UTF-8) in a .py file."
        )
    number = exc.lineno or 1
    where = f"cell {cell}, line {number}" if cell is not None else f"line {number}"
    rows = source.split("\n")
    text = rows[number - 1] if 0 < number <= len(rows) else (exc.text or "")
    head = f"syntax error at {where}: {exc.msg}"
    shown = show_line(text, number, exc.offset, _end(exc))
    fix = (
        "Fix this cell; the other cells are graded."
        if cell is not None
        else "Fix this line: Python cannot run the file, so no puzzle is graded."
    )
    return "\n".join([head, *shown, fix])


def _end(exc: SyntaxError) -> int | None:
    end_line = getattr(exc, "end_lineno", None)
    end = getattr(exc, "end_offset", None)
    if end_line is not None and end_line != exc.lineno:
        return None
    return end


def show_line(text: str, number: int, offset: int | None, end: int | None = None) -> list[str]:
    """The line as `  5 | text` and a caret line under columns offset..end (1-based),
    tabs expanded and a long line cut around the caret to fit 80 columns."""
    text = text.rstrip("\r\n")
    gutter = f"{number:>3} | "
    if offset is None or offset < 1:
        offset = len(text) - len(text.lstrip()) + 1
    offset = min(offset, len(text) + 1)
    width = 1 if end is None or end <= offset else end - offset
    before = text[: offset - 1].expandtabs(4)
    marked = text[offset - 1 : offset - 1 + width].expandtabs(4)
    after = text[offset - 1 + width :].expandtabs(4)
    line = before + marked + after
    column = len(before)
    width = max(1, min(len(marked), 40))
    room = WIDTH - len(gutter)
    start = 0
    if len(line) > room:
        start = max(0, min(column - room // 2, len(line) - room + 1))
        line = ("…" if start else "") + line[start + (1 if start else 0) : start + room - 1] + "…"
        column -= start
    blank = " " * (len(gutter) - 2) + "| "
    return [gutter + line.rstrip(), blank + " " * column + "^" * width]
