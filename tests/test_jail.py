"""The kernel's jail, tried for real: each refusal inside it, and the same act outside.

Small child interpreters (`python -I`, as answer processes start) import the jail,
enter it with `answer_paths`, try things and print what happened as JSON. Every act
the jail refuses is also tried by an identical child that does not enter it, so each
refusal is shown to be the jail's doing. Only signal 0 is ever sent.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import select
import signal
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import adgrader
from adgrader.answers import jail

pytestmark = pytest.mark.skipif(
    jail.supported().level != "kernel", reason=f"no kernel jail here: {jail.supported().detail}"
)

SRC = Path(adgrader.__file__).resolve().parents[1]
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0

PRELUDE = r"""
import ctypes, errno, json, os, sys
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from adgrader.answers import jail
ctx = json.loads(sys.argv[2])
work, other, home = Path(ctx["work"]), Path(ctx["other"]), Path(ctx["home"])
libc = ctypes.CDLL(None, use_errno=True)
results = {}

def outcome(exc):
    code = errno.errorcode.get(exc.errno, "") if isinstance(exc, OSError) else ""
    return f"{type(exc).__name__} {code}".strip()

def attempt(name, action):
    try:
        action()
    except BaseException as exc:
        results[name] = outcome(exc)
        results[name + ": message"] = str(exc)
    else:
        results[name] = "ok"

def checked(result):
    if result == -1:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    return result

def read(path):
    with open(path, "rb") as handle:
        return handle.read(1)

def done():
    print("RESULT " + json.dumps(results), flush=True)
"""

BASIC = r"""
import _posixsubprocess, mmap, resource, signal, socket, subprocess, threading
ppid = os.getppid()
if ctx["jail"]:
    results["level"] = jail.enter(*jail.answer_paths(work), parent_pid=ppid).level

def fresh_import(name):
    if name in sys.modules:
        raise RuntimeError(f"{name} was imported already: the check would prove nothing")
    __import__(name)

def in_a_thread(action):
    box = {}
    def run():
        try:
            box["value"] = action()
        except BaseException as exc:
            box["error"] = exc
    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]

def fork():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)

def fork_exec():
    args = [sys.executable, "-c", "pass"]
    read_end, write_end = os.pipe()
    head = (args, [os.fsencode(sys.executable)], True, (write_end,), None, None)
    head += (-1, -1, -1, -1, -1, -1, read_end, write_end, False, False)
    tails = [(-1, None, None, None, -1, None, True), (-1, None, None, None, -1, None)]
    tails.append((None, None, None, -1, None))
    for tail in tails:  # the signature differs between Python versions
        try:
            pid = _posixsubprocess.fork_exec(*head, *tail)
        except TypeError:
            continue
        os.waitpid(pid, 0)
        return
    raise RuntimeError("no known signature of _posixsubprocess.fork_exec")

def raise_own():
    seen = []
    signal.signal(signal.SIGUSR1, lambda *_: seen.append(1))
    signal.raise_signal(signal.SIGUSR1)
    if not seen:
        raise RuntimeError("the handler did not run")

def watch(folder):
    fd = checked(libc.inotify_init1(0))
    checked(libc.inotify_add_watch(fd, bytes(folder), 0x100))
    os.close(fd)

def clone3():
    checked(libc.syscall(ctypes.c_long(435), None, ctypes.c_long(0)))

class CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

class CapData(ctypes.Structure):
    _fields_ = [(n, ctypes.c_uint32) for n in ("effective", "permitted", "inheritable")]

caps = (CapData * 2)()
checked(libc.capget(ctypes.byref(CapHeader(0x20080522, 0)), caps))
results["capabilities"] = caps[0].effective | caps[1].effective

