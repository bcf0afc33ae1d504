"""Quick-compile flags: XLA aborts on a flag it does not know, so the flags given must
be ones the installed jaxlib knows, and a release-specific one goes only to its
releases."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from adgrader import xla


@pytest.fixture
def series(monkeypatch: pytest.MonkeyPatch) -> object:
    def set_series(value: tuple[int, int] | None) -> None:
        xla.quick_compile.cache_clear()
        monkeypatch.setattr(xla, "_jaxlib_series", lambda: value)

    yield set_series
    xla.quick_compile.cache_clear()


@pytest.mark.parametrize(
    ("found", "classic"), [((0, 10), True), ((0, 4), False), ((1, 0), False), (None, False)]
)
def test_release_specific_flags_go_only_to_the_releases_they_were_measured_with(
    series: object, found: tuple[int, int] | None, classic: bool
) -> None:
    series(found)  # type: ignore[operator]
    flags = xla.quick_compile()
    assert "--xla_backend_optimization_level=0" in flags
    assert ("--xla_cpu_use_fusion_emitters=false" in flags) is classic
    assert ("--xla_cpu_parallel_codegen_split_count=1" in flags) is classic


def test_the_users_own_flags_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XLA_FLAGS", "--xla_dump_to=/tmp/mine")
    xla.compile_quickly()
    assert os.environ["XLA_FLAGS"] == "--xla_dump_to=/tmp/mine"
    monkeypatch.delenv("XLA_FLAGS")
    xla.compile_quickly()
    assert os.environ["XLA_FLAGS"] == xla.quick_compile()


def test_the_installed_jaxlib_accepts_the_flags() -> None:
    """A flag XLA does not know ends the process (status 1, no traceback): so would every
    check."""
    code = "import jax.numpy as jnp; print(float((jnp.ones(2) + 1).sum()))"
    for flags in (xla.quick_compile(), "--xla_no_such_flag_anywhere=true"):
        done = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env={**os.environ, "JAX_PLATFORMS": "cpu", "XLA_FLAGS": flags},
            check=False,
        )
        if "no_such" in flags:  # the check can fail: an unknown flag is fatal
            assert done.returncode != 0
        else:
            assert (done.returncode, done.stdout.strip()) == (0, "4.0"), done.stderr
