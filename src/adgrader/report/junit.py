"""The JUnit XML report: one test case per puzzle, for GitLab, Jenkins and other CI servers.

The common subset of the JUnit/xUnit conventions: `testsuites` > `testsuite` (with
`properties` first) > `testcase`, whose `failure`, `error` or `skipped` child carries the
verdict, as `result.VERDICTS` sorts them: failed and violation are failures, error and
timeout are errors, todo and missing are skipped. GitLab shows `classname` as the suite,
so it holds the set id.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ..result import VERDICTS, PuzzleResult, Report
from ..spec import PuzzleSet
from .common import first_line, message, plain_details

# Characters XML 1.0 cannot hold at all, even escaped (an answer's message may carry them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def render(report: Report, pset: PuzzleSet | None = None) -> str:
    """The report as a UTF-8 JUnit XML document; `pset` names the index columns."""
    kinds = [VERDICTS[p.status].kind for p in report.puzzles]
    counts = {
        "tests": str(len(report.puzzles)),
        "failures": str(kinds.count("failure")),
        "errors": str(kinds.count("error")),
        "skipped": str(kinds.count("skip")),
        "time": f"{report.duration:.3f}",
    }
    root = ET.Element("testsuites", {"name": "adgrader", **counts})
    suite = ET.SubElement(root, "testsuite", {"name": report.set, **counts})
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("submission", report.submission),
        ("set", report.set),
        ("seed", str(report.seed)),
        ("points", str(report.points)),
        ("isolation", report.isolation),
        ("score", _number(report.score)),
        ("max_score", _number(report.max_score)),
    ):
        ET.SubElement(properties, "property", {"name": name, "value": _xml(value)})
    for p in report.puzzles:
        _testcase(suite, report.set, p, pset)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _testcase(suite: ET.Element, set_id: str, p: PuzzleResult, pset: PuzzleSet | None) -> None:
    case = ET.SubElement(suite, "testcase", {"classname": set_id, "name": p.id, "time": "0"})
    kind = VERDICTS[p.status].kind
    if kind in ("failure", "error"):
        tag = kind
        attrs = {"message": _xml(first_line(message(p))), "type": p.status}
        ET.SubElement(case, tag, attrs).text = _xml(plain_details(p, pset))
    elif kind == "skip":
        text = _xml(message(p))
        ET.SubElement(case, "skipped", {"message": first_line(text)}).text = text


def _xml(text: str) -> str:
    """`text` with the characters XML cannot represent replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def _number(value: float) -> str:
    """`18`, `0.5`, `nan`, `inf`: a score as plain text, non-finite values included."""
    return f"{value:g}"
