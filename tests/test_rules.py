"""The rules (grading/rules.py) on source text: where each form's answer is, what each rule
finds there, and how severities and --strict decide what a finding is. Nothing runs."""

from __future__ import annotations

import ast
import textwrap

import pytest

from adgrader.grading import rules
from adgrader.grading.rules import Answer, check, find_answer
from adgrader.spec import Puzzle, Rule, load_set

JAX = load_set("jax")
CLASSIC = load_set("classic")
SCALAR = load_set("scalar")
TENSOR = load_set("tensor")
RELU, MUL = JAX.get("relu"), JAX.get("mul")


def source(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def answer(text: str, puzzle: Puzzle, prefer: str = "jac") -> Answer:
    tree = rules.parse(text)
    assert tree is not None
    found = find_answer(tree, puzzle, prefer)
    assert found is not None
    return found


def findings(
    text: str, puzzle: Puzzle, *rule: Rule, prefer: str = "jac", strict: bool = False
) -> list[tuple[str, int | None, str]]:
    text = source(text)
    return [
        (f.rule, f.line, f.severity)
        for f in check(text, answer(text, puzzle, prefer), puzzle, rule, strict)
    ]


# ---------------------------------------------------------------- where the answer is


def test_parse_gives_none_for_source_that_does_not_parse() -> None:
    assert rules.parse("def jac_relu(x)\n    return 1\n") is None
    assert rules.parse("x = '\0'\n") is None  # a NUL byte: ValueError or SyntaxError
    assert isinstance(rules.parse("x = 1\n"), ast.Module)


def test_a_jac_answer_is_its_body_without_the_docstring() -> None:
    found = answer(
        source('''
            import numpy as np


            def jac_relu(x):
                """The derivative of max(x, 0)."""
                d = x > 0
                return d * (Os == Is)
            '''),
        RELU,
    )
    assert (found.name, found.form) == ("jac_relu", "jac")
    assert found.lines == ((6, 6), (7, 7))


def test_a_lambda_answer_plain_or_annotated_is_its_own_lines() -> None:
    plain = answer("jac_relu = lambda x: (x > 0) * (Os == Is)\n", RELU)
    assert (plain.name, plain.form, plain.lines) == ("jac_relu", "jac", ((1, 1),))
    annotated = answer(
        "from typing import Callable\njac_relu: Callable = lambda x: (\n    0 * x\n)\n", RELU
    )
    assert annotated.lines == ((2, 4),)


def test_a_dx_answer_is_its_dx_and_dy_lambdas() -> None:
    found = answer(
        source("""
            def fb_mul(x, y):
                f = lambda o: x[o] * y[o]
                dx = lambda i, o: y[o] if i == o else 0
                dy = lambda j, o: (
                    x[o] if j == o else 0
                )
                return f, dx, dy
            """),
        CLASSIC.get("mul"),
        prefer="dx",
    )
    assert (found.name, found.form) == ("fb_mul", "dx")
    assert found.lines == ((3, 3), (4, 6))


def test_a_backward_class_is_its_forward_and_backward_statements() -> None:
    found = answer(
        source("""
            class Mul(ScalarFunction):
                note = "not part of the answer"

                @staticmethod
                def forward(ctx, x, y):
                    ctx.save_for_backward(x, y)
                    return x * y

                @staticmethod
                def backward(ctx, d_out):
                    x, y = ctx.saved_values
                    return y * d_out, x * d_out
            """),
        SCALAR.get("mul"),
        prefer="backward",
    )
    assert (found.name, found.form) == ("Mul", "backward")
    assert found.lines == ((6, 6), (7, 7), (11, 11), (12, 12))


def test_a_vjp_function_is_a_backward_answer() -> None:
    found = answer("def vjp_sum(x, g):\n    return g[:, None] * (1 + 0 * x)\n", TENSOR.get("sum"))
    assert (found.name, found.form, found.lines) == ("vjp_sum", "backward", ((2, 2),))


def test_the_sets_form_comes_first_then_the_others_and_the_last_definition_wins() -> None:
    both = source("""
        def fb_relu(x):
            f = lambda o: max(x[o], 0)
            dx = lambda i, o: 1 if i == o and x[o] > 0 else 0
            return f, dx


        def jac_relu(x):
            return 1


        def jac_relu(x):
            return (x > 0) * (Os == Is)
        """)
    assert answer(both, RELU, prefer="jac").form == "jac"
    assert answer(both, RELU, prefer="jac").node.lineno == 11  # the one Python keeps
    assert answer(both, RELU, prefer="dx").form == "dx"
    assert answer(both, RELU, prefer="backward").form == "jac"  # no backward: the next form
    tree = rules.parse(both)
    assert tree is not None and find_answer(tree, MUL, "jac") is None


def test_names_inside_functions_or_not_bound_to_a_lambda_are_not_answers() -> None:
    text = "jac_relu = 3\n\ndef helper():\n    def jac_relu(x):\n        return x\n"
    tree = rules.parse(text)
    assert tree is not None and find_answer(tree, RELU, "jac") is None


# ---------------------------------------------------------------- one-line


ONE_LINE = Rule("one-line", "error")


def test_one_line_passes_a_one_line_jac_and_fails_a_wrapped_one() -> None:
    assert findings("def jac_relu(x):\n    return (x > 0) * (Os == Is)\n", RELU, ONE_LINE) == []
    wrapped = "def jac_relu(x):\n    return (x > 0) * (\n        Os == Is\n    )\n"
    assert findings(wrapped, RELU, ONE_LINE) == [("one-line", 2, "error")]
    message = check(wrapped, answer(wrapped, RELU), RELU, (ONE_LINE,))[0].message
    assert message == "the answer spans lines 2-4; keep it to one line"


def test_one_line_allows_one_statement_per_jacobian() -> None:
    two = "def jac_mul(x, y):\n    a = y * (Os == Is)\n    return a, x * (Os == Is)\n"
    assert findings(two, MUL, ONE_LINE) == []
    three = "def jac_relu(x):\n    a = x > 0\n    b = Os == Is\n    return a * b\n"
    found = check(three, answer(three, RELU), RELU, (ONE_LINE,))
    assert [(f.line, f.message) for f in found] == [
        (2, "jac_relu has 3 statements; the answer is one line (1 statement at most, one per "
            "Jacobian)")
    ]  # fmt: skip
    four = "def jac_mul(x, y):\n    a = 1\n    b = 2\n    return a, b\n"
    assert "(2 statements at most" in check(four, answer(four, MUL), MUL, (ONE_LINE,))[0].message


def test_one_line_checks_each_dx_lambda() -> None:
    relu = CLASSIC.get("relu")
    fine = "def fb_relu(x):\n    f = lambda o: x[o]\n    dx = lambda i, o: 0\n    return f, dx\n"
    assert findings(fine, relu, ONE_LINE, prefer="dx") == []
    split = fine.replace("dx = lambda i, o: 0", "dx = lambda i, o: (\n        0\n    )")
    found = check(split, answer(split, relu, "dx"), relu, (ONE_LINE,))
    assert [(f.line, f.message) for f in found] == [
        (3, "a dx/dy lambda spans lines 3-5; keep it to one line")
    ]


def test_one_line_checks_each_statement_of_a_backward() -> None:
    neg = SCALAR.get("neg")
    text = source("""
        class Neg(ScalarFunction):
            @staticmethod
            def forward(ctx, x):
                return -x

            @staticmethod
            def backward(ctx, d_out):
                return (
                    -d_out
                )
        """)
    found = check(text, answer(text, neg, "backward"), neg, (ONE_LINE,))
    assert [(f.line, f.message) for f in found] == [
        (8, "a statement spans lines 8-10; keep each to one line")
    ]
    assert findings(text.replace("(\n            -d_out\n        )", "-d_out"), neg, ONE_LINE,
                    prefer="backward") == []  # fmt: skip


# ---------------------------------------------------------------- max-columns


def test_max_columns_counts_the_answer_lines_only_against_the_limit() -> None:
    long_name = "a" * 70
    text = (
        f"{long_name}_helper_that_is_far_too_long_for_the_limit = 1  # not the answer\n"
        "def jac_relu(x):\n"
        "    return (x > 0) * (Os == Is)" + " " * 60 + "\n"  # trailing blanks do not count
    )
    assert findings(text, RELU, Rule("max-columns", "error", 80)) == []
    found = check(text, answer(text, RELU), RELU, (Rule("max-columns", "error", 20),))
    assert [(f.line, f.message) for f in found] == [(3, "31 columns wide; the limit is 20")]


def test_max_columns_without_a_limit_is_80() -> None:
    text = "def jac_relu(x):\n    return " + "0 * x + " * 10 + "(x > 0) * (Os == Is)\n"
    assert len(text.splitlines()[1]) > 80
    assert findings(text, RELU, Rule("max-columns", "warn")) == [("max-columns", 2, "warn")]


# ---------------------------------------------------------------- no-autodiff


NO_AUTODIFF = Rule("no-autodiff", "error")


@pytest.mark.parametrize(
    "body",
    [
        "jax.jacfwd(lambda x: x)(x)",
        "jacrev(f)(x)",
        "jax.grad(f)(x)",
        "jax.jacobian(f)(x)",
        "torch.autograd.functional.jacobian(f, x)",
        "x.backward()",
        "hessian(f)(x)",
        "jvp(f, (x,), (x,))[1]",
    ],
)
def test_no_autodiff_finds_a_differentiating_call(body: str) -> None:
    text = f"def jac_relu(x):\n    return {body}\n"
    assert findings(text, RELU, NO_AUTODIFF) == [("no-autodiff", 2, "error")]
    message = check(text, answer(text, RELU), RELU, (NO_AUTODIFF,))[0].message
    assert message.endswith("answers compute derivatives by hand, not with autodiff")


def test_no_autodiff_lets_ordinary_names_and_a_backward_chaining_others_through() -> None:
    # `grad`, `jacobian` and `backward` as plain variable names are not autodiff
    plain = (
        "def jac_relu(x):\n    grad = jacobian = backward = (x > 0) * (Os == Is)\n    return grad\n"
    )
    assert findings(plain, RELU, NO_AUTODIFF) == []
    chained = "def vjp_mul(x, y, g):\n    return Mul.backward(ctx, g)\n"
    assert findings(chained, TENSOR.get("mul"), NO_AUTODIFF, prefer="backward") == []
    graded = "def vjp_mul(x, y, g):\n    return jax.vjp(f, x, y)[1](g)\n"
    assert findings(graded, TENSOR.get("mul"), NO_AUTODIFF, prefer="backward") == [
        ("no-autodiff", 2, "error")
    ]


# ---------------------------------------------------------------- no-array-literal


NO_LITERAL = Rule("no-array-literal", "error")


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("[[1.0 if x[0] > 0 else 0.0]]", "lists entries"),
        ("[v for v in x]", "lists entries"),
        ("np.array(x > 0)", "calls `array(...)`"),
        ("jnp.asarray(x)", "calls `asarray(...)`"),
        ("np.stack([x, x])", "stacks a list with `stack`"),
        ("np.concatenate((x, x))", "stacks a list with `concatenate`"),
    ],
)
def test_no_array_literal_finds_entries_built_one_by_one(body: str, words: str) -> None:
    text = f"def jac_relu(x):\n    return {body}\n"
    found = check(text, answer(text, RELU), RELU, (NO_LITERAL,))
    assert found and found[0].line == 2 and words in found[0].message


