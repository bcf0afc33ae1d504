"""Puzzle sets: the YAML spec model, loading with located validation errors, and lookup.

A set is a folder holding `set.yaml` (order, rules, defaults) and one `<id>.yaml` per
puzzle. Loading never imports jax: shapes come from the declared dims alone.
"""

from __future__ import annotations

import keyword
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import msgspec

from .errors import Problem, SpecError, UsageError

if TYPE_CHECKING:
    from .yamlpos import LocatedDocument

Severity = Literal["off", "warn", "error"]
Form = Literal["jac", "dx", "backward"]
FORMS: tuple[Form, ...] = ("jac", "dx", "backward")
INPUT_NAMES = ("x", "y")
DEFAULT_SET = "jax"
SPEC_CACHE_FORMAT = 3  # bump when the resolved model changes
# A backward answer is called with every one-hot upstream gradient, to rebuild the
# whole Jacobian, when the output has at most this many entries.
REBUILD_LIMIT = 4096
RULE_NAMES = ("one-line", "max-columns", "no-autodiff", "no-array-literal")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


# ---------------------------------------------------------------- raw YAML shapes


class _RawRule(msgspec.Struct, forbid_unknown_fields=True):
    severity: Severity
    limit: int | None = None


class _RawEntry(msgspec.Struct, forbid_unknown_fields=True):
    id: str
    score: float = 1.0


