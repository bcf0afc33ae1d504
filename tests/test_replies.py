"""Taking the answer's code out of a model's reply (adgrader.replies): no grading here."""

from __future__ import annotations

import ast

import pytest

import adgrader
from adgrader.replies import Extraction, blocks, extract, rename_global, split_lines
from adgrader.spec import Puzzle

JAX = adgrader.load_set("jax")
RELU = JAX.get("relu")
RIGHT = "def jac(x):\n    return 1.0 * (x > 0) * (Os == Is)\n"


def fenced(code: str, tag: str = "python", fence: str = "```") -> str:
    return f"{fence}{tag}\n{code}{fence}\n"


def lines_match(reply: str, got: Extraction) -> None:
    """Every line of the code stands on its reply line (after its list indentation), but
    for the name `jac` renamed."""
    rows = split_lines(reply)
    for number, line in enumerate(got.code.splitlines(), start=1):
        at = got.reply_line(number)
        assert at is not None
        original = rows[at - 1].strip()
        assert line.strip().replace("jac_relu", "jac") == original.replace("jac_relu", "jac")


def test_prose_only_is_missing() -> None:
    got = extract("The Jacobian of relu is diagonal: 1 where x > 0, else 0.", RELU)
    assert got.status == "missing"
    assert got.code == ""
    assert got.message.startswith("the reply has no Python code block: define jac_relu(x)")


@pytest.mark.parametrize("reply", ["", "   \n\n  \t\n"])
def test_empty_reply_is_missing(reply: str) -> None:
    got = extract(reply, RELU)
    assert got.status == "missing"
    assert "the reply is empty, so it has no Python code block" in got.message


def test_notebook_jac_is_renamed_on_the_same_lines() -> None:
    reply = "Here is my answer:\n\n" + fenced(RIGHT) + "\nIt is diagonal.\n"
    got = extract(reply, RELU)
    assert got.ok and got.block == 1 and got.name == "jac"
    assert got.code.startswith("def jac_relu(x):\n")
    assert got.offset == 3  # the fence stands on line 3, the code starts on line 4
    assert got.reply_line(1) == 4
    assert "jac renamed jac_relu" in got.note
    lines_match(reply, got)


def test_own_name_is_kept_as_written() -> None:
    code = "def jac_relu(x):\n    return 1.0 * (x > 0) * (Os == Is)\n"
    got = extract(fenced(code), RELU)
    assert got.ok and got.name == "jac_relu" and got.code == code
    assert got.note == ""


@pytest.mark.parametrize(
    ("puzzle", "code", "name"),
    [
        ("relu", "def fb_relu(x):\n    pass\n", "fb_relu"),
        ("running_mean", "def fb_running(x):\n    pass\n", "fb_running"),
        ("relu", "class Relu:\n    pass\n", "Relu"),
        ("relu", "def vjp_relu(x, g):\n    return g\n", "vjp_relu"),
        ("relu", "jac = lambda x: 1.0 * (x > 0) * (Os == Is)\n", "jac"),
        ("conv1d", "jac_conv1d: object = None\n", "jac_conv1d"),
    ],
)
def test_every_answer_name_is_accepted(puzzle: str, code: str, name: str) -> None:
    got = extract(fenced(code), JAX.get(puzzle))
    assert got.ok and got.name == name


def test_jac_is_left_alone_next_to_the_own_name() -> None:
    code = "def jac(x):\n    return 0\n\n\ndef jac_relu(x):\n    return jac(x)\n"
    got = extract(fenced(code), RELU)
    assert got.ok and got.name == "jac_relu" and got.code == code
    assert "jac is not graded: the block also defines jac_relu" in got.note


