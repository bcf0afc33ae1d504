"""Reading a submission (a .py file or a notebook) without running any of it.

How grading uses this package, in order:

1. `sub = read_submission(path)`: raises UsageError only for no such file or a folder.
2. The set: `--set` when given, else `infer_set(sub, sets)` -> (id, why), with `sets`
   every available set, the default first; reports show `why` beside the set.
   Then `sub = sub.for_set(pset)` (a notebook's answers depend on the set).
3. `sub.unusable`: every selected puzzle gets its status (`error`, or `missing` for an
   empty file); its message is said once, with "Next" pointing nowhere; nothing runs.
4. `better_set(sub, pset.id, sets)`: when not None and some puzzle did not pass, say
   `better_set_hint(...)` once ("these look like classic answers: try --set classic").
5. Per selected puzzle, on `tree = pyast.parse(sub.source)`:
   - in `sub.broken` (a notebook cell that does not parse): `error` with that message;
   - no `grading.rules.find_answer(tree, p, pset.form)`: `missing`, with
     `missing_message(p, sub.kind, usual_form(tree, pset), suggest(sub.defined, p, pset))`;
   - `untouched(answer.node, p, answer.form)`: `todo` with `todo_message(...)`, score 0;
   - else it is run.
6. The answer process runs `sub.source` (written to its job folder, for a `.py` too:
   the BOM and CRLF are gone from it), statement by statement along `sub.scopes`, so
   that helpers see the givens of the puzzle graded (see `Submission.scopes`). A line
   it reports is placed with `sub.place(line)` -> (cell, line).
7. Reports show each `Note` of level `warn` (`str(note)`), all of them in JSON.
"""

from __future__ import annotations

from .infer import better_set, better_set_hint, infer_set
from .marker import declared_set
from .model import Kind, Note, Origin, Scope, Unusable
from .read import Submission, from_text, read_submission
from .suggest import missing_message, suggest, todo_message, usual_form
from .untouched import untouched

__all__ = [
    "Kind",
    "Note",
    "Origin",
    "Scope",
    "Submission",
    "Unusable",
    "better_set",
    "better_set_hint",
    "declared_set",
    "from_text",
    "infer_set",
    "missing_message",
    "read_submission",
    "suggest",
    "todo_message",
    "untouched",
    "usual_form",
]