class _RawSet(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    id: str
    title: str
    description: str = ""
    form: Form = "jac"
    bounds: tuple[float, float] = (-0.5, 0.5)
    puzzles: list[str | _RawEntry]
    rules: dict[str, Severity | bool | _RawRule] = {}  # YAML reads a bare `off` as false


class _RawPuzzle(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    id: str
    title: str
    statement: str
    dims: dict[str, int] = {}
    inputs: dict[str, list[str | int]]
    output: list[str | int]
    index: dict[str, list[str]] = {}
    givens: dict[str, str | int | float] = {}
    f: str
    index_form: str
    bounds: tuple[float, float] | dict[str, tuple[float, float]] | None = None
    probes: list[dict[str, Any]] = []
    aliases: list[str] = []
    class_name: str | None = None
    hints: list[str] = []


# ---------------------------------------------------------------- resolved model


@dataclass(frozen=True)
class Input:
    """One argument of a puzzle's `f`: its name, dims, concrete shape and index names."""

    name: str
    dims: tuple[str | int, ...]
    shape: tuple[int, ...]
    index: tuple[str, ...]
    bounds: tuple[float, float]

    @property
    def size(self) -> int:
        return math.prod(self.shape)


@dataclass(frozen=True)
class Puzzle:
    """One puzzle: the function, its shapes and givens, and how to sample it."""

    id: str
    title: str
    statement: str
    number: int
    inputs: tuple[Input, ...]
    output_dims: tuple[str | int, ...]
    out_shape: tuple[int, ...]
    out_index: tuple[str, ...]
    dims: dict[str, int]
    givens: dict[str, str | int | float]
    f: str
    index_form: str
    probes: tuple[dict[str, Any], ...]  # a value per input: a number or nested lists
    aliases: tuple[str, ...]
    score: float
    source: str
    hints: tuple[str, ...] = ()
    class_name: str = ""  # the `backward` form's class; "" means the id in CamelCase

    def jac_shape(self, wrt: str) -> tuple[int, ...]:
        """Shape of the Jacobian with respect to input `wrt`: output shape + input shape."""
        return self.out_shape + self.input(wrt).shape

    def jac_dims(self, wrt: str) -> tuple[str | int, ...]:
        return self.output_dims + self.input(wrt).dims

    def input(self, name: str) -> Input:
        for inp in self.inputs:
            if inp.name == name:
                return inp
        raise KeyError(name)

    @property
    def arg_names(self) -> tuple[str, ...]:
        return tuple(inp.name for inp in self.inputs)

    @property
    def out_size(self) -> int:
        return math.prod(self.out_shape)

    @property
    def rebuilds_jacobian(self) -> bool:
        """Whether a backward answer's whole Jacobian is rebuilt from one-hot `g`s."""
        return self.out_size <= REBUILD_LIMIT

    @property
    def scalar(self) -> bool:
        """Whether every input and the output is a single number (a 0-d array)."""
        return self.out_shape == () and all(i.shape == () for i in self.inputs)

    @property
    def backward_class(self) -> str:
        """The class a `backward` answer defines: `class_name`, else `sigmoid` -> `Sigmoid`."""
        return self.class_name or "".join(part.title() for part in self.id.split("_"))

    def answer_names(self) -> dict[str, tuple[str, ...]]:
        """Names a submission may define for this puzzle, per form."""
        return {
            "jac": (f"jac_{self.id}",),
            "dx": (f"fb_{self.id}", *self.aliases),
            "backward": (self.backward_class, f"vjp_{self.id}"),
        }

    def missing_message(self, prefer: str) -> str:
        """What to define when a submission has no answer, the set's own form first."""
        names = {
            "jac": f"def jac_{self.id}({', '.join(self.arg_names)})",
            "dx": f"def fb_{self.id}({', '.join(self.arg_names)})",
            "backward": f"class {self.backward_class} (forward and backward) "
            f"or def vjp_{self.id}({', '.join((*self.arg_names, 'g'))})",
        }
        return f"no answer: define {names[prefer]}"


@dataclass(frozen=True)
class Rule:
    """One rule of a set with its severity (and, for `max-columns`, the limit)."""

    name: str
    severity: Severity
    limit: int | None = None


@dataclass(frozen=True)
class PuzzleSet:
    """An ordered list of puzzles sharing rules and defaults."""

    id: str
    title: str
    description: str
    form: Form
    path: str
    puzzles: tuple[Puzzle, ...]
    rules: tuple[Rule, ...] = field(default_factory=tuple)

    def get(self, puzzle_id: str) -> Puzzle:
        for p in self.puzzles:
            if p.id == puzzle_id:
                return p
        known = ", ".join(p.id for p in self.puzzles)
        raise UsageError(f"no puzzle {puzzle_id!r} in set {self.id!r}; its puzzles are: {known}")

    def select(self, ids: Sequence[str]) -> tuple[Puzzle, ...]:
        """The puzzles named by `ids` in set order (all of them when `ids` is empty)."""
        if not ids:
            return self.puzzles
        wanted = {self.get(i).id for i in ids}
        return tuple(p for p in self.puzzles if p.id in wanted)

    @property
    def max_score(self) -> float:
        return sum(p.score for p in self.puzzles)


# ---------------------------------------------------------------- where sets live


def builtin_dir() -> Path:
    """The folder of the built-in sets: inside the installed package, else the source tree."""
    packaged = Path(__file__).parent / "puzzles"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "puzzles"


def puzzles_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The folder to load sets from: `override`, then $ADGRADER_PUZZLES, then the built-ins."""
    chosen = override or os.environ.get("ADGRADER_PUZZLES") or None
    if chosen is None:
        return builtin_dir()
    path = Path(chosen)
    if not path.is_dir():
        raise UsageError(f"puzzle folder {str(path)!r} does not exist or is not a folder")
    return path


def set_dirs(root: Path) -> dict[str, Path]:
    """Map set id (folder name) to folder; `root` may itself be one set folder."""
    if (root / "set.yaml").is_file():
        return {root.name: root}
    return {d.name: d for d in sorted(root.iterdir()) if (d / "set.yaml").is_file()}


def available_sets(override: str | os.PathLike[str] | None = None) -> list[str]:
    """Set ids in the folder, the default set (`jax`) first."""
    return sorted(set_dirs(puzzles_dir(override)), key=lambda name: (name != DEFAULT_SET, name))


def load_set(name: str | None = None, override: str | os.PathLike[str] | None = None) -> PuzzleSet:
    """Load and validate one set; `name` None means the only set, or `jax` among several."""
    root = puzzles_dir(override)
    dirs = set_dirs(root)
    if not dirs:
        raise UsageError(f"no puzzle sets in {str(root)!r} (a set folder holds a set.yaml)")
    if name is None:
        name = DEFAULT_SET if DEFAULT_SET in dirs else next(iter(dirs))
    if name not in dirs:
        raise UsageError(f"no puzzle set {name!r}; the sets are: {', '.join(dirs)}")
    return load_set_dir(dirs[name])


def load_set_dir(folder: Path) -> PuzzleSet:
    """Load a set folder, reporting every problem at once (file and line) as a SpecError.

    A valid set is also kept, as msgpack, in the user's cache folder under a name made
    from every file's path, size and modification time: an unchanged folder loads
    without parsing YAML again, and any edit is seen at once.
    """
    from . import caches

    stamp = _stamp(folder)
    cached = caches.spec_path(stamp) if stamp else None
    if cached is not None:
        try:
            return msgspec.msgpack.decode(cached.read_bytes(), type=PuzzleSet)
        except (OSError, msgspec.DecodeError, msgspec.ValidationError):
            pass
    pset = _load_set_dir(folder)
    if cached is not None:
        caches.write_atomically(cached, msgspec.msgpack.encode(pset))
    return pset


def _stamp(folder: Path) -> str | None:
    try:
        files = sorted(folder.glob("*.yaml"))
        parts = [(str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns) for p in files]
    except OSError:
        return None
    return repr((SPEC_CACHE_FORMAT, parts))


def _load_set_dir(folder: Path) -> PuzzleSet:
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


def form_order(prefer: str) -> tuple[str, ...]:
    """The forms to look for an answer in: the set's own first, then the others."""
    return (prefer, *(f for f in FORMS if f != prefer))


def shape_text(dims: Sequence[str | int], shape: Sequence[int]) -> str:
    """`(O, I) = (8, 10)` when dims are named, else `(8, 10)`."""

    def tup(items: Sequence[object]) -> str:
        inner = ", ".join(str(i) for i in items)
        return f"({inner},)" if len(items) == 1 else f"({inner})"

    if any(isinstance(d, str) for d in dims):
        return f"{tup(dims)} = {tup(shape)}"
    return tup(shape)