def test_first_block_that_defines_the_answer_wins() -> None:
    usage = "x = np.arange(10.0)\nprint(f(x))\n"
    wrong = "def jac(x):\n    return np.zeros((10, 10))\n"
    reply = "Try:\n" + fenced(usage) + "Answer:\n" + fenced(RIGHT) + "Or:\n" + fenced(wrong)
    got = extract(reply, RELU)
    assert got.ok and got.block == 2
    assert "(x > 0)" in got.code
    assert "took code block 2 of 3 (reply lines 8-9); block 1 defines no answer" in got.note
    lines_match(reply, got)


def test_answer_in_a_wrong_first_block_is_graded_not_the_second() -> None:
    wrong = "def jac(x):\n    return np.zeros((10, 10))\n"
    got = extract(fenced(wrong) + "\nBetter:\n" + fenced(RIGHT), RELU)
    assert got.block == 1 and "np.zeros" in got.code


def test_unterminated_fence_runs_to_the_end() -> None:
    reply = "Answer:\n```python\n" + RIGHT.rstrip("\n")
    got = extract(reply, RELU)
    assert got.ok and got.block == 1
    assert "no closing fence" in got.note
    assert blocks(reply)[0].end is None
    lines_match(reply, got)


def test_tilde_fences_and_longer_fences() -> None:
    got = extract(fenced(RIGHT, fence="~~~"), RELU)
    assert got.ok and got.code.startswith("def jac_relu(x):")
    inner = "````python\n" + RIGHT + "# a ``` inside\n````\n"
    got = extract(inner, RELU)
    assert got.ok and "# a ``` inside" in got.code


def test_crlf_reply() -> None:
    reply = ("Answer:\n\n" + fenced(RIGHT) + "Done.\n").replace("\n", "\r\n")
    got = extract(reply, RELU)
    assert got.ok and "\r" not in got.code
    assert got.reply_line(1) == 4
    lines_match(reply, got)


def test_block_inside_a_list_item() -> None:
    reply = (
        "Steps:\n\n"
        "1. The slope is 1 for positive x.\n"
        "2. So the answer is:\n\n"
        "   ```python\n"
        "   def jac(x):\n"
        "       return 1.0 * (x > 0) * (Os == Is)\n"
        "   ```\n"
    )
    got = extract(reply, RELU)
    assert got.ok
    assert got.code.split("\n")[:2] == [
        "def jac_relu(x):",
        "    return 1.0 * (x > 0) * (Os == Is)",
    ]
    lines_match(reply, got)
    marker = "- ```py\n  def jac(x):\n      return 0 * x\n  ```\n"
    assert extract(marker, RELU).code.startswith("def jac_relu(x):\n    return")


def test_block_that_does_not_parse_says_where() -> None:
    reply = "Answer:\n\n```python\ndef jac(x):\n    return (x > 0 * (Os == Is)\n```\n"
    got = extract(reply, RELU)
    assert got.status == "error" and got.block == 1
    assert got.message.startswith("code block 1 does not parse (")
    assert ", line 2 of the block, reply line 5)" in got.message
    assert got.message.endswith("fix it so that it runs as Python")
    assert got.line is not None and 4 <= got.line <= 6


def test_broken_block_then_a_good_one() -> None:
    broken = "def jac(x)\n    return 0\n"
    got = extract(fenced(broken) + fenced(RIGHT), RELU)
    assert got.ok and got.block == 2
    assert "block 1 does not parse" in got.note


def test_bare_fence_counts_only_when_it_is_python() -> None:
    assert extract(fenced(RIGHT, tag=""), RELU).ok
    shell = fenced("$ pip install jax\nSuccessfully installed jax\n", tag="")
    assert extract(shell, RELU).message.startswith("the reply has no Python code block")


def test_other_languages_are_named() -> None:
    got = extract(fenced("echo hi\n", tag="bash"), RELU)
    assert got.status == "missing"
    assert "no Python code block (only bash)" in got.message