attempt("read /etc/passwd", lambda: read("/etc/passwd"))
attempt("list the real home", lambda: os.listdir(ctx["real_home"]))
attempt("read a file in $HOME", lambda: read(home / "notes.txt"))
attempt("read ~/.cache/adgrader", lambda: read(home / ".cache/adgrader/results/r.npz"))
attempt("read a sibling folder", lambda: read(other / "secret.txt"))
attempt("list /tmp", lambda: os.listdir("/tmp"))
attempt("read /proc/1/environ", lambda: read("/proc/1/environ"))
attempt("read the parent's environ", lambda: read(f"/proc/{ppid}/environ"))
attempt("open the parent's memory", lambda: open(f"/proc/{ppid}/mem", "rb").close())
attempt("read in the workdir", lambda: read(work / "mine.txt"))
attempt("list the workdir", lambda: os.listdir(work))
attempt("import a stdlib module", lambda: fresh_import("colorsys"))
attempt("import a stdlib C extension", lambda: fresh_import("_decimal"))
attempt("import from site-packages", lambda: fresh_import("yaml"))
attempt("read /dev/urandom", lambda: read("/dev/urandom"))
attempt("write /dev/null", lambda: open(os.devnull, "w").write("x"))
attempt("write in the workdir", lambda: (work / "new.txt").write_text("x"))
attempt("make a folder in the workdir", lambda: (work / "sub").mkdir())
attempt("write in a sibling folder", lambda: (other / "new.txt").write_text("x"))
attempt("write next to the workdir", lambda: (work.parent / "new.txt").write_text("x"))
attempt("write in $HOME", lambda: (home / "new.txt").write_text("x"))
attempt("delete outside", lambda: (other / "to-delete.txt").unlink())
attempt("move a file in from outside", lambda: os.rename(other / "to-move.txt", work / "moved"))
attempt("hard-link a file from outside", lambda: os.link(other / "to-link.txt", work / "linked"))
attempt("read outside through a symlink", lambda: (
    os.symlink(other / "secret.txt", work / "link"), read(work / "link")))
attempt("os.mkfifo in the workdir", lambda: os.mkfifo(work / "fifo"))
attempt("os.mknod in the workdir", lambda: os.mknod(work / "node"))
attempt("chmod outside", lambda: os.chmod(other / "secret.txt", 0o644))
attempt("utime outside", lambda: os.utime(other / "secret.txt"))
attempt("inotify outside", lambda: watch(other))
attempt("os.fork", fork)
attempt("subprocess.Popen", lambda: subprocess.Popen([sys.executable, "-c", "pass"]).wait())
attempt("os.posix_spawn", lambda: os.waitpid(
    os.posix_spawn(sys.executable, [sys.executable, "-c", "pass"], {}), 0))
attempt("_posixsubprocess.fork_exec", fork_exec)
attempt("clone3", clone3)
attempt("socket.socket", lambda: socket.socket().close())
attempt("socket.socketpair", lambda: [s.close() for s in socket.socketpair()])
attempt("os.kill(parent)", lambda: os.kill(ppid, 0))
attempt("os.kill(1)", lambda: os.kill(1, 0))
attempt("pidfd_send_signal(parent)", lambda: signal.pidfd_send_signal(os.pidfd_open(ppid), 0))
attempt("prlimit(parent)", lambda: resource.prlimit(ppid, resource.RLIMIT_NOFILE))
attempt("clear the death signal", lambda: checked(libc.prctl(1, 0, 0, 0, 0)))
attempt("os.kill(itself)", lambda: os.kill(os.getpid(), 0))
attempt("raise a signal with a handler", raise_own)
attempt("signal its own thread", lambda: signal.pthread_kill(threading.get_ident(), 0))
attempt("set its own limits", lambda: resource.setrlimit(
    resource.RLIMIT_NOFILE, resource.getrlimit(resource.RLIMIT_NOFILE)))
attempt("start a thread", lambda: in_a_thread(lambda: sum(range(100))))
attempt("map private memory", lambda: mmap.mmap(
    -1, 1 << 20, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS).close())
attempt("map shared memory", lambda: mmap.mmap(-1, 1 << 20).close())
attempt("os.memfd_create", lambda: os.close(os.memfd_create("x")))
attempt("read /etc/passwd from a new thread", lambda: in_a_thread(lambda: read("/etc/passwd")))
# last: if it worked, the new program prints what was found, with it
code = "import sys; print('RESULT ' + sys.argv[1], flush=True)"
report = json.dumps({**results, "os.execv": "ok"})
attempt("os.execv", lambda: os.execv(sys.executable, [sys.executable, "-c", code, report]))
done()
"""

JAX = r"""
import threading
import numpy as np
import jax
results["level"] = jail.enter(*jail.answer_paths(work), parent_pid=os.getppid()).level
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp
from jax.experimental import io_callback

