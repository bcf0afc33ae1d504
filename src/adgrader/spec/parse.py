"""Reading a set folder's YAML into the model, every problem located by file and line."""

from __future__ import annotations

import keyword
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from ..errors import Problem, SpecError
from .model import INPUT_NAMES, RULE_NAMES, Input, Puzzle, PuzzleSet, Rule
from .schema import _RawEntry, _RawPuzzle, _RawSet

if TYPE_CHECKING:
    from .yamlpos import LocatedDocument

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def parse_set_dir(folder: Path) -> PuzzleSet:
    """The set in `folder`, read from its YAML; every problem found raises at once."""
    problems: list[Problem] = []
    set_file = folder / "set.yaml"
    raw_set = _convert(set_file, _RawSet, problems)
    if raw_set is None:
        raise SpecError(problems)
    doc = _doc(set_file)
    entries = [e if isinstance(e, _RawEntry) else _RawEntry(id=e) for e in raw_set.puzzles]
    rules = _rules(raw_set, set_file, doc, problems)
    puzzles: list[Puzzle] = []
    seen: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        line = doc.line_of(("puzzles", number - 1))
        if entry.id in seen:
            problems.append(Problem(str(set_file), line, f"puzzle {entry.id!r} is listed twice"))
            continue
        seen.add(entry.id)
        path = folder / f"{entry.id}.yaml"
        if not path.is_file():
            problems.append(
                Problem(str(set_file), line, f"puzzle {entry.id!r} has no file {path.name}")
            )
            continue
        puzzle = _load_puzzle(path, number, entry.score, raw_set.bounds, problems)
        if puzzle is not None:
            puzzles.append(puzzle)
    for path in sorted(folder.glob("*.yaml")):
        if path.name != "set.yaml" and path.stem not in seen:
            problems.append(
                Problem(
                    str(path),
                    None,
                    f"not listed in {set_file.name}; add {path.stem!r} to `puzzles`",
                )
            )
    _check_aliases(puzzles, problems)
    if problems:
        raise SpecError(problems)
    return PuzzleSet(
        id=folder.name,
        title=raw_set.title,
        description=raw_set.description.strip(),
        form=raw_set.form,
        path=str(folder),
        puzzles=tuple(puzzles),
        rules=rules,
    )


# ---------------------------------------------------------------- validation helpers

_DOCS: dict[Path, LocatedDocument] = {}


def _doc(path: Path) -> LocatedDocument:
    from .yamlpos import load_located  # YAML is parsed only when a set is not cached

    if path not in _DOCS:
        _DOCS[path] = load_located(path)
    return _DOCS[path]


def _convert(path: Path, kind: type[Any], problems: list[Problem]) -> Any:
    from yaml import YAMLError

    try:
        doc = _doc(path)
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(str(path), None, f"cannot read: {exc}"))
        return None
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problems.append(Problem(str(path), line, f"not valid YAML: {getattr(exc, 'problem', exc)}"))
        return None
    if not isinstance(doc.data, dict):
        problems.append(Problem(str(path), None, "expected a mapping of fields at the top"))
        return None
    try:
        return msgspec.convert(doc.data, kind)
    except msgspec.ValidationError as exc:
        message, line = doc.locate_error(str(exc))
        problems.append(Problem(str(path), line, message))
        return None


def _rules(
    raw: _RawSet, path: Path, doc: LocatedDocument, problems: list[Problem]
) -> tuple[Rule, ...]:
    rules = []
    for name, value in raw.rules.items():
        if name not in RULE_NAMES:
            problems.append(
                Problem(
                    str(path),
                    doc.line_of(("rules", name)),
                    f"unknown rule {name!r}; rules are: {', '.join(RULE_NAMES)}",
                )
            )
            continue
        if isinstance(value, bool):
            if value:
                problems.append(
                    Problem(
                        str(path),
                        doc.line_of(("rules", name)),
                        f"rule {name!r}: give a severity, off, warn or error (YAML reads "
                        "yes/on/true as a yes-or-no value)",
                    )
                )
                continue
            rules.append(Rule(name, "off"))
        elif isinstance(value, str):
            rules.append(Rule(name, value, 80 if name == "max-columns" else None))
        else:
            limit = (
                value.limit if value.limit is not None else (80 if name == "max-columns" else None)
            )
            rules.append(Rule(name, value.severity, limit))
    return tuple(rules)


