"""The backward form: a class with forward/backward or vjp_<id>, checked against jax.vjp."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import adgrader
from adgrader.cli import main
from adgrader.result import PuzzleResult, Report
from adgrader.spec import load_set

from .conftest import ANSWERS, SUBMISSIONS, Grade

# Every grading here goes through the session's memo, answer processes forked warm.
pytestmark = pytest.mark.usefixtures("memo_grading")


def by_id(report: Report) -> dict[str, PuzzleResult]:
    return {p.id: p for p in report.puzzles}


def grade_source(tmp_path: Path, source: str, set_name: str, *ids: str) -> Report:
    path = tmp_path / "answers.py"
    path.write_text(source)
    return adgrader.check(path, set=set_name, puzzles=list(ids))


@pytest.mark.parametrize(
    ("path", "set_name", "count"),
    [
        (SUBMISSIONS / "scalar_solution.py", "scalar", 12),
        (SUBMISSIONS / "tensor_solution.py", "tensor", 10),
    ],
    ids=["scalar", "tensor"],
)
def test_right_backward_answers_pass_every_puzzle(
    grade: Grade, path: Path, set_name: str, count: int
) -> None:
    report = grade(path, set_name)
    assert {p.id: p.status for p in report.puzzles if not p.passed} == {}
    assert len(report.puzzles) == count
    assert {p.form for p in report.puzzles} == {"backward"}
    assert report.score == report.max_score == count


@pytest.mark.parametrize(
    ("path", "set_name"),
    [(ANSWERS / "scalar_wrong.py", "scalar"), (ANSWERS / "tensor_wrong.py", "tensor")],
    ids=["scalar", "tensor"],
)
def test_wrong_backward_answers_fail_every_puzzle(grade: Grade, path: Path, set_name: str) -> None:
    report = grade(path, set_name)
    assert [p.id for p in report.puzzles if p.passed] == []
    assert {p.status for p in report.puzzles} == {"failed"}
    for p in report.puzzles:
        if not p.message.startswith("wrong shape"):
            assert p.mismatch_total >= len(p.mismatches) > 0


def test_a_backward_that_forgets_d_out_is_right_for_one_hot_g_and_fails_on_the_points_g(
    grade: Grade,
) -> None:
    sigmoid = by_id(grade(ANSWERS / "scalar_wrong.py", "scalar"))["sigmoid"]
    assert sigmoid.status == "failed"
    assert {m.kind for m in sigmoid.mismatches} == {"vjp"}
    assert "gradient entry is wrong" in sigmoid.message
    assert "not multiplied by g" in sigmoid.diagnosis
    first = sigmoid.mismatches[0]
    assert first.wrt == "x" and first.out == () and first.inp == ()
    assert first.yours != pytest.approx(first.expected)


def test_a_wrong_saved_value_fails_the_jacobian(grade: Grade) -> None:
    exp = by_id(grade(ANSWERS / "scalar_wrong.py", "scalar"))["exp"]
    assert exp.status == "failed"
    assert {m.kind for m in exp.mismatches} == {"jacobian"}
    assert exp.message.startswith("the one entry is wrong")


def test_transposed_axes_in_the_contraction_fail_only_its_input(grade: Grade) -> None:
    tensordot = by_id(grade(ANSWERS / "tensor_wrong.py", "tensor"))["tensordot"]
    assert tensordot.status == "failed"
    assert {m.wrt for m in tensordot.mismatches} == {"x"}
    assert tensordot.diagnosis == (
        "d/dy is right; d/dx is wrong: the input axes j0 and j1 are swapped "
        "(equivalently, the output axes o and p)"
    )
    assert len(tensordot.mismatches[0].out) == 4 and len(tensordot.mismatches[0].inp) == 4


def test_an_unstable_log_softmax_is_right_at_small_logits_and_fails_at_the_large_probe(
    grade: Grade,
) -> None:
    log_softmax = by_id(grade(ANSWERS / "tensor_wrong.py", "tensor"))["log_softmax"]
    puzzle = load_set("tensor").get("log_softmax")
    probe = 3  # the random points 0-2 pass; the first probe has logits near 800
    assert puzzle.probes and max(abs(v) for row in puzzle.probes[0]["x"] for v in row) >= 700
    assert log_softmax.status == "failed"
    assert {m.point for m in log_softmax.mismatches} == {probe}
    assert any(m.yours != m.yours for m in log_softmax.mismatches)  # NaN
    assert "non-finite" in log_softmax.diagnosis


def test_cross_entropy_without_the_mean_is_off_by_the_batch_size(grade: Grade) -> None:
    loss = by_id(grade(ANSWERS / "tensor_wrong.py", "tensor"))["cross_entropy"]
    assert loss.status == "failed"
    assert loss.diagnosis == "every entry is 4 times the expected value"


def test_the_rebuilt_jacobian_agrees_with_the_jac_form_on_shared_puzzles(grade: Grade) -> None:
    right = grade(ANSWERS / "jax_backward.py", "jax")
    answered = {p.id for p in right.puzzles if p.status != "missing"}
    assert answered == {"id", "cos", "mean", "neg", "relu", "cumsum", "emean", "matmul"}
    assert all(by_id(right)[i].passed for i in answered)
    assert {by_id(right)[i].form for i in answered} == {"backward"}

    # The same mistake in both forms: the same wrong (o, i) entries, numbers and count.
    backward = by_id(grade(ANSWERS / "jax_backward_wrong.py", "jax"))
    jac = by_id(grade(SUBMISSIONS / "jax_mistakes.py", "jax"))
    for pid in ("cos", "cumsum", "emean"):
        assert backward[pid].status == jac[pid].status == "failed"
        assert backward[pid].mismatch_total == jac[pid].mismatch_total
        assert backward[pid].mismatches == jac[pid].mismatches
        assert backward[pid].diagnosis == jac[pid].diagnosis


def test_forward_must_return_f(tmp_path: Path) -> None:
    report = grade_source(
        tmp_path,
        "class Log(ScalarFunction):\n"
        "    @staticmethod\n"
        "    def forward(ctx, x):\n"
        "        ctx.save_for_backward(x)\n"
        "        return math.log(x + 1)\n"
        "    @staticmethod\n"
        "    def backward(ctx, d_out):\n"
        "        (x,) = ctx.saved_values\n"
        "        return d_out / x\n",
        "scalar",
        "log",
    )
    log = report.puzzles[0]
    assert log.status == "failed"
    assert log.message.startswith("forward returns the wrong value")
    assert {m.kind for m in log.mismatches} == {"value"}
    assert log.line == 3  # where forward is, not backward (line 7)


def test_a_tensor_puzzle_answered_by_a_class_and_a_scalar_one_by_vjp(tmp_path: Path) -> None:
    source = (
        "class Matmul(Function):\n"
        "    @staticmethod\n"
        "    def forward(ctx, a, b):\n"
        "        ctx.save_for_backward(a, b)\n"
        "        return a @ b\n"
        "    @staticmethod\n"
        "    def backward(ctx, g):\n"
        "        a, b = ctx.saved_tensors\n"
        "        return g @ b.T, a.T @ g\n"
    )
    assert grade_source(tmp_path, source, "tensor", "matmul").all_passed
    wrong = source.replace("a.T @ g", "(g.T @ a).T * 2")
    assert not grade_source(tmp_path, wrong, "tensor", "matmul").all_passed
    assert grade_source(
        tmp_path, "def vjp_mul(x, y, g):\n    return y * g, x * g\n", "scalar", "mul"
    ).all_passed


@pytest.mark.parametrize(
    ("source", "status", "words"),
    [
        (
            "class Neg(ScalarFunction):\n    @staticmethod\n    def forward(ctx, x):\n"
            "        return -x\n",
            "error",
            "class Neg has no backward",
        ),
        (
            "def vjp_mul(x, y, g):\n    return y * g\n",
            "error",
            "must return one gradient per input (x, y)",
        ),
        (
            "def vjp_sum(x, g):\n    return g\n",
            "failed",
            "wrong shape for the gradient of x: expected (A, B) = (3, 4) (the shape of x), "
            "got (3,)",
        ),
        (
            "def vjp_sum(x, g):\n    return jax.vjp(lambda x: x.sum(1), x)[1](g)[0]\n",
            "violation",
            "automatic differentiation",
        ),
    ],
    ids=["no-backward", "one-gradient-for-two", "wrong-shape", "autodiff"],
)
def test_bad_backward_answers_are_told_clearly(
    tmp_path: Path, source: str, status: str, words: str
) -> None:
    set_name = "tensor" if "sum" in source else "scalar"
    pid = source.split("vjp_")[1].split("(")[0] if "vjp_" in source else "neg"
    if "jax." in source:
        source = "import jax\n" + source
    result = grade_source(tmp_path, source, set_name, pid).puzzles[0]
    assert result.status == status
    assert words in result.message


def test_a_missing_backward_answer_names_the_class_and_the_function(tmp_path: Path) -> None:
    report = grade_source(tmp_path, "x = 1\n", "scalar", "relu")
    assert report.puzzles[0].status == "missing"
    assert report.puzzles[0].message == (
        "no answer: add class ReLU (forward, backward)\nor def vjp_relu(x, g)"
    )


@pytest.mark.parametrize("set_name", ["scalar", "tensor"])
def test_init_writes_backward_stubs_that_run_and_fail(tmp_path: Path, set_name: str) -> None:
    target = tmp_path / "start.py"
    runner = CliRunner()
    made = runner.invoke(main, ["init", str(target), "--set", set_name])
    assert made.exit_code == 0, made.output
    assert "backward form" in made.output
    checked = runner.invoke(main, ["check", str(target), "--set", set_name, "--format", "json"])
    assert checked.exit_code == 1
    statuses = {p["id"]: p["status"] for p in json.loads(checked.output)["puzzles"]}
    # Untouched stubs are todo, none passes: not even lt and eq, whose zero gradients
    # are right (f is flat there), so no puzzle is worth a point before it is tried.
    assert set(statuses.values()) == {"todo"}


def test_json_reports_say_what_kind_of_entry_is_wrong(grade: Grade) -> None:
    from adgrader.report.json import as_dict

    data = as_dict(grade(ANSWERS / "scalar_wrong.py", "scalar"))
    kinds = {m["kind"] for p in data["puzzles"] for m in p["mismatches"]["shown"]}
    assert kinds == {"jacobian", "vjp"}


def test_backward_answers_are_found_in_a_notebook(tmp_path: Path) -> None:
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("## Problem: Sigmoid"),
        nbformat.v4.new_code_cell(
            "class Sigmoid(ScalarFunction):\n"
            "    @staticmethod\n"
            "    def forward(ctx, x):\n"
            "        s = 1 / (1 + math.exp(-x))\n"
            "        ctx.save_for_backward(s)\n"
            "        return s\n\n"
            "    @staticmethod\n"
            "    def backward(ctx, d_out):\n"
            "        (s,) = ctx.saved_values\n"
            "        return s * (1 - s) * d_out\n"
        ),
        nbformat.v4.new_code_cell("def vjp_log(x, g):\n    return g * x  # wrong\n"),
    ]
    path = tmp_path / "backward.ipynb"
    nbformat.write(notebook, str(path))
    report = adgrader.check(path, set="scalar", puzzles=["sigmoid", "log", "exp"])
    assert [(p.id, p.status, p.cell) for p in report.puzzles] == [
        ("log", "failed", 3),
        ("exp", "missing", None),
        ("sigmoid", "passed", 2),
    ]


def test_rules_read_a_backward_class_and_let_it_chain_other_backwards(tmp_path: Path) -> None:
    source = (
        "class Mul(ScalarFunction):\n"
        "    @staticmethod\n"
        "    def forward(ctx, x, y):\n"
        "        ctx.save_for_backward(x, y)\n"
        "        return x * y\n\n"
        "    @staticmethod\n"
        "    def backward(ctx, d_out):\n"
        "        x, y = ctx.saved_values\n"
        "        return y * d_out, x * d_out\n\n\n"
        "class MulLog(ScalarFunction):\n"
        "    @staticmethod\n"
        "    def forward(ctx, x, y):\n"
        "        ctx.save_for_backward(x, y)\n"
        "        return x * y + math.log(x)\n\n"
        "    @staticmethod\n"
        "    def backward(ctx, d_out):\n"
        "        x, y = ctx.saved_values\n"
        "        inner = Context()\n"
        "        Mul.forward(inner, x, y)\n"
        "        dx, dy = Mul.backward(inner, d_out)\n"
        "        return dx + d_out / x, dy  # the log term's gradient, added to the product's one\n"
    )
    report = grade_source(tmp_path, source, "scalar", "mul", "mul_log")
    assert [p.status for p in report.puzzles] == ["passed", "passed"]
    mul_log = report.puzzles[1]
    assert [(w.rule, w.line) for w in mul_log.warnings] == [("max-columns", 25)]
    assert mul_log.violations == []