results["jit"] = float(jax.jit(lambda x: x @ x.T)(jnp.ones((4, 4))).sum())
results["dtype"] = str(jnp.ones(2).dtype)
results["argsort"] = jnp.argsort(jnp.array([3.0, 1.0, 2.0])).tolist()
results["vmap"] = jax.vmap(lambda v: v.sum())(jnp.arange(6.0).reshape(3, 2)).tolist()

main, seen = threading.get_native_id(), []
def probe(kind, x):
    reads = []
    for path in ("/etc/passwd", work / "mine.txt"):
        try:
            read(path)
            reads.append("ok")
        except OSError as exc:
            reads.append(outcome(exc))
    seen.append([kind, threading.get_native_id() != main, reads])
    return np.asarray(x)

square = jax.jit(lambda x: x @ x)
shape = jax.ShapeDtypeStruct((), jnp.float64)
pure = jax.jit(lambda x: jax.pure_callback(lambda y: probe("pure", y), shape, x.sum()))
impure = jax.jit(lambda x: io_callback(lambda y: probe("io", y), shape, x.sum()))
x = jnp.ones((400, 400))
for f in (square, pure, impure):
    f(x).block_until_ready()  # compiled now, so that what follows only runs
seen.clear()
# square's result is not ready yet when a callback's computation is queued, so XLA
# runs that computation, and the callback, on one of its own threads (most times)
for _ in range(20):
    pure(square(x)).block_until_ready()
    impure(square(x)).block_until_ready()
    if {kind for kind, on_xla, _ in seen if on_xla} == {"pure", "io"}:
        break
results["callbacks"] = seen
done()
"""

ENTER_RULES = r"""
import threading
def nnp():
    return libc.prctl(39, 0, 0, 0, 0)

stop = threading.Event()
second = threading.Thread(target=stop.wait)
second.start()
attempt("enter with two threads", lambda: jail.enter(
    *jail.answer_paths(work), parent_pid=os.getppid()))
results["no_new_privs after refusing"] = nnp()
attempt("read /etc/passwd after refusing", lambda: read("/etc/passwd"))
stop.set()
second.join()

real_listdir = os.listdir
def no_proc(path):
    if path == "/proc/self/task":
        raise OSError(errno.EACCES, "Permission denied")
    return real_listdir(path)
os.listdir = no_proc
attempt("enter without /proc", lambda: jail.enter(
    *jail.answer_paths(work), parent_pid=os.getppid()))
os.listdir = real_listdir
results["no_new_privs without /proc"] = nnp()

def no_landlock():
    raise OSError(errno.ENOSYS, "no such system call")
real_abi = jail._landlock_abi
jail._landlock_abi = no_landlock
isolation = jail.enter(*jail.answer_paths(work), parent_pid=os.getppid())
results["without Landlock"] = [isolation.level, isolation.detail]
results["no_new_privs at python level"] = nnp()
jail._landlock_abi = real_abi

def broken(program):
    raise OSError(errno.EINVAL, "Invalid argument")
jail._seccomp = broken
attempt("enter when seccomp fails", lambda: jail.enter(
    *jail.answer_paths(work), parent_pid=os.getppid()))
done()
"""

SLEEPER = r"""
import signal
jail.enter(*jail.answer_paths(work), parent_pid=os.getppid())
print("jailed", flush=True)
while True:
    signal.pause()
"""

LAUNCHER = r"""
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-I", "-c", sys.argv[3], *sys.argv[4:]],
                         stdout=subprocess.PIPE, text=True)
print(child.pid, flush=True)
print(child.stdout.readline().strip(), flush=True)
while True:
    time.sleep(60)  # until killed
"""

X32 = r"""
if ctx["jail"]:
    jail.enter(*jail.answer_paths(work), parent_pid=os.getppid())
