"""Reading a set folder's YAML into the model, every problem located by file and line.

The files are read once, as bytes (which the spec cache hashes), and everything is
parsed from those bytes: no copy of a document outlives the reading, so an edited
file is always read afresh.
"""

from __future__ import annotations

import difflib
import keyword
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from ..errors import Problem, SpecError
from .load import read_files
from .model import INPUT_NAMES, RULE_NAMES, Input, Puzzle, PuzzleSet, Rule, rule_name
from .schema import Where, _RawEntry, _RawPuzzle, _RawSet, problems_in

if TYPE_CHECKING:
    from .yamlpos import LocatedDocument

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_DEFAULT_BOUNDS = (-0.5, 0.5)

Files = Mapping[str, bytes | OSError]  # a set folder's YAML files by name, as read


@dataclass
class Reading:
    """What a set folder holds: the set with every puzzle that is valid, every problem
    found, and each document read (by file), to locate later problems in."""

    pset: PuzzleSet
    problems: list[Problem] = field(default_factory=list)
    docs: dict[str, LocatedDocument] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def parse_set_dir(folder: Path, files: Files | None = None) -> PuzzleSet:
    """The set in `folder`, read from its YAML; every problem found raises at once."""
    reading = read_set(folder, files)
    if reading.problems:
        raise SpecError(reading.problems)
    return reading.pset


def read_set(folder: Path, files: Files | None = None) -> Reading:
    """Read the set in `folder` (from `files`, its YAML as read, when given).

    Every puzzle is read even when others are not valid; when `set.yaml` itself is not,
    every other `*.yaml` of the folder is read as a puzzle, so that all of its problems
    are found in one pass.
    """
    files = read_files(folder) if files is None else files
    reading = Reading(PuzzleSet(folder.name, "", "", "jac", str(folder), ()))
    problems = reading.problems
    set_file = folder / "set.yaml"
    raw_set = _convert(set_file, files, _RawSet, reading)
    if raw_set is None:
        entries = [_RawEntry(id=Path(n).stem) for n in files if n != "set.yaml"]
        listed = False
        bounds: tuple[float, float] = _DEFAULT_BOUNDS
        rules: tuple[Rule, ...] = ()
    else:
        entries = [e if isinstance(e, _RawEntry) else _RawEntry(id=e) for e in raw_set.puzzles]
        listed = True
        bounds = raw_set.bounds
        rules = _rules(raw_set, set_file, reading.docs[str(set_file)], problems)
    puzzles: list[Puzzle] = []
    seen: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        line = reading.docs[str(set_file)].line_of(("puzzles", number - 1)) if listed else None
        if entry.id in seen:
            problems.append(Problem(str(set_file), line, f"puzzle {entry.id!r} is listed twice"))
            continue
        seen.add(entry.id)
        path = folder / f"{entry.id}.yaml"
        if path.name not in files or path.parent != folder:
            problems.append(
                Problem(str(set_file), line, f"puzzle {entry.id!r} has no file {path.name}")
            )
            continue
        puzzle = _load_puzzle(path, files, number, entry.score, bounds, reading)
        if puzzle is not None:
            puzzles.append(puzzle)
    for name in files if listed else ():
        if name != "set.yaml" and Path(name).stem not in seen:
            where: Where = ("puzzles",)
            problems.append(
                Problem(
                    str(set_file),
                    reading.docs[str(set_file)].line_of(where),
                    f"{name} is not listed; add {Path(name).stem!r} to `puzzles` "
                    "or remove the file",
                    where,
                )
            )
    _check_aliases(puzzles, reading)
    reading.pset = PuzzleSet(
        id=folder.name,
        title=raw_set.title if raw_set else "",
        description=raw_set.description.strip() if raw_set else "",
        form=raw_set.form if raw_set else "jac",
        path=str(folder),
        puzzles=tuple(puzzles),
        rules=rules,
    )
    return reading


# ---------------------------------------------------------------- validation helpers


