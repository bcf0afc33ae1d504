"""Protections the answer process puts up in Python before it runs a submission.

Resource limits bound memory, CPU time and file size; an audit hook refuses new
processes, network use, signals to other processes and writes outside the answer
process's folder, with messages a learner understands; jax's differentiation is
refused while answers run (the `no-autodiff` rule enforced at run time, however the
answer reaches it); and the `f` answers see gives no derivatives at all (`opaque`).

These are Python-level guards: code in the same process can get around them (ctypes,
or `gc` reaching a class's dictionary). The kernel's jail (`jail`) is what holds the
line where the machine has one; these guards give clear messages, `opaque` makes sure
that differentiating the given `f` can never produce a passing answer, and where
autodiff is forbidden jax's differentiation rules themselves are taken out of the
answer process, so that an answer that beats the trace guards (a subclass of the
trace rebound in jax's `ad` module, or the guard taken off through the class's
dictionary) still finds no rule to differentiate its own copy of `f` with.
"""

from __future__ import annotations

import os
import resource
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

PROCESS_EVENTS = frozenset(
    {
        "os.system",
        "os.exec",
        "os.posix_spawn",
        "os.spawn",
        "os.fork",
        "os.forkpty",
        "subprocess.Popen",
        "os.startfile",
    }
)
NETWORK_EVENTS = frozenset({"socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg"})
PATH_EVENTS = {  # event -> positions of path arguments that must stay inside allowed folders
    "os.remove": (0,),
    "os.rename": (0, 1),
    "os.rmdir": (0,),
    "os.mkdir": (0,),
    "os.chmod": (0,),
    "os.chown": (0,),
    "os.truncate": (0,),
    "os.symlink": (1,),
    "os.link": (1,),
    "os.utime": (0,),
    "shutil.rmtree": (0,),
    "shutil.move": (0, 1),
    "shutil.copyfile": (1,),
}
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


class Refused(PermissionError):
    """An answer tried something the answer process does not allow."""


class AutodiffUsed(Exception):
    """An answer reached jax's differentiation; the `no-autodiff` rule forbids it."""


def limit_resources(memory_bytes: int, cpu_seconds: int, file_bytes: int) -> None:
    """Hard limits that the submission cannot raise again (no core files either).

    Memory is bounded by data size rather than address space: jax reserves far more
    virtual memory than it uses.
    """
    for kind, value in (
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_FSIZE, file_bytes),
        (resource.RLIMIT_CPU, cpu_seconds),
        (resource.RLIMIT_DATA, memory_bytes),
    ):
        _, hard = resource.getrlimit(kind)
        target = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(kind, (target, target))


def _inside(path: Any, folders: tuple[str, ...]) -> bool:
    if isinstance(path, int):
        return True  # an already open descriptor
    try:
        real = os.path.realpath(os.fsdecode(path))
    except (TypeError, ValueError):
        return False
    return any(real == f or real.startswith(f + os.sep) for f in folders)


def install_audit_hook(writable: Iterable[Path]) -> None:
    """Refuse processes, network, foreign signals and writes outside `writable` folders."""
    folders = tuple(os.path.realpath(str(p)) for p in writable)
    me = os.getpid()

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event in PROCESS_EVENTS:
            raise Refused("answers may not start other processes")
        if event in NETWORK_EVENTS:
            raise Refused("answers may not use the network")
        if event in ("os.kill", "os.killpg", "signal.pthread_kill"):
            if event != "signal.pthread_kill" and args and args[0] not in (me, 0):
                raise Refused("answers may not send signals to other processes")
            return
        if event == "open" and len(args) >= 3:
            path, mode, flags = args[0], args[1], args[2]
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & WRITE_FLAGS
            )
            if writing and not _inside(path, folders):
                raise Refused(f"answers may not write outside their own folder ({path})")
            return
        positions = PATH_EVENTS.get(event)
        if positions:
            for k in positions:
                if k < len(args) and args[k] is not None and not _inside(args[k], folders):
                    raise Refused(
                        f"answers may not change files outside their own folder ({args[k]})"
                    )

    sys.addaudithook(hook)