results["x32 getpid"] = libc.syscall(ctypes.c_long(0x40000000 | 39))
done()
"""


def layout(base: Path) -> dict[str, Any]:
    """A workdir, its neighbours and a home with a results cache, each holding a file."""
    work, other, home = base / "work", base / "other", base / "home"
    for folder in (work, other, home / ".cache" / "adgrader" / "results"):
        folder.mkdir(parents=True)
    (work / "mine.txt").write_text("mine")
    for name in ("secret.txt", "to-delete.txt", "to-move.txt", "to-link.txt"):
        (other / name).write_text("not yours")
    (home / "notes.txt").write_text("private")
    (home / ".cache" / "adgrader" / "results" / "r.npz").write_bytes(b"expected jacobians")
    return {
        "work": str(work),
        "other": str(other),
        "home": str(home),
        "real_home": os.path.expanduser("~"),
    }


def start(script: str, ctx: dict[str, Any], *extra: str) -> subprocess.Popen[str]:
    """A child interpreter started as answer processes are: isolated mode, scrubbed env."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": ctx["home"],
        "LANG": "C.UTF-8",
        "JAX_PLATFORMS": "cpu",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "XLA_FLAGS": "--xla_force_host_platform_device_count=1",
    }
    argv = [sys.executable, "-I", "-c", PRELUDE + script, str(SRC), json.dumps(ctx), *extra]
    return subprocess.Popen(
        argv,
        cwd=ctx["work"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def collect(child: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = child.communicate(timeout=120)
    lines = [line for line in out.splitlines() if line.startswith("RESULT ")]
    assert lines, f"the child printed no result (exit {child.returncode}):\n{out}\n{err}"
    result: dict[str, Any] = json.loads(lines[-1][len("RESULT ") :])
    return result


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The checks inside the jail, outside it, and with jax: started together."""
    children = {}
    for name, script, in_jail in (
        ("jailed", BASIC, True),
        ("free", BASIC, False),
        ("jax", JAX, True),
        ("enter", ENTER_RULES, True),
    ):
        ctx = {**layout(tmp_path_factory.mktemp(name)), "jail": in_jail}
        children[name] = start(script, ctx)
    return {name: collect(child) for name, child in children.items()}


# check -> what the answer sees inside the jail; outside the jail each one works
REFUSED = {
    "read /etc/passwd": "PermissionError EACCES",
    "list the real home": "PermissionError EACCES",
    "read a file in $HOME": "PermissionError EACCES",
    "read ~/.cache/adgrader": "PermissionError EACCES",
    "read a sibling folder": "PermissionError EACCES",
    "list /tmp": "PermissionError EACCES",
    "read /proc/1/environ": "PermissionError EACCES",
    "read the parent's environ": "PermissionError EACCES",
    "open the parent's memory": "PermissionError EACCES",
    "write in a sibling folder": "PermissionError EACCES",
    "write next to the workdir": "PermissionError EACCES",
    "write in $HOME": "PermissionError EACCES",
    "delete outside": "PermissionError EACCES",
    "move a file in from outside": "PermissionError EACCES",
    "hard-link a file from outside": "OSError EXDEV",
    "read outside through a symlink": "PermissionError EACCES",
    "os.mkfifo in the workdir": "PermissionError EPERM",
    "os.mknod in the workdir": "PermissionError EPERM",
    "chmod outside": "PermissionError EPERM",
    "utime outside": "PermissionError EPERM",
    "inotify outside": "PermissionError EPERM",
    "os.fork": "PermissionError EPERM",
    "subprocess.Popen": "PermissionError EPERM",
    "os.posix_spawn": "PermissionError EPERM",
    "_posixsubprocess.fork_exec": "PermissionError EPERM",
    "os.execv": "PermissionError EPERM",
    "socket.socket": "PermissionError EPERM",
    "socket.socketpair": "PermissionError EPERM",
    "os.kill(parent)": "PermissionError EPERM",
    "os.kill(1)": "PermissionError EPERM",
    "pidfd_send_signal(parent)": "PermissionError EPERM",
    "prlimit(parent)": "PermissionError EPERM",
    "clear the death signal": "PermissionError EPERM",
    "map shared memory": "PermissionError EPERM",
    "os.memfd_create": "PermissionError EPERM",
    "read /etc/passwd from a new thread": "PermissionError EACCES",
}


def _possible_outside(check: str) -> bool:
    """Whether the act works here without a jail (pid 1 may be out of reach, even for root)."""
    try:
        if check == "read /proc/1/environ":
            Path("/proc/1/environ").read_bytes()
        elif check == "os.kill(1)":
            os.kill(1, 0)
        elif check == "open the parent's memory":
            return IS_ROOT  # without root, ptrace rules may forbid it
    except OSError:
        return False
    return True


ALLOWED = [
    "read in the workdir",
    "list the workdir",
    "import a stdlib module",
    "import a stdlib C extension",
    "import from site-packages",
    "read /dev/urandom",
    "write /dev/null",
    "write in the workdir",
    "make a folder in the workdir",
    "os.kill(itself)",
    "raise a signal with a handler",
    "signal its own thread",
    "set its own limits",
    "start a thread",
    "map private memory",
]


@pytest.mark.parametrize("check", list(REFUSED))
def test_the_jail_refuses(runs: dict[str, dict[str, Any]], check: str) -> None:
    assert runs["jailed"]["level"] == "kernel"
    assert runs["jailed"][check] == REFUSED[check], runs["jailed"].get(check + ": message")
    if _possible_outside(check):
        assert runs["free"][check] == "ok", runs["free"].get(check + ": message")


@pytest.mark.parametrize("check", ALLOWED)
def test_the_jail_allows(runs: dict[str, dict[str, Any]], check: str) -> None:
    assert runs["jailed"][check] == "ok", runs["jailed"].get(check + ": message")
    assert runs["free"][check] == "ok", runs["free"].get(check + ": message")


def test_clone3_says_enosys_so_threads_fall_back_to_clone(runs: dict[str, dict[str, Any]]) -> None:
    assert runs["jailed"]["clone3"] == "OSError ENOSYS"
    assert runs["free"]["clone3"] != "OSError ENOSYS"  # the kernel has clone3


def test_root_keeps_no_capability(runs: dict[str, dict[str, Any]]) -> None:
    assert runs["jailed"]["capabilities"] == 0
    if IS_ROOT:
        assert runs["free"]["capabilities"] != 0


def test_jax_runs_in_the_jail_and_its_threads_are_jailed(runs: dict[str, dict[str, Any]]) -> None:
    found = runs["jax"]
    assert found["level"] == "kernel"
    assert found["jit"] == 64.0
    assert found["dtype"] == "float64"
    assert found["argsort"] == [1, 2, 0]
    assert found["vmap"] == [1.0, 5.0, 9.0]
    # callbacks ran on threads XLA started after the jail, and were jailed there too
    on_xla = {kind for kind, on_xla, _ in found["callbacks"] if on_xla}
    assert on_xla == {"pure", "io"}, found["callbacks"]
    for _, _, reads in found["callbacks"]:
        assert reads == ["PermissionError EACCES", "ok"]


def test_enter_refuses_a_second_thread_and_changes_nothing(
    runs: dict[str, dict[str, Any]],
) -> None:
    found = runs["enter"]
    assert found["enter with two threads"] == "JailError"
    assert "2 threads" in found["enter with two threads: message"]
    assert found["no_new_privs after refusing"] == 0
    assert found["read /etc/passwd after refusing"] == "ok"


def test_enter_refuses_to_run_unjailed_where_it_cannot_count_threads(
    runs: dict[str, dict[str, Any]],
) -> None:
    """Where the kernel can jail, an answer process never runs unjailed: the grading
    side trusts its caches there."""
    found = runs["enter"]
    assert found["enter without /proc"] == "JailError"
    assert "cannot count this process's threads" in found["enter without /proc: message"]
    assert found["no_new_privs without /proc"] == 0


def test_without_landlock_enter_says_python_and_changes_nothing(
    runs: dict[str, dict[str, Any]],
) -> None:
    level, detail = runs["enter"]["without Landlock"]
    assert (level, detail.split(" (")[0]) == ("python", "no Landlock")
    assert runs["enter"]["no_new_privs at python level"] == 0


def test_a_step_that_fails_after_others_raises(runs: dict[str, dict[str, Any]]) -> None:
    assert runs["enter"]["enter when seccomp fails"] == "JailError"
    assert "seccomp" in runs["enter"]["enter when seccomp fails: message"]


def _gone(pid: int) -> bool:
    """Ended: no such process, or a zombie (reaped here if it was handed to us)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


@pytest.fixture
def launcher(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """A process that starts a jailed answer process and waits: (it, the jailed pid)."""
    ctx = {**layout(tmp_path), "jail": True}
    proc = start(LAUNCHER, ctx, PRELUDE + SLEEPER, str(SRC), json.dumps(ctx))
    assert proc.stdout is not None
    pid = int(proc.stdout.readline())
    try:
        assert proc.stdout.readline().strip() == "jailed"
        yield proc, pid
    finally:
        for target in (proc.pid, pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(target, signal.SIGKILL)
        proc.communicate()


def test_the_answer_process_dies_with_its_parent(
    launcher: tuple[subprocess.Popen[str], int],
) -> None:
    proc, pid = launcher
    assert not _gone(pid)
    try:
        watched = os.pidfd_open(pid)  # readable once the process has ended
    except ProcessLookupError:
        pytest.fail("the answer process ended before its parent was killed")
    try:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        select.select([watched], [], [])  # no clock: the suite's timeout stops a hang
    finally:
        os.close(watched)
    assert _gone(pid)


def test_enter_exits_when_the_parent_is_already_gone(tmp_path: Path) -> None:
    ctx = {**layout(tmp_path), "jail": True}
    child = start("jail.enter([], [], parent_pid=os.getppid() + 1)\ndone()", ctx)
    out, _ = child.communicate(timeout=60)
    assert child.returncode == jail.EXIT_ORPHANED
    assert "RESULT" not in out


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="x32 exists on x86_64 only")
@pytest.mark.parametrize("in_jail", [True, False])
def test_the_other_abi_of_x86_64_kills_the_process(tmp_path: Path, in_jail: bool) -> None:
    child = start(X32, {**layout(tmp_path), "jail": in_jail})
    out, err = child.communicate(timeout=60)
    if in_jail:
        assert child.returncode == -signal.SIGSYS, (out, err)
    else:
        assert child.returncode == 0 and "x32 getpid" in out, (out, err)


def test_answer_paths_leave_out_what_answers_must_not_read(tmp_path: Path) -> None:
    work = (tmp_path / "work").resolve()
    readable, writable = jail.answer_paths(tmp_path / "work")
    assert writable == [work, Path(os.devnull)]
    assert Path(sys.base_prefix).resolve() in readable
    home = Path(os.path.expanduser("~")).resolve()
    for path in readable:
        assert path not in (Path("/"), home, *home.parents, *work.parents), path
        if path.parts[1] in ("etc", "proc"):
            assert path in (Path("/etc/ld.so.cache"), Path("/proc/cpuinfo")), path


HEADERS = {  # column of jail._NUMBERS -> the kernel's header for that machine
    0: Path("/usr/include/x86_64-linux-gnu/asm/unistd_64.h"),
    1: Path("/usr/include/asm-generic/unistd.h"),  # aarch64 uses the generic table
}


@pytest.mark.parametrize("column", sorted(HEADERS))
def test_system_call_numbers_match_the_kernel_headers(column: int) -> None:
    if not HEADERS[column].exists():
        pytest.skip(f"no {HEADERS[column]}")
    text = HEADERS[column].read_text()
    defined = {m[1]: int(m[2]) for m in re.finditer(r"#define __NR(?:3264)?_(\w+)\s+(\d+)", text)}
    compared = 0
    for name, numbers in jail._NUMBERS.items():
        if name in defined:  # headers older than the kernel lack the newest calls
            assert numbers[column] == defined[name], name
            compared += 1
        elif numbers[column] is None:
            assert name not in defined, name
    assert compared > 80


ALLOW, KILL = 0x7FFF0000, 0x80000000
EPERM, ENOSYS = 0x00050000 | errno.EPERM, 0x00050000 | errno.ENOSYS
X86_64, AARCH64 = 0xC000003E, 0xC00000B7


def verdict(program: list[tuple[int, int, int, int]], nr: int, *args: int, arch: int) -> int:
    """Run a seccomp program (the few classic BPF instructions it uses) on one call."""
    words = [a & (2**64 - 1) for a in args] + [0] * (6 - len(args))
    data = struct.pack("<iIQ6Q", nr, arch, 0, *words)
    pc, acc = 0, 0
    while True:
        code, jt, jf, k = program[pc]
        if code == 0x06:
            return k
        if code == 0x20:
            acc = struct.unpack_from("<I", data, k)[0]
            pc += 1
            continue
        taken = {0x15: acc == k, 0x35: acc >= k, 0x45: bool(acc & k)}[code]
        pc += 1 + (jt if taken else jf)


THREAD = 0x3D0F00  # the flags glibc's pthread_create gives clone
FORK = 0x01200011  # CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD


MACHINES = [("x86_64", X86_64, 0), ("aarch64", AARCH64, 1)]  # name, AUDIT_ARCH, column


@pytest.mark.parametrize(("machine", "arch", "column"), MACHINES, ids=["x86_64", "aarch64"])
def test_the_seccomp_program_on_each_machine_and_abi(
    monkeypatch: pytest.MonkeyPatch, machine: str, arch: int, column: int
) -> None:
    monkeypatch.setattr(jail, "_machine", lambda: machine)
    names = ("kill", "clone", "execve", "truncate", "setpriority", "mmap")
    numbers = {name: jail._NUMBERS[name][column] or -1 for name in names}
    numbers["prio"] = numbers["setpriority"]
    pid = 4242
    new, old = jail._filter(pid, 7), jail._filter(pid, 2)
    assert verdict(new, 39 if machine == "x86_64" else 172, arch=arch) == ALLOW  # getpid
    assert verdict(new, numbers["execve"], arch=arch) == EPERM
    assert verdict(new, numbers["execve"], arch=X86_64 ^ AARCH64 ^ arch) == KILL  # the other
    assert verdict(new, numbers["clone"], THREAD, arch=arch) == ALLOW
    assert verdict(new, numbers["clone"], THREAD | 0x10000000, arch=arch) == EPERM  # NEWUSER
    assert verdict(new, numbers["clone"], FORK, arch=arch) == EPERM
    assert verdict(new, 435, arch=arch) == ENOSYS  # clone3
    assert verdict(new, numbers["kill"], pid, 9, arch=arch) == ALLOW
    assert verdict(new, numbers["kill"], pid + 1, 9, arch=arch) == EPERM
    assert verdict(new, numbers["kill"], 0, 9, arch=arch) == ALLOW  # Landlock confines it
    assert verdict(old, numbers["kill"], 0, 9, arch=arch) == EPERM  # it does not before ABI 6
    assert verdict(new, numbers["truncate"], arch=arch) == ALLOW  # Landlock handles it
    assert verdict(old, numbers["truncate"], arch=arch) == EPERM  # it does not before ABI 3
    assert verdict(new, numbers["prio"], 0, 0, arch=arch) == ALLOW  # PRIO_PROCESS, itself
    assert verdict(new, numbers["prio"], 2, 0, arch=arch) == EPERM  # PRIO_USER
    private, shared, anonymous = 0x02, 0x01, 0x20
    assert verdict(new, numbers["mmap"], 0, 4096, 3, private | anonymous, arch=arch) == ALLOW
    assert verdict(new, numbers["mmap"], 0, 4096, 3, shared, 5, arch=arch) == ALLOW  # a file
    assert verdict(new, numbers["mmap"], 0, 4096, 3, shared | anonymous, arch=arch) == EPERM
    assert verdict(new, numbers["mmap"], 0, 4096, 3, 0x03 | anonymous, arch=arch) == EPERM
    if machine == "x86_64":
        assert verdict(new, 0x40000000 | 39, arch=arch) == KILL  # x32
