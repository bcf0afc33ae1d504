"""Formulas written in LaTeX (`$f(x)_o = \\max(x_o, 0)$`), made readable as plain text."""

from __future__ import annotations

import re

_SYMBOLS = {
    r"\sum": "Σ",
    r"\prod": "Π",
    r"\cdot": "·",
    r"\times": "×",
    r"\le": "≤",
    r"\ge": "≥",
    r"\ne": "≠",
    r"\in": "∈",
    r"\partial": "∂",
    r"\lfloor": "⌊",
    r"\rfloor": "⌋",
    r"\bmod": "mod",
    r"\ldots": "…",
    r"\dots": "…",
    r"\infty": "∞",
    r"\to": "→",
    r"\max": "max",
    r"\min": "min",
    r"\exp": "exp",
    r"\log": "log",
    r"\cos": "cos",
    r"\sin": "sin",
    r"\tanh": "tanh",
    r"\top": "ᵀ",
    r"\{": "{",
    r"\}": "}",
    r"\,": " ",
    r"\;": " ",
    r"\quad": "  ",
    r"\left": "",
    r"\right": "",
    r"\bigl": "",
    r"\bigr": "",
    r"\big": "",
    r"\Big": "",
    r"\ell": "ℓ",  # noqa: RUF001
    r"\mathbb{1}": "1",
    r"\alpha": "α",  # noqa: RUF001
    r"\beta": "β",
    r"\gamma": "γ",  # noqa: RUF001
    r"\delta": "δ",
    r"\epsilon": "ε",
    r"\lambda": "λ",
    r"\mu": "μ",
    r"\pi": "π",
    r"\sigma": "σ",  # noqa: RUF001
    r"\tau": "τ",
    r"\theta": "θ",
}


def _fraction(match: re.Match[str]) -> str:
    def part(t: str) -> str:
        t = t.strip()
        return t if re.fullmatch(r"[\w.]+", t) else f"({t})"

    return f"{part(match.group(1))}/{part(match.group(2))}"


def plain_math(text: str) -> str:
    """Markdown with `$...$` formulas turned into plain text a terminal shows as is."""

    def formula(match: re.Match[str]) -> str:
        body = match.group(1).replace(r"\{", "\x01").replace(r"\}", "\x02")
        for _ in range(3):  # innermost braces first: x_{o + 1} -> x[o + 1], then fractions
            body = re.sub(r"_\{([^{}]*)\}", r"[\1]", body)
            body = re.sub(r"\^\{([^{}]*)\}", r"^(\1)", body)
            body = re.sub(r"\\[dt]?frac\{([^{}]*)\}\{([^{}]*)\}", _fraction, body)
        body = re.sub(r"\\(?:text|mathrm|operatorname)\{([^{}]*)\}", r"\1", body)
        for latex, plain in sorted(_SYMBOLS.items(), key=lambda kv: -len(kv[0])):
            body = body.replace(latex, plain)
        body = body.replace("\\ ", " ")
        body = re.sub(r"_([A-Za-z0-9])", r"[\1]", body)
        body = body.replace("{", "").replace("}", "").replace("\x01", "{").replace("\x02", "}")
        return f"`{' '.join(body.split())}`"

    return re.sub(r"\$\$?([^$]+)\$\$?", formula, text)