class AutodiffMonitor:
    """Refuses jax's forward and reverse differentiation and notes each attempt.

    Every jax transformation that differentiates (grad, jacfwd, jacrev, jvp, vjp,
    linearize, hessian, ..., and `jax.experimental.jet`) builds a JVP, linearize or
    jet trace, so the trace classes are the door to guard: `getattr(jax, "jac" +
    "fwd")` and private imports go through it too. Replacing the guard while an answer
    runs is noticed (`intact()` turns false) unless the answer also puts it back.
    """

    def __init__(self, jax: Any) -> None:
        from jax._src.interpreters import ad

        self.used: list[str] = []
        self._classes = [getattr(ad, n) for n in ("JVPTrace", "LinearizeTrace") if hasattr(ad, n)]
        try:
            from jax.experimental import jet

            self._classes.append(jet.JetTrace)
        except (ImportError, AttributeError):
            pass
        self._guards: list[Any] = []
        for cls in self._classes:
            self._guards.append(self._guard(cls))
        self._remove_rules()

    def _remove_rules(self) -> None:
        """Replace every differentiation rule jax has (JVP, linearization, transpose, jet)
        with one that refuses: the rules are gone from this process, whatever happens to
        the trace classes' guards."""
        from jax._src.interpreters import ad

        tables = [
            getattr(ad, name)
            for name in (
                "primitive_jvps",
                "primitive_linearizations",
                "primitive_transposes",
                "fancy_transposes",
                "reducing_transposes",
            )
            if isinstance(getattr(ad, name, None), dict)
        ]
        try:
            from jax.experimental import jet

            tables.append(jet.jet_rules)
        except (ImportError, AttributeError):
            pass
        refuse = self._guard(type(None), "a differentiation rule")
        for table in tables:
            for key in table:
                table[key] = refuse

    def _guard(self, cls: type, what: str = "") -> Any:
        """A function that notes and refuses autodiff; set as `cls.__init__` unless
        `what` says it stands for something else."""
        monitor = self

        def refuse(*args: Any, **kwargs: Any) -> None:
            monitor.used.append(what or cls.__name__)
            raise AutodiffUsed(
                "answers may not use jax's automatic differentiation "
                "(grad, jacfwd, jacrev, jvp, vjp, ...): work the derivative out by hand"
            )

        if not what:
            cls.__init__ = refuse  # type: ignore[misc]
        return refuse

    def intact(self) -> bool:
        return all(
            cls.__dict__.get("__init__") is g
            for cls, g in zip(self._classes, self._guards, strict=True)
        )

    def protect(self) -> None:
        """Refuse attribute changes on the guarded classes (audit event on type setattr)."""
        guarded = tuple(self._classes)

        def hook(event: str, args: tuple[Any, ...]) -> None:
            if event == "object.__setattr__" and args and args[0] in guarded:
                raise Refused("answers may not change the grader's guards")
            if event == "object.__delattr__" and args and args[0] in guarded:
                raise Refused("answers may not change the grader's guards")

        sys.addaudithook(hook)


def opaque(f: Callable[..., Any], jax: Any) -> Callable[..., Any]:
    """`f` as answers see it: the right values, and no derivatives from any jax
    transformation, even one that gets past `AutodiffMonitor`.

    Forward and reverse mode (jacfwd, jacrev, grad, jvp, vjp, linearize, hessian) use
    the custom rule, whose tangents are NaN; rules that look past it (jet, or an
    interpreter of f's jaxpr) meet `stop_gradient` on every input, so they see a
    function whose derivatives are zero. Finite differences of `f` still work.
    """
    jnp = jax.numpy
    stop = jax.lax.stop_gradient

    def values(*args: Any) -> Any:
        return f(*(stop(a) for a in args))

    given = jax.custom_jvp(values)

    @given.defjvp  # type: ignore[untyped-decorator]
    def _no_derivative(primals: tuple[Any, ...], tangents: tuple[Any, ...]) -> tuple[Any, Any]:
        out = given(*primals)
        total = sum(jnp.sum(t) for t in tangents)
        return out, jnp.nan * jnp.broadcast_to(total, jnp.shape(out))

    given.__name__ = "f"
    return given  # type: ignore[no-any-return]