def _load_puzzle(
    path: Path,
    number: int,
    score: float,
    default_bounds: tuple[float, float],
    problems: list[Problem],
) -> Puzzle | None:
    raw: _RawPuzzle | None = _convert(path, _RawPuzzle, problems)
    if raw is None:
        return None
    doc = _doc(path)
    before = len(problems)

    def bad(where: tuple[str | int, ...], message: str) -> None:
        problems.append(Problem(str(path), doc.line_of(where), message))

    if raw.id != path.stem:
        bad(("id",), f"id {raw.id!r} must match the file name {path.stem!r}")
    if not _ID.match(raw.id):
        bad(
            ("id",),
            f"id {raw.id!r} must be lower case letters, digits and _, starting with a letter",
        )
    for name, value in raw.dims.items():
        if not _IDENT.match(name):
            bad(("dims", name), f"dim name {name!r} is not a Python identifier")
        if value < 1:
            bad(("dims", name), f"dim {name} must be a positive integer, got {value}")
    for name in raw.inputs:
        if name not in INPUT_NAMES:
            bad(("inputs", name), f"input {name!r} must be named x or y")
    if list(raw.inputs) not in (["x"], ["x", "y"]):
        bad(("inputs",), "inputs must be `x`, or `x` then `y`")

    def shape_of(dims: list[str | int], where: tuple[str | int, ...]) -> tuple[int, ...]:
        shape = []
        for k, d in enumerate(dims):
            if isinstance(d, int):
                if d < 1:
                    bad((*where, k), f"size {d} must be a positive integer")
                shape.append(max(d, 1))
            elif d in raw.dims:
                shape.append(raw.dims[d])
            else:
                bad((*where, k), f"unknown dim {d!r}; declare it under `dims`")
                shape.append(1)
        return tuple(shape)

    def index_of(key: str, dims: list[str | int], fallback: str) -> tuple[str, ...]:
        names = raw.index.get(key)
        if names is None:
            names = [
                d.lower() if isinstance(d, str) else fallback[k % len(fallback)]
                for k, d in enumerate(dims)
            ]
        elif len(names) != len(dims):
            bad(("index", key), f"index for {key} names {len(names)} axes, but it has {len(dims)}")
        for n in names:
            if not _IDENT.match(n) or keyword.iskeyword(n):
                bad(("index", key), f"index name {n!r} is not a Python identifier")
        return tuple(names)

    for key in raw.index:
        if key not in (*raw.inputs, "out"):
            bad(("index", key), f"index names are given for inputs and `out`, not {key!r}")

    inputs = []
    for name, dims in raw.inputs.items():
        if isinstance(raw.bounds, dict):
            bounds = raw.bounds.get(name, default_bounds)
        else:
            bounds = raw.bounds or default_bounds
        if not bounds[0] < bounds[1]:
            bad(("bounds",), f"bounds {list(bounds)} must be [low, high] with low < high")
        inputs.append(
            Input(
                name=name,
                dims=tuple(dims),
                shape=shape_of(dims, ("inputs", name)),
                index=index_of(name, dims, "ijkl" if name == "x" else "jklm"),
                bounds=(float(bounds[0]), float(bounds[1])),
            )
        )
    out_shape = shape_of(raw.output, ("output",))
    out_index = index_of("out", raw.output, "opqr")
    all_index = [n for inp in inputs for n in inp.index]
    if len(set(out_index)) != len(out_index) or set(out_index) & set(all_index):
        bad(("index",), "output index names must differ from each other and from the input's")
    for name, given in raw.givens.items():
        if not _IDENT.match(name):
            bad(("givens", name), f"given name {name!r} is not a Python identifier")
        if name in raw.dims or name in INPUT_NAMES or name in ("f", "np", "math", "jax"):
            bad(("givens", name), f"given {name!r} clashes with a dim, an input or a bound name")
        if isinstance(given, str):
            _check_expression(given, ("givens", name), bad)
    _check_source(raw.f, ("f",), bad)
    _check_expression(raw.index_form, ("index_form",), bad)
    probes = []
    for k, probe in enumerate(raw.probes):
        if set(probe) != set(raw.inputs):
            bad(("probes", k), f"a probe gives a value for each input: {', '.join(raw.inputs)}")
            continue
        probes.append({n: probe[n] for n in raw.inputs})
    for alias in raw.aliases:
        if not _IDENT.match(alias):
            bad(("aliases",), f"alias {alias!r} is not a Python identifier")
    if raw.class_name is not None and not _IDENT.match(raw.class_name):
        bad(("class_name",), f"class_name {raw.class_name!r} is not a Python identifier")
    if len(problems) > before:
        return None
    return Puzzle(
        id=raw.id,
        title=raw.title,
        statement=raw.statement.strip(),
        number=number,
        inputs=tuple(inputs),
        output_dims=tuple(raw.output),
        out_shape=out_shape,
        out_index=out_index,
        dims=dict(raw.dims),
        givens=dict(raw.givens),
        f=raw.f.strip(),
        index_form=raw.index_form.strip(),
        probes=tuple(probes),
        aliases=tuple(raw.aliases),
        score=score,
        source=str(path),
        hints=tuple(h.strip() for h in raw.hints),
        class_name=raw.class_name or "",
    )


def _check_expression(source: str, where: tuple[str | int, ...], bad: Any) -> None:
    try:
        compile(source.strip(), "<spec>", "eval")
    except SyntaxError as exc:
        bad(where, f"not a Python expression: {exc.msg}")


def _check_source(source: str, where: tuple[str | int, ...], bad: Any) -> None:
    text = source.strip()
    mode = "exec" if text.startswith("def ") else "eval"
    try:
        compile(text, "<spec>", mode)
    except SyntaxError as exc:
        bad(where, f"not a Python expression or `def f(...)`: {exc.msg}")


def _check_aliases(puzzles: list[Puzzle], problems: list[Problem]) -> None:
    owners: dict[str, str] = {}
    for p in puzzles:
        for names in p.answer_names().values():
            for n in names:
                if n in owners and owners[n] != p.id:
                    problems.append(
                        Problem(
                            p.source,
                            None,
                            f"answer name {n!r} is also used by puzzle {owners[n]!r}",
                        )
                    )
                owners[n] = p.id