def test_no_array_literal_lets_operators_and_stacking_arrays_through() -> None:
    assert findings("def jac_relu(x):\n    return (x > 0) * (Os == Is)\n", RELU, NO_LITERAL) == []
    assert findings("def jac_relu(x):\n    return np.stack(parts)\n", RELU, NO_LITERAL) == []


def test_no_array_literal_lets_a_dx_lambda_use_a_list() -> None:
    relu = CLASSIC.get("relu")
    text = "def fb_relu(x):\n    dx = lambda i, o: [0, 1][int(i == o)]\n    return f, dx\n"
    assert findings(text, relu, NO_LITERAL, prefer="dx") == []


# ---------------------------------------------------------------- severities


BAD = "def jac_relu(x):\n    return jax.jacfwd(f)(x) + np.array(\n        [1]\n    )\n"


@pytest.mark.parametrize("severity", ["warn", "error"])
def test_each_finding_carries_its_rules_severity(severity: str) -> None:
    every = tuple(Rule(name, severity, 10) for name in rules._RULES)  # type: ignore[arg-type]
    found = findings(BAD, RELU, *every)
    assert {rule for rule, _, _ in found} == set(rules._RULES)
    assert {s for _, _, s in found} == {severity}


def test_an_off_rule_finds_nothing() -> None:
    every = tuple(Rule(name, "off", 10) for name in rules._RULES)  # type: ignore[arg-type]
    assert findings(BAD, RELU, *every) == []
    assert findings(BAD, RELU, *every, strict=True) == []


def test_strict_makes_every_warning_an_error() -> None:
    warn = (Rule("one-line", "warn"), Rule("max-columns", "warn", 20))
    assert {s for _, _, s in findings(BAD, RELU, *warn)} == {"warn"}
    assert {s for _, _, s in findings(BAD, RELU, *warn, strict=True)} == {"error"}


def test_one_finding_per_rule_and_line() -> None:
    text = "def jac_relu(x):\n    return np.array(np.array(x)) + jax.grad(jax.grad(f))(x)\n"
    found = findings(text, RELU, NO_LITERAL, NO_AUTODIFF)
    assert found == [("no-array-literal", 2, "error"), ("no-autodiff", 2, "error")]


def test_the_built_in_sets_rules_judge_a_typical_answer() -> None:
    text = "def jac_relu(x):\n    return jax.jacfwd(f)(x)\n"
    found = check(text, answer(text, RELU), RELU, JAX.rules)
    assert [(f.rule, f.severity) for f in found] == [("no-autodiff", "error")]
