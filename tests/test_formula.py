"""Formulas made plain (spec/formula.py): LaTeX in `$...$` becomes text a terminal shows."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adgrader.spec import available_sets, load_set
from adgrader.spec.formula import plain_math


@pytest.mark.parametrize(
    ("latex", "plain"),
    [
        (r"$f(x)_o = \max(x_o, 0)$", "`f(x)[o] = max(x[o], 0)`"),
        (r"$x_{o + 1}$", "`x[o + 1]`"),
        (r"$x_{i_{j}}$", "`x[i[j]]`"),
        (r"$e^{x_i}$", "`e^(x[i])`"),
        (r"$\frac{1}{KH \cdot KW}$", "`1/(KH · KW)`"),
        (r"$\dfrac{a+b}{2}$", "`(a+b)/2`"),
        (r"$\frac{\partial f}{\partial x}$", "`(∂ f)/(∂ x)`"),
        (r"$\sum_{a, b} x_{a, b}$", "`Σ[a, b] x[a, b]`"),
        (r"$$\text{if } x \le y$$", "`if x ≤ y`"),
        (r"$\left( \alpha \right)$", "`( α )`"),  # noqa: RUF001
        (r"$\{0, 1\}$", "`{0, 1}`"),
        (r"$\operatorname{sort}(x)$", "`sort(x)`"),
        (r"$a \ne b \ge c \times d$", "`a ≠ b ≥ c × d`"),
    ],
)
def test_latex_becomes_plain_text(latex: str, plain: str) -> None:
    assert plain_math(latex) == plain


def test_only_the_formulas_change_and_each_is_quoted() -> None:
    text = r"Returns $\max(x_o, 0)$ for each $o$: the **ReLU**."
    assert plain_math(text) == "Returns `max(x[o], 0)` for each `o`: the **ReLU**."


def test_runs_of_blanks_inside_a_formula_become_one() -> None:
    assert plain_math("$a  \\quad\n b$") == "`a b`"


@given(st.text(alphabet=st.characters(blacklist_characters="$")))
def test_text_without_a_formula_is_left_as_it_is(text: str) -> None:
    assert plain_math(text) == text


@pytest.mark.parametrize("set_name", available_sets())
def test_no_statement_of_a_built_in_set_keeps_latex(set_name: str) -> None:
    for puzzle in load_set(set_name).puzzles:
        plain = plain_math(puzzle.statement)
        assert "$" not in plain and "\\frac" not in plain and "\\sum" not in plain, puzzle.id
