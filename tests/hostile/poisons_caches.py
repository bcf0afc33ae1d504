# Poison later runs: plant the oracle's results for seeds not graded yet (zeros, which
# a stub returns), by path and through a folder descriptor (the Python guard checks
# the path it is given, not the folder it is relative to), hard-link kept results in
# to rewrite them, put FIFOs and links to /dev/zero where results are looked for,
# rewrite a kept puzzle set (its `f` is code the grading process runs), swap jax's
# compiled code, and leave a .pth file that every later Python would run. The cache
# folder is @CACHE@, as an attacker who knows the grader's machine would write it.
import glob
import io
import os
import stat
import sys

import numpy

CACHE = "@CACHE@"
SEEDS = range(10)
os.environ["XDG_CACHE_HOME"] = CACHE


def kept_paths():
    """Where results for seeds 0..9 are kept, named exactly as the grader names them."""
    from adgrader import caches
    from adgrader.spec import load_set

    for folder in [None, *glob.glob(os.path.join(sys.prefix, "lib", "*", "site-packages", "adgrader", "puzzles"))]:
        try:
            puzzles = load_set("jax", folder).select(["neg", "relu"])
            break
        except Exception:
            continue
    else:
        return [os.path.join(CACHE, "adgrader", "results", f"neg-{s}.npz") for s in SEEDS]
    paths = [caches.results_path(p, seed, 3) for p in puzzles for seed in SEEDS]
    return [str(p) for p in paths if p is not None]


def zeros_for(path):
    """Results of the layout the grader reads, every Jacobian zero."""
    buffer = io.BytesIO()
    arrays = {"redrawn": numpy.zeros(0, dtype=numpy.int64)}
    for j in range(40):
        arrays.update({f"point_x_{j}": numpy.zeros(10), f"point_g_{j}": numpy.zeros(10)})
        arrays.update({f"jac_x_{j}": numpy.zeros((10, 10)), f"vjp_x_{j}": numpy.zeros(10)})
        arrays[f"value_{j}"] = numpy.zeros(10)
    numpy.savez(buffer, **arrays)
    return buffer.getvalue()


def folder_fd(folder):
    """A descriptor of `folder`, made through descriptors from its nearest ancestor."""
    missing = []
    while not os.path.isdir(folder):
        folder, name = os.path.split(folder)
        missing.append(name)
    fd = os.open(folder, os.O_RDONLY)  # reading: the Python guard lets it be
    for name in reversed(missing):
        os.mkdir(name, dir_fd=fd)
        inner = os.open(name, os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = inner
    return fd


def plant_through_a_descriptor(paths):
    fd = folder_fd(os.path.dirname(paths[0]))
    for path in paths:
        out = os.open(os.path.basename(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644, dir_fd=fd)
        os.write(out, zeros_for(path))
        os.close(out)


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)


def poison():
    paths = kept_paths()
    results = os.path.join(CACHE, "adgrader", "results")
    site = next(p for p in sys.path if p.endswith("site-packages"))
    attempts = {
        "plant results through a descriptor": lambda: plant_through_a_descriptor(paths),
        "plant results for other seeds": lambda: [write(p, zeros_for(p)) for p in paths],
        "hard-link kept results in": lambda: os.link(paths[0], "kept.npz"),
        "mknod a FIFO among the results": lambda: os.mknod(
            os.path.join(results, "fifo.npz"), stat.S_IFIFO | 0o600
        ),
        "move a FIFO in": lambda: (os.mkfifo("fifo"), os.rename("fifo", paths[1])),
        "link /dev/zero in": lambda: os.symlink("/dev/zero", paths[2]),
        "rewrite a kept set": lambda: write(
            os.path.join(CACHE, "adgrader", "specs", "planted.msgpack"), b"\x90"
        ),
        "swap jax's compiled code": lambda: write(
            os.path.join(CACHE, "adgrader", "jax-oracle-2", "planted"), b"\x00"
        ),
        "a .pth file for every later Python": lambda: write(
            os.path.join(site, "zz-planted-by-poisons-caches.pth"), b"# harmless\n"
        ),
    }
    done = []
    for name, attempt in attempts.items():
        try:
            attempt()
        except OSError:
            continue
        done.append(name)
    if done:
        raise RuntimeError("done: " + ", ".join(done))
    raise RuntimeError(f"all {len(attempts)} refused")


def jac_neg(x):
    poison()


def jac_relu(x):
    poison()
