"""A synthetic class for the benchmarks: many submissions to the jax set, each puzzle
answered the way learners do, drawn with a seed so every run grades the same class.

Per puzzle a submission has a right answer (60%: from the jac solution, the dx
solution or, where there is one, the backward one), a wrong one (20%: from the
mistakes file or the wrong-answers file), the untouched starter (10%) or nothing
(10%). Answers are whole functions taken from the repository's files, so the class
holds a few hundred different files made of a few dozen different answers, as a
real class does.
"""

from __future__ import annotations

import ast
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RIGHT = [
    ROOT / "submissions" / "jax_solution.py",
    ROOT / "tests" / "answers" / "jax_dx.py",
    ROOT / "tests" / "answers" / "jax_backward.py",
]
WRONG = [ROOT / "submissions" / "jax_mistakes.py", ROOT / "tests" / "answers" / "jax_wrong.py"]


def answers(path: Path) -> dict[str, str]:
    """Each top-level answer of a file, by puzzle id: its whole source."""
    source = path.read_text(encoding="utf-8")
    found: dict[str, str] = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            for prefix in ("jac_", "fb_", "vjp_"):
                if node.name.startswith(prefix):
                    found[node.name.removeprefix(prefix)] = (
                        ast.get_source_segment(source, node) or ""
                    )
    return found


def make_class(folder: Path, count: int, seed: int = 0) -> list[Path]:
    """Write `count` submissions into `folder`; their paths."""
    from adgrader.spec import load_set
    from adgrader.spec.starters import jac_starter

    pset = load_set("jax")
    right = [answers(p) for p in RIGHT]
    wrong = [answers(p) for p in WRONG]
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for k in range(count):
        parts = ["# adgrader: set=jax\n"]
        for puzzle in pset.puzzles:
            roll = rng.random()
            if roll < 0.6:
                options = [r[puzzle.id] for r in right if puzzle.id in r]
            elif roll < 0.8:
                options = [w[puzzle.id] for w in wrong if puzzle.id in w]
                options = [o for o in options if o not in (r.get(puzzle.id) for r in right)]
            elif roll < 0.9:
                options = [jac_starter(puzzle)]
            else:
                options = []
            if options:
                parts.append(rng.choice(options) + "\n")
        path = folder / f"student{k:04d}.py"
        path.write_text("\n\n".join(parts), encoding="utf-8")
        paths.append(path)
    return paths
