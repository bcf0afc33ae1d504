"""The answer process's Python guards (answers/guard.py): resource limits and the audit
hook, each tried in a child interpreter of its own (they cannot be undone), and
`opaque`, the `f` answers see, whose values are right and whose derivatives are not."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

SRC = Path(__file__).resolve().parent.parent / "src"

PRELUDE = """
import json, os, sys
sys.path.insert(0, {src!r})
from adgrader.answers import guard
found = {{}}

def attempt(name, action):
    try:
        action()
        found[name] = "ok"
    except guard.Refused as e:
        found[name] = "Refused: " + str(e)
    except Exception as e:
        found[name] = type(e).__name__
"""


def run_child(body: str, tmp_path: Path) -> dict[str, Any]:
    """Run `body` after PRELUDE in a fresh interpreter in `tmp_path`; its `found`."""
    code = PRELUDE.format(src=str(SRC)) + body + "\nprint(json.dumps(found))\n"
    done = subprocess.run(
        [sys.executable, "-I", "-c", code], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def test_resource_limits_hold_and_cannot_be_raised_again(tmp_path: Path) -> None:
    found = run_child(
        """
import resource
guard.limit_resources(memory_bytes=300 << 20, cpu_seconds=7, file_bytes=4096)
for name in ("RLIMIT_CORE", "RLIMIT_FSIZE", "RLIMIT_CPU", "RLIMIT_DATA"):
    found[name] = list(resource.getrlimit(getattr(resource, name)))
attempt("raise the cpu limit", lambda: resource.setrlimit(resource.RLIMIT_CPU, (8, 8)))
attempt("allocate 600 MB", lambda: bytearray(600 << 20))
attempt("allocate 1 MB", lambda: bytearray(1 << 20))
def write(size):
    with open("big.bin", "wb") as handle:
        handle.write(b"x" * size)
attempt("write 8 kB", lambda: write(8192))
attempt("write 2 kB", lambda: write(2048))
""",
        tmp_path,
    )
    assert found["RLIMIT_CORE"] == [0, 0]
    assert found["RLIMIT_FSIZE"] == [4096, 4096]
    assert found["RLIMIT_CPU"] == [7, 7]
    assert found["RLIMIT_DATA"] == [300 << 20, 300 << 20]
    assert found["raise the cpu limit"] == "ValueError"
    assert found["allocate 600 MB"] == "MemoryError" and found["allocate 1 MB"] == "ok"
    assert found["write 8 kB"] == "OSError" and found["write 2 kB"] == "ok"


def test_the_audit_hook_refuses_with_messages_and_lets_the_rest_through(tmp_path: Path) -> None:
    (tmp_path / "work").mkdir()
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    found = run_child(
        f"""
import signal, socket, subprocess
work, outside = {str(tmp_path / "work")!r}, {str(outside)!r}
guard.install_audit_hook([work])
attempt("Popen", lambda: subprocess.Popen(["true"]))
attempt("os.system", lambda: os.system("true"))
attempt("fork", os.fork)
attempt("connect", lambda: socket.socket().connect(("127.0.0.1", 9)))
attempt("signal the parent", lambda: os.kill(os.getppid(), 0))
attempt("signal itself", lambda: os.kill(os.getpid(), 0))
attempt("write outside", lambda: open(outside, "w").close())
attempt("append outside", lambda: open(outside, "a").close())
attempt("os.open outside", lambda: os.open(outside, os.O_WRONLY))
attempt("read outside", lambda: open(outside).read())
attempt("remove outside", lambda: os.remove(outside))
attempt("write inside", lambda: open(os.path.join(work, "a.txt"), "w").write("x"))
attempt("rename inside", lambda: os.rename(os.path.join(work, "a.txt"), os.path.join(work, "b")))
attempt("rename out", lambda: os.rename(os.path.join(work, "b"), outside + ".moved"))
attempt("write through ..", lambda: open(os.path.join(work, "..", "x.txt"), "w").close())
attempt("write an open descriptor", lambda: os.write(1, b""))
""",
        tmp_path,
    )
    processes = "Refused: answers may not start other processes"
    assert [found[k] for k in ("Popen", "os.system", "fork")] == [processes] * 3
    assert found["connect"] == "Refused: answers may not use the network"
    assert found["signal the parent"] == "Refused: answers may not send signals to other processes"
    assert found["signal itself"] == "ok"
    for key in ("write outside", "append outside", "os.open outside", "write through .."):
        assert found[key].startswith("Refused: answers may not write outside their own folder"), key
    for key in ("remove outside", "rename out"):
        assert found[key].startswith("Refused: answers may not change files outside"), key
    for key in ("read outside", "write inside", "rename inside", "write an open descriptor"):
        assert found[key] == "ok", key
    assert outside.read_text() == "keep me" and not (tmp_path / "x.txt").exists()
    assert (tmp_path / "work" / "b").read_text() == "x"


def test_opaque_f_has_the_right_values_and_no_derivatives() -> None:
    from adgrader.answers.guard import opaque
    from adgrader.grading.oracle import init_jax

    jax = init_jax()
    jnp = jax.numpy

    def f(x: Any, y: Any) -> Any:
        return jnp.sin(x) * y

    given = opaque(f, jax)
    x, y = jnp.linspace(-1.0, 1.0, 4), jnp.full(4, 2.0)
    ones = jnp.ones(4)

    @jax.jit  # one compilation for every transformation
    def transformed(x: Any, y: Any) -> dict[str, Any]:
        return {
            "value": given(x, y),
            "jacfwd": jax.jacfwd(given, argnums=(0, 1))(x, y),
            "jacrev": jax.jacrev(given, argnums=(0, 1))(x, y),
            "jvp": jax.jvp(given, (x, y), (ones, ones))[1],
            "linearize": jax.linearize(given, x, y)[1](ones, ones),
            "jacfwd of f": jax.jacfwd(f)(x, y),
        }

    got = transformed(x, y)
    assert np.allclose(got["value"], np.sin(np.asarray(x)) * 2)
    assert np.allclose(got["jacfwd of f"], np.diag(2 * np.cos(np.asarray(x))))  # f's own
    for name in ("jacfwd", "jacrev", "jvp", "linearize"):
        for part in jax.tree_util.tree_leaves(got[name]):
            part = np.asarray(part)
            assert np.isnan(part).all() or (part == 0).all(), name
