"""Every puzzle of both sets: right answers pass in both forms, wrong answers never pass."""

from __future__ import annotations

import pytest

from .conftest import ANSWERS, HOSTILE, SUBMISSIONS, Grade

RIGHT = [
    (SUBMISSIONS / "jax_solution.py", "jax", "jac"),
    (ANSWERS / "jax_dx.py", "jax", "dx"),
    (SUBMISSIONS / "classic_solution.py", "classic", "dx"),
    (ANSWERS / "classic_jac.py", "classic", "jac"),
]
WRONG = [(ANSWERS / "jax_wrong.py", "jax"), (ANSWERS / "classic_wrong.py", "classic")]


@pytest.mark.parametrize(
    ("path", "set_name", "form"), RIGHT, ids=lambda v: str(getattr(v, "name", v))
)
def test_right_answers_pass_every_puzzle(grade: Grade, path, set_name: str, form: str) -> None:  # type: ignore[no-untyped-def]
    report = grade(path, set_name)
    failing = {p.id: (p.status, p.message) for p in report.puzzles if not p.passed}
    assert failing == {}
    assert len(report.puzzles) == {"jax": 20, "classic": 21}[set_name]
    assert {p.form for p in report.puzzles} == {form}
    assert report.score == report.max_score == len(report.puzzles)


@pytest.mark.parametrize(("path", "set_name"), WRONG, ids=lambda v: str(getattr(v, "name", v)))
def test_wrong_answers_fail_every_puzzle(grade: Grade, path, set_name: str) -> None:  # type: ignore[no-untyped-def]
    report = grade(path, set_name)
    passing = [p.id for p in report.puzzles if p.passed]
    assert passing == []
    assert {p.status for p in report.puzzles} <= {"failed", "error"}
    assert report.score == 0
    for p in report.puzzles:
        if p.status == "failed" and not p.message.startswith("wrong shape"):
            assert p.mismatch_total >= len(p.mismatches) > 0


def test_wrong_answers_fail_at_other_seeds_too(grade: Grade) -> None:
    report = grade(ANSWERS / "jax_wrong.py", "jax", seed=12345, points=1)
    assert [p.id for p in report.puzzles if p.passed] == []


def test_the_example_with_mistakes_fails_exactly_the_marked_puzzles(grade: Grade) -> None:
    source = (SUBMISSIONS / "jax_mistakes.py").read_text()
    report = grade(SUBMISSIONS / "jax_mistakes.py", "jax")
    marked = set()
    current = None
    for line in source.splitlines():
        if line.startswith("def jac_"):
            current = line[len("def jac_") :].split("(")[0]
        if "MISTAKE" in line and current:
            marked.add(current)
    assert marked
    assert {p.id for p in report.puzzles if not p.passed} == marked


def test_mismatches_name_input_output_indices_and_values(grade: Grade) -> None:
    report = grade(SUBMISSIONS / "jax_mistakes.py", "jax")
    emean = next(p for p in report.puzzles if p.id == "emean")
    assert emean.status == "failed"
    first = emean.mismatches[0]
    assert (first.wrt, first.out, first.inp, first.yours, first.expected) == (
        "y",
        (0,),
        (0,),
        1.0,
        0.5,
    )
    assert emean.mismatch_total == 10


def test_same_seed_same_verdicts_and_points(grade: Grade) -> None:
    """A grading of its own, with answer processes started cold as `check` starts them,
    gives what the session's memo (forked answer processes) gave."""
    import adgrader

    again = adgrader.check(SUBMISSIONS / "jax_mistakes.py", set="jax", puzzles=["cumsum"])
    first = next(
        p for p in grade(SUBMISSIONS / "jax_mistakes.py", "jax").puzzles if p.id == "cumsum"
    )
    assert again.puzzles[0].mismatches == first.mismatches


def test_cells_pasted_from_the_2022_notebook_work_unchanged(grade: Grade) -> None:
    report = grade(
        HOSTILE / "notebook_2022_cells.py",
        "classic",
        puzzles=("prod", "cumsum", "sort", "cos", "running_mean", "matmul"),
    )
    assert {p.id: p.status for p in report.puzzles} == dict.fromkeys(
        ("cos", "prod", "cumsum", "running_mean", "sort", "matmul"), "passed"
    )


def test_cells_pasted_from_the_2024_notebook_work_unchanged(grade: Grade) -> None:
    report = grade(HOSTILE / "notebook_2024_cells.py", "jax", puzzles=("id", "emean", "sort"))
    assert [p.status for p in report.puzzles] == ["passed"] * 3


def test_points_per_puzzle_come_from_the_set_file(tmp_path, grade: Grade) -> None:  # type: ignore[no-untyped-def]
    import shutil

    folder = tmp_path / "course"
    folder.mkdir()
    for name in ("neg", "relu"):
        shutil.copy(SUBMISSIONS.parent / "puzzles" / "jax" / f"{name}.yaml", folder)
    (folder / "set.yaml").write_text(
        "id: course\ntitle: A course\npuzzles: [{id: neg, score: 2.5}, relu]\n"
    )
    answers = tmp_path / "answers.py"
    answers.write_text("def jac_neg(x):\n    return -1.0 * (Os == Is)\n")
    report = grade(answers, puzzles_dir=folder)
    assert [(p.id, p.score, p.max_score) for p in report.puzzles] == [
        ("neg", 2.5, 2.5),
        ("relu", 0.0, 1.0),
    ]
    assert (report.score, report.max_score) == (2.5, 3.5)