def _convert(path: Path, files: Files, kind: type[Any], reading: Reading) -> Any:
    """The file's contents as `kind`, or None with every problem of its schema found."""
    from yaml import YAMLError

    from .yamlpos import parse_located  # YAML is parsed only when a set is not cached

    def bad(line: int | None, message: str) -> None:
        reading.problems.append(Problem(str(path), line, message))

    data = files.get(path.name)
    if data is None:
        bad(None, "missing: a set folder holds a set.yaml")
        return None
    if isinstance(data, OSError):
        bad(None, f"cannot read: {data.strerror or data}")
        return None
    try:
        doc = parse_located(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        bad(None, f"not UTF-8 text (byte {exc.start}); save it as UTF-8")
        return None
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        bad(mark.line + 1 if mark is not None else None, f"not valid YAML: {_yaml_problem(exc)}")
        return None
    reading.docs[str(path)] = doc
    if not isinstance(doc.data, dict):
        bad(1 if doc.root is not None else None, "expected a mapping of fields at the top")
        return None
    found = problems_in(doc.data, kind)
    for where, message in found:
        bad(doc.line_of(where), message)
    if found:
        return None
    return msgspec.convert(doc.data, kind)


def _yaml_problem(exc: Exception) -> str:
    return str(getattr(exc, "problem", None) or exc)


def _rules(
    raw: _RawSet, path: Path, doc: LocatedDocument, problems: list[Problem]
) -> tuple[Rule, ...]:
    rules = []
    for text, value in raw.rules.items():
        where: Where = ("rules", text)
        name = rule_name(text)
        if name is None:
            close = difflib.get_close_matches(text, RULE_NAMES, 1)
            hint = f"did you mean {close[0]!r}?" if close else f"rules are: {', '.join(RULE_NAMES)}"
            problems.append(
                Problem(str(path), doc.line_of(where), f"unknown rule {text!r}; {hint}", where)
            )
            continue
        if isinstance(value, bool):
            if value:
                problems.append(
                    Problem(
                        str(path),
                        doc.line_of(where),
                        f"rule {name!r}: give a severity, off, warn or error (YAML reads "
                        "yes/on/true as a yes-or-no value)",
                        where,
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
    files: Files,
    number: int,
    score: float,
    default_bounds: tuple[float, float],
    reading: Reading,
) -> Puzzle | None:
    raw: _RawPuzzle | None = _convert(path, files, _RawPuzzle, reading)
    if raw is None:
        return None
    doc = reading.docs[str(path)]
    problems = reading.problems
    before = len(problems)

    def bad(where: Where, message: str) -> None:
        problems.append(Problem(str(path), doc.line_of(where), message, where))

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

    def shape_of(dims: list[str | int], where: Where) -> tuple[int, ...]:
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
        bad(
            ("index",) if raw.index else ("output",),
            "output index names must differ from each other and from the inputs': "
            "give them under `index`",
        )
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


def _check_expression(source: str, where: Where, bad: Any) -> None:
    try:
        compile(source.strip(), "<spec>", "eval")
    except SyntaxError as exc:
        bad(where, f"not a Python expression: {exc.msg}")


def _check_source(source: str, where: Where, bad: Any) -> None:
    text = source.strip()
    mode = "exec" if text.startswith("def ") else "eval"
    try:
        compile(text, "<spec>", mode)
    except SyntaxError as exc:
        bad(where, f"not a Python expression or `def f(...)`: {exc.msg}")


def _check_aliases(puzzles: list[Puzzle], reading: Reading) -> None:
    owners: dict[str, str] = {}
    for p in puzzles:
        for names in p.answer_names().values():
            for n in names:
                if n in owners and owners[n] != p.id:
                    where: Where = ("aliases", p.aliases.index(n)) if n in p.aliases else ("id",)
                    reading.problems.append(
                        Problem(
                            p.source,
                            reading.docs[p.source].line_of(where),
                            f"answer name {n!r} is also used by puzzle {owners[n]!r}",
                            where,
                        )
                    )
                owners[n] = p.id