def test_code_without_an_answer_says_what_it_defines() -> None:
    got = extract(fenced("def jac_neg(x):\n    return -np.eye(10)\n"), RELU)
    assert got.status == "missing"
    assert got.message.startswith("the reply's code defines no answer to relu (it defines jac_neg)")
    assert "define jac_relu(x) (or jac(x))" in got.message
    assert got.line == 2
    two = extract(fenced("x = 1\n") + fenced("def helper(x):\n    return x\n"), RELU)
    assert "none of the reply's 2 code blocks defines an answer to relu" in two.message
    assert "(it defines x, helper)" in two.message


def test_missing_message_follows_the_sets_form() -> None:
    classic = adgrader.load_set("classic").get("relu")
    assert "define fb_relu(x)" in extract("no code", classic, form="dx").message


def test_think_section_is_skipped() -> None:
    reply = "<think>\n" + fenced("def jac(x):\n    return 0\n") + "</think>\nNo idea.\n"
    got = extract(reply, RELU)
    assert got.status == "missing" and "after </think>" in got.message
    reply = "<think>\ndraft\n</think>\n" + fenced(RIGHT)
    got = extract(reply, RELU)
    assert got.ok and got.reply_line(1) == 5
    lines_match(reply, got)
    assert extract("<think>\n" + fenced(RIGHT) + "</think>", RELU, think=False).ok


def test_too_long_reply_is_an_error() -> None:
    got = extract("x" * 101, RELU, max_chars=100)
    assert got.status == "error" and "too long" in got.message


def test_info_string_with_a_backtick_is_no_fence() -> None:
    assert blocks("Use ```python``` blocks, like this.\n") == []


# ---------------------------------------------------------------- renaming


def _renamed(code: str) -> str:
    out = rename_global(code, ast.parse(code), "jac", "jac_relu")
    assert out is not None
    return out


def test_rename_follows_references_to_the_module_name() -> None:
    code = (
        "def jac(x):\n"
        "    return jac.__name__ and 1.0 * (x > 0) * (Os == Is)\n"
        "\n"
        "J = jac(np.ones(10)); print(jac)\n"
        "check(jac)\n"
        "g = lambda x: jac(x)\n"
        "h = [jac(v) for v in range(2)]\n"
    )
    out = _renamed(code)
    assert "jac(" not in out.replace("jac_relu(", "")
    assert out.count("jac_relu") == 7
    assert len(out.split("\n")) == len(code.split("\n"))


def test_rename_leaves_locals_and_parameters_alone() -> None:
    code = (
        "def jac(x):\n"
        "    return x\n"
        "def helper(jac):\n"
        "    return jac + 1\n"
        "def other(x):\n"
        "    jac = 2\n"
        "    return jac\n"
        "k = lambda jac: jac\n"
        "m = [jac for jac in range(3)]\n"
        "class C:\n"
        "    jac = 3\n"
        "    y = jac\n"
        "    def method(self):\n"
        "        return jac(1)\n"
        "def g():\n"
        "    global jac\n"
        "    jac = jac\n"
        "obj.jac = 1\n"
        "s = 'jac'\n"
    )
    out = _renamed(code).split("\n")
    assert out[0] == "def jac_relu(x):"
    assert out[2:9] == code.split("\n")[2:9]  # parameter, local, lambda, comprehension
    assert out[10:12] == ["    jac = 3", "    y = jac"]  # the class's own name
    assert out[13] == "        return jac_relu(1)"  # methods see the module's
    assert out[15:17] == ["    global jac_relu", "    jac_relu = jac_relu"]
    assert out[17:19] == ["obj.jac = 1", "s = 'jac'"]


def test_rename_counts_bytes_not_characters() -> None:
    code = 'é = "ü"; jac = lambda x: x\nprint("ö", jac)\n'
    assert _renamed(code) == 'é = "ü"; jac_relu = lambda x: x\nprint("ö", jac_relu)\n'


def test_extraction_is_typed_and_frozen() -> None:
    got = extract(fenced(RIGHT), RELU)
    with pytest.raises(AttributeError):
        got.code = ""  # type: ignore[misc]
    assert isinstance(RELU, Puzzle)
    assert got.reply_line(None) is None
