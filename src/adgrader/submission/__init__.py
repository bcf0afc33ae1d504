"""Reading a submission (a .py file or a notebook) without running any of it.

`read_submission` gives one `Submission` (source, where each line sits, notes, the
declared set, why it cannot be graded); `infer_set` and `better_set` find the set
its answers fit; `untouched` tells a starter from an attempt; `suggest` and
`missing_message` say what to write when an answer is missing.
"""

from __future__ import annotations

from .marker import declared_set
from .model import Kind, Note, Origin, Scope, Unusable
from .read import Submission, read_submission

__all__ = [
    "Kind",
    "Note",
    "Origin",
    "Scope",
    "Submission",
    "Unusable",
    "declared_set",
    "read_submission",
]
