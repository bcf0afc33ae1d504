"""The kernel's jail for the answer process (Linux): files, system calls, lifetime.

The answer process calls `enter` once: after Python has started and jax is imported,
before jax's backend starts (so every thread jax makes inherits the jail) and before
any submission code runs. Nothing in it can be undone, and it holds for root too:

- lifetime: SIGKILL when the thread that started the process ends, however it ends;
  if that parent is already gone, the process exits at once;
- privileges: no_new_privs, and every capability dropped (root keeps its uid but not
  `CAP_DAC_OVERRIDE`, `CAP_SYS_ADMIN`, `CAP_SYS_RESOURCE`...: root-only calls fail,
  and neither limits nor the death signal can be undone);
- files (Landlock; every right the kernel's ABI knows is handled): `readable` may be
  read and listed, `writable` also changed (but no device, FIFO or socket made
  there); nothing may be executed, nothing else touched. TCP bind and connect, and
  signals and abstract Unix sockets leaving the process, are refused (ABI 4, 6);
- system calls (seccomp, on every thread; other architectures and x32 are killed):
  EPERM, so the answer sees a PermissionError, for new processes (fork, vfork,
  execve, clone without CLONE_THREAD or with a namespace flag; clone3 says ENOSYS so
  that glibc starts threads with clone), ptrace and other processes' memory, pidfds,
  mknod, sockets, signals to any process but this one (kill, tkill, tgkill,
  sigqueue; kill(0) only where Landlock confines it; F_SETOWN, which aims SIGIO),
  another process's limits or scheduling (prlimit, setpriority, ioprio, sched_set*),
  namespaces and mounts, bpf, perf, userfaultfd, io_uring (its system calls would
  bypass the filter), keyrings, System V and POSIX message IPC (shared by every
  process of the user), inotify and fanotify (they name files in folders it may not
  list), kexec, modules, reboot, swap, clearing the death signal, and changing file
  metadata (chmod, chown, utime, xattrs, and truncate before ABI 3): Landlock does not
  cover these, and the files outside belong to the same user.

`answer_paths` lists what an answer process needs, found by tracing jax with strace:
the Python installation (prefixes and every `sys.path` folder: stdlib, site-packages,
adgrader), the system libraries (/usr/lib, /lib, /lib64, /usr/lib64, /etc/ld.so.cache),
/dev/urandom (jax's first computation fails without it), /proc/cpuinfo and
/sys/devices/system/cpu (CPU counts and features, read by XLA's thread pools and by
the cpuinfo library of XNNPACK, which prints errors without them); writable: the job
folder and /dev/null. Nothing else of /proc: no pid's files, not even this one's (jax
only names its threads there, and goes on when it cannot).

What the jail does not cover:

- metadata outside: Landlock does not restrict path lookup, so `stat`, `access` and
  `readlink` still tell whether a path exists, and its size, owner and times;
- descriptors opened before `enter` keep their access: the caller must hand the
  process only the pipes it means to;
- the process itself: its memory, threads and job folder, its CPU time, memory and
  wall clock (resource limits and the grading side's clock bound those);
- what the kernel tells any process (uname, sysinfo, CPU features), side channels.

Built on ctypes and libc's `syscall` alone (no binding, no libseccomp), so that the
whole jail can be read here. Elsewhere (not Linux, no Landlock, another machine),
`enter` changes nothing but the death signal and says `python`: the grading side then
trusts nothing the process could have written.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import os
import signal
import stat
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

EXIT_ORPHANED = 75  # the parent ended before the jail was up: nobody is waiting for us


class JailError(RuntimeError):
    """The jail could not be completed; the caller must not run the submission."""


@dataclass(frozen=True)
class Isolation:
    """How well the answer process is isolated: `kernel` (jailed) or `python` (guards only)."""

    level: Literal["kernel", "python"]
    detail: str


# ---------------------------------------------------------------- system call numbers

_ARCHES = {  # machine -> (AUDIT_ARCH_*, column in _NUMBERS)
    "x86_64": (0xC000003E, 0),
    "aarch64": (0xC00000B7, 1),
}
_X32_BIT = 0x40000000  # x86_64's other ABI shares its AUDIT_ARCH value: refuse it by number

_NUMBERS: dict[str, tuple[int | None, int | None]] = {  # name -> (x86_64, aarch64)
    "fork": (57, None),
    "vfork": (58, None),
    "clone": (56, 220),
    "clone3": (435, 435),
    "execve": (59, 221),
    "execveat": (322, 281),
    "ptrace": (101, 117),
    "process_vm_readv": (310, 270),
    "process_vm_writev": (311, 271),
    "pidfd_open": (434, 434),
    "pidfd_send_signal": (424, 424),
    "pidfd_getfd": (438, 438),
    "mknod": (133, None),
    "mknodat": (259, 33),
    "socket": (41, 198),
    "socketpair": (53, 199),
    "kill": (62, 129),
    "tkill": (200, 130),
    "tgkill": (234, 131),
    "rt_sigqueueinfo": (129, 138),
    "rt_tgsigqueueinfo": (297, 240),
    "fcntl": (72, 25),
    "prctl": (157, 167),
    "prlimit64": (302, 261),
    "setpriority": (141, 140),
    "ioprio_set": (251, 30),
    "sched_setaffinity": (203, 122),
    "sched_setscheduler": (144, 119),
    "sched_setparam": (142, 118),
    "sched_setattr": (314, 274),
    "setns": (308, 268),
    "unshare": (272, 97),
    "mount": (165, 40),
    "umount2": (166, 39),
    "pivot_root": (155, 41),
    "chroot": (161, 51),
    "open_tree": (428, 428),
    "move_mount": (429, 429),
    "fsopen": (430, 430),
    "fsconfig": (431, 431),
    "fsmount": (432, 432),
    "fspick": (433, 433),
    "mount_setattr": (442, 442),
    "open_tree_attr": (467, 467),
    "bpf": (321, 280),
    "perf_event_open": (298, 241),
    "userfaultfd": (323, 282),
    "io_uring_setup": (425, 425),
    "io_uring_enter": (426, 426),
    "io_uring_register": (427, 427),
    "keyctl": (250, 219),
    "add_key": (248, 217),
    "request_key": (249, 218),
    "kexec_load": (246, 104),
    "kexec_file_load": (320, 294),
    "init_module": (175, 105),
    "finit_module": (313, 273),
    "delete_module": (176, 106),
    "reboot": (169, 142),
    "swapon": (167, 224),
    "swapoff": (168, 225),
    "chmod": (90, None),
    "fchmod": (91, 52),
    "fchmodat": (268, 53),
    "fchmodat2": (452, 452),
    "chown": (92, None),
    "fchown": (93, 55),
    "lchown": (94, None),
    "fchownat": (260, 54),
    "utime": (132, None),
    "utimes": (235, None),
    "futimesat": (261, None),
    "utimensat": (280, 88),
    "setxattr": (188, 5),
    "lsetxattr": (189, 6),
    "fsetxattr": (190, 7),
    "setxattrat": (463, 463),
    "removexattr": (197, 14),
    "lremovexattr": (198, 15),
    "fremovexattr": (199, 16),
    "removexattrat": (466, 466),
    "file_setattr": (469, 469),
    "truncate": (76, 45),
    "inotify_init": (253, None),
    "inotify_init1": (294, 26),
    "fanotify_init": (300, 262),
    "shmget": (29, 194),
    "shmat": (30, 196),
    "shmctl": (31, 195),
    "semget": (64, 190),
    "semop": (65, 193),
    "semctl": (66, 191),
    "semtimedop": (220, 192),
    "msgget": (68, 186),
    "msgsnd": (69, 189),
    "msgrcv": (70, 188),
    "msgctl": (71, 187),
    "mq_open": (240, 180),
    "mq_unlink": (241, 181),
    "mq_timedsend": (242, 182),
    "mq_timedreceive": (243, 183),
    "mq_notify": (244, 184),
    "mq_getsetattr": (245, 185),
    "mmap": (9, 222),
    "memfd_create": (319, 279),
    "memfd_secret": (447, 447),
    # used by the jail itself
    "capset": (126, 91),
    "seccomp": (317, 277),
    "landlock_create_ruleset": (444, 444),
    "landlock_add_rule": (445, 445),
    "landlock_restrict_self": (446, 446),
}

REFUSED = (  # EPERM whatever the arguments
    *("fork", "vfork", "execve", "execveat"),
    *("ptrace", "process_vm_readv", "process_vm_writev"),
    *("pidfd_open", "pidfd_send_signal", "pidfd_getfd"),
    *("mknod", "mknodat", "socket", "socketpair"),
    *("setns", "unshare", "mount", "umount2", "pivot_root", "chroot"),
    *("open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick"),
    *("mount_setattr", "open_tree_attr"),
    *("bpf", "perf_event_open", "userfaultfd"),
    *("io_uring_setup", "io_uring_enter", "io_uring_register"),
    *("keyctl", "add_key", "request_key"),
    *("kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module"),
    *("reboot", "swapon", "swapoff"),
    *("chmod", "fchmod", "fchmodat", "fchmodat2"),
    *("chown", "fchown", "lchown", "fchownat"),
    *("utime", "utimes", "futimesat", "utimensat"),
    *("setxattr", "lsetxattr", "fsetxattr", "setxattrat"),
    *("removexattr", "lremovexattr", "fremovexattr", "removexattrat", "file_setattr"),
    *("inotify_init", "inotify_init1", "fanotify_init"),
    *("shmget", "shmat", "shmctl", "semget", "semop", "semctl", "semtimedop"),
    *("msgget", "msgsnd", "msgrcv", "msgctl"),
    *("mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify"),
    *("mq_getsetattr", "memfd_create", "memfd_secret"),
)

# ------------------------------------------------------------------- kernel constants

_PR_SET_PDEATHSIG, _PR_GET_PDEATHSIG = 1, 2
_PR_GET_SECCOMP = 21
_PR_SET_NO_NEW_PRIVS, _PR_GET_NO_NEW_PRIVS = 38, 39
_F_SETOWN, _F_SETOWN_EX = 8, 15
_PRIO_PROCESS, _IOPRIO_WHO_PROCESS = 0, 1
_MAP_SHARED, _MAP_ANONYMOUS = 0x01, 0x20  # MAP_SHARED_VALIDATE (0x03) has the shared bit
_CLONE_THREAD = 0x00010000
_CLONE_NAMESPACES = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000  # NEWNS CGROUP UTS IPC
_CLONE_NAMESPACES |= 0x10000000 | 0x20000000 | 0x40000000  # NEWUSER NEWPID NEWNET
_CAPABILITY_VERSION_3 = 0x20080522

_SECCOMP_SET_MODE_FILTER, _SECCOMP_GET_ACTION_AVAIL = 1, 2
_SECCOMP_FILTER_FLAG_TSYNC = 1
_RET_KILL_PROCESS, _RET_ERRNO, _RET_ALLOW = 0x80000000, 0x00050000, 0x7FFF0000
_LD_W_ABS, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06  # classic BPF opcodes

# Landlock access rights, by the ABI that introduced them
_EXECUTE, _WRITE_FILE, _READ_FILE, _READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_REMOVE_DIR, _REMOVE_FILE, _MAKE_CHAR, _MAKE_DIR = 1 << 4, 1 << 5, 1 << 6, 1 << 7
_MAKE_REG, _MAKE_SOCK, _MAKE_FIFO, _MAKE_BLOCK = 1 << 8, 1 << 9, 1 << 10, 1 << 11
_MAKE_SYM = 1 << 12
_REFER, _TRUNCATE, _IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15  # ABI 2, 3, 5
_FS_RIGHTS_ABI1 = (1 << 13) - 1
_FILE_RIGHTS = _EXECUTE | _WRITE_FILE | _READ_FILE | _TRUNCATE | _IOCTL_DEV  # a file, not a folder
_READ = _READ_FILE | _READ_DIR
_WRITE = _READ | _WRITE_FILE | _REMOVE_DIR | _REMOVE_FILE | _MAKE_DIR | _MAKE_REG
_WRITE |= _MAKE_SYM | _REFER | _TRUNCATE
_NET_TCP = (1 << 0) | (1 << 1)  # bind, connect (ABI 4)
_SCOPES = (1 << 0) | (1 << 1)  # abstract Unix sockets, signals (ABI 6)
_LANDLOCK_VERSION = 1
_RULE_PATH_BENEATH = 1


class _RulesetAttr(ctypes.Structure):
    _fields_ = (
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    )


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = (("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32))


class _SockFilter(ctypes.Structure):
    _fields_ = (
        ("code", ctypes.c_uint16),
        ("jt", ctypes.c_uint8),
        ("jf", ctypes.c_uint8),
        ("k", ctypes.c_uint32),
    )


class _SockFprog(ctypes.Structure):
    _fields_ = (("len", ctypes.c_uint16), ("filter", ctypes.POINTER(_SockFilter)))


class _CapHeader(ctypes.Structure):
    _fields_ = (("version", ctypes.c_uint32), ("pid", ctypes.c_int))


class _CapData(ctypes.Structure):
    _fields_ = (
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    )


# ---------------------------------------------------------------------- system calls


def _machine() -> str:
    return os.uname().machine


@functools.cache
def _syscall() -> Any:
    function = ctypes.CDLL(None, use_errno=True).syscall
    function.restype = ctypes.c_long
    return function


def _number(name: str) -> int:
    """This machine's number for a system call (only called once the machine is known)."""
    number = _NUMBERS[name][_ARCHES[_machine()][1]]
    if number is None:
        raise JailError(f"no system call {name} on {_machine()}")
    return number


def _call(nr: int, *args: int) -> int:
    """libc's syscall(nr, args...), every argument passed as a C long; OSError on -1."""
    result = int(_syscall()(ctypes.c_long(nr), *(ctypes.c_long(a) for a in args)))
    if result == -1:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    return result


def _prctl(option: int, arg: int = 0) -> int:
    return _call(_number("prctl"), option, arg, 0, 0, 0)


def _address(obj: Any) -> int:
    return ctypes.addressof(obj)


def _errno_name(exc: OSError) -> str:
    return errno.errorcode.get(exc.errno or 0, str(exc.errno))


# ---------------------------------------------------------------------------- probing


def _landlock_abi() -> int:
    """The kernel's Landlock ABI version; OSError when Landlock is missing or blocked."""
    return _call(_number("landlock_create_ruleset"), 0, 0, _LANDLOCK_VERSION)


def supported() -> Isolation:
    """Whether this machine can jail an answer process, without changing anything."""
    if not sys.platform.startswith("linux"):
        return Isolation("python", f"not Linux ({sys.platform})")
    machine, kernel = _machine(), os.uname().release
    if machine not in _ARCHES or ctypes.sizeof(ctypes.c_void_p) != 8:
        return Isolation("python", f"no seccomp filter for this machine ({machine})")
    try:
        abi = _landlock_abi()
    except OSError as exc:
        if exc.errno == errno.ENOSYS:
            return Isolation("python", f"no Landlock (kernel {kernel})")
        if exc.errno == errno.EOPNOTSUPP:
            return Isolation("python", f"Landlock is turned off (kernel {kernel})")
        return Isolation("python", f"Landlock is blocked here ({_errno_name(exc)})")
    for action in (_RET_ERRNO, _RET_KILL_PROCESS):
        value = ctypes.c_uint32(action)
        try:
            _call(_number("seccomp"), _SECCOMP_GET_ACTION_AVAIL, 0, _address(value))
        except OSError as exc:
            return Isolation("python", f"no seccomp filters ({_errno_name(exc)})")
    return Isolation("kernel", f"landlock ABI {abi}, seccomp")


# ------------------------------------------------------------------------------ paths

SYSTEM_LIBRARIES = ("/usr/lib", "/lib", "/lib64", "/usr/lib64", "/etc/ld.so.cache")
RUNTIME_FILES = (  # what jax reads once its backend starts (found with strace)
    "/dev/urandom",  # std::random_device: without it, the first computation fails
    "/proc/cpuinfo",  # the cpuinfo library (XNNPACK kernels of dot products)
    "/sys/devices/system/cpu",  # CPU lists: thread pools' sizes, cpuinfo's topology
)


def _home_folders() -> set[Path]:
    homes = {Path(os.path.expanduser("~"))}  # $HOME, and the account's home if it differs
    with contextlib.suppress(ImportError, KeyError, OSError):
        import pwd

        homes.add(Path(pwd.getpwuid(os.getuid()).pw_dir))
    return {home.resolve() for home in homes}


def answer_paths(workdir: Path) -> tuple[list[Path], list[Path]]:
    """(readable, writable) for an answer process working in `workdir`.

    Readable: the running Python (prefixes, every absolute `sys.path` entry that
    exists), the system libraries and the few files jax reads once started. A Python
    folder that would also expose the workdir's neighbours or a home folder (`/`, a
    parent of either) is left out. Writable: the workdir and /dev/null.
    """
    workdir = workdir.resolve()
    homes = _home_folders()

    def too_broad(path: Path) -> bool:
        return path in workdir.parents or any(path == h or path in h.parents for h in homes)

    python = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, *sys.path]
    readable: dict[Path, None] = {}
    for entry in python:
        if not entry or not os.path.isabs(entry) or not os.path.exists(entry):
            continue
        path = Path(entry).resolve()
        if not too_broad(path):
            readable[path] = None
    for entry in (*SYSTEM_LIBRARIES, *RUNTIME_FILES):
        if os.path.exists(entry):
            readable[Path(entry).resolve()] = None
    return list(readable), [workdir, Path(os.devnull)]


# ------------------------------------------------------------------------- the jail


def die_with_parent(parent_pid: int) -> bool:
    """SIGKILL for this process when the thread that started it ends; if `parent_pid`
    has already gone, exit at once. False where the kernel has no such signal.

    Used by the fork server and by every answer process, jailed or not; it follows the
    parent *thread*, which is why the grading side starts processes from threads that
    outlive them.
    """
    if not sys.platform.startswith("linux") or _machine() not in _ARCHES:
        return False
    try:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        return False
    if os.getppid() != parent_pid:
        os._exit(EXIT_ORPHANED)
    return True


def enter(readable: Iterable[Path], writable: Iterable[Path], *, parent_pid: int) -> Isolation:
    """Jail this process for good, or say why it could not (level `python`).

    Call it single-threaded, before jax's backend starts. Raises JailError when this
    process has other threads, a path cannot be opened, or a kernel step fails after
    another succeeded: the caller must then not run the submission.
    """
    if not sys.platform.startswith("linux"):
        return Isolation("python", f"not Linux ({sys.platform})")
    if not die_with_parent(parent_pid):
        raise JailError("cannot set the parent-death signal")
    probe = supported()
    if probe.level != "kernel":
        return probe
    try:  # where the kernel can jail, never run unjailed: the grader then trusts its caches
        threads = len(os.listdir("/proc/self/task"))
    except OSError as exc:
        raise JailError(f"cannot count this process's threads ({exc.strerror})") from exc
    if threads > 1:
        raise JailError(f"the answer process has {threads} threads: jail it before any starts")
    rules: list[tuple[int, int]] = []
    try:
        _open_rules(readable, _READ, rules)
        _open_rules(writable, _WRITE, rules)
        _jail(rules)
    finally:
        for fd, _ in rules:
            os.close(fd)
    return probe


def _open_rules(paths: Iterable[Path], rights: int, rules: list[tuple[int, int]]) -> None:
    """Add (O_PATH descriptor, rights) per path; a file gets only the rights files can have."""
    for path in paths:
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError as exc:
            raise JailError(f"cannot open {path} for the jail: {exc.strerror}") from exc
        is_dir = stat.S_ISDIR(os.fstat(fd).st_mode)
        rules.append((fd, rights if is_dir else rights & _FILE_RIGHTS))


def _jail(rules: list[tuple[int, int]]) -> None:
    """no_new_privs, no capabilities, Landlock, seccomp, then check that all took."""
    step = "no_new_privs"
    try:
        abi = _landlock_abi()
        _prctl(_PR_SET_NO_NEW_PRIVS, 1)
        step = "dropping capabilities"
        _drop_capabilities()
        step = "Landlock"
        _landlock(abi, rules)
        step = "seccomp"
        _seccomp(_filter(os.getpid(), abi))
        step = "checking the jail"
        pdeathsig = ctypes.c_int(0)
        _prctl(_PR_GET_PDEATHSIG, _address(pdeathsig))
        held = (
            _prctl(_PR_GET_NO_NEW_PRIVS) == 1
            and _prctl(_PR_GET_SECCOMP) == 2
            and pdeathsig.value == signal.SIGKILL
        )
    except OSError as exc:
        raise JailError(f"the jail failed at {step}: {exc.strerror}") from exc
    if not held:
        raise JailError("the jail did not take: no_new_privs, seccomp or death signal missing")


def _drop_capabilities() -> None:
    header = _CapHeader(_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    _call(_number("capset"), _address(header), _address(data))


def _landlock(abi: int, rules: list[tuple[int, int]]) -> None:
    fs = _FS_RIGHTS_ABI1
    fs |= _REFER if abi >= 2 else 0
    fs |= _TRUNCATE if abi >= 3 else 0
    fs |= _IOCTL_DEV if abi >= 5 else 0
    attr = _RulesetAttr(fs, _NET_TCP if abi >= 4 else 0, _SCOPES if abi >= 6 else 0)
    size = 24 if abi >= 6 else 16 if abi >= 4 else 8
    ruleset = _call(_number("landlock_create_ruleset"), _address(attr), size, 0)
    try:
        for fd, rights in rules:
            rule = _PathBeneath(rights & fs, fd)
            _call(_number("landlock_add_rule"), ruleset, _RULE_PATH_BENEATH, _address(rule), 0)
        _call(_number("landlock_restrict_self"), ruleset, 0)
    finally:
        os.close(ruleset)


# --------------------------------------------------------------------------- seccomp

Instruction = tuple[int, int, int, int]  # code, jump if true, jump if false, k


def _arg(index: int) -> Instruction:
    """Load the low 32 bits of argument `index` (little-endian seccomp_data)."""
    return (_LD_W_ABS, 0, 0, 16 + 8 * index)


def _ret(action: int) -> Instruction:
    return (_RET, 0, 0, action)


def _only_if(conditions: list[tuple[int, tuple[int, ...]]], refuse: int) -> list[Instruction]:
    """Allow when, for every (argument, values), the argument is one of the values."""
    body: list[Instruction] = []
    for index, values in conditions:
        body.append(_arg(index))
        body += [(_JEQ, len(values) - j, 0, v) for j, v in enumerate(values)]
        body.append(_ret(refuse))
    return [*body, _ret(_RET_ALLOW)]


def _unless(index: int, values: tuple[int, ...], refuse: int) -> list[Instruction]:
    """Refuse when the argument is one of the values, allow otherwise."""
    jumps = [(_JEQ, len(values) - j, 0, v) for j, v in enumerate(values)]
    return [_arg(index), *jumps, _ret(_RET_ALLOW), _ret(refuse)]


def _filter(pid: int, abi: int) -> list[Instruction]:
    """The seccomp program for this machine: every rule is one block, jumps stay short.

    Checks only the system call's number until a rule needs its arguments, so the
    kernel can cache the verdict for every other call (no cost once warmed).
    """
    audit_arch, column = _ARCHES[_machine()]
    eperm = _RET_ERRNO | errno.EPERM
    me = (0, pid)
    rules: dict[str, list[Instruction]] = {name: [_ret(eperm)] for name in REFUSED}
    if abi < 3:  # Landlock cannot refuse truncate(path) yet
        rules["truncate"] = [_ret(eperm)]
    rules["clone3"] = [_ret(_RET_ERRNO | errno.ENOSYS)]
    rules["clone"] = [  # a thread (CLONE_THREAD) in no new namespace
        _arg(0),
        (_JSET, 0, 2, _CLONE_THREAD),
        (_JSET, 1, 0, _CLONE_NAMESPACES),
        _ret(_RET_ALLOW),
        _ret(eperm),
    ]
    # kill(0, ...) reaches the process group: safe only when Landlock confines signals
    rules["kill"] = _only_if([(0, me if abi >= 6 else (pid,))], eperm)
    for name in ("tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo"):
        rules[name] = _only_if([(0, (pid,))], eperm)
    for name in ("prlimit64", "sched_setaffinity", "sched_setscheduler", "sched_setparam"):
        rules[name] = _only_if([(0, me)], eperm)  # pid 0 is this process (or thread)
    rules["sched_setattr"] = rules["sched_setparam"]
    rules["setpriority"] = _only_if([(0, (_PRIO_PROCESS,)), (1, me)], eperm)
    rules["ioprio_set"] = _only_if([(0, (_IOPRIO_WHO_PROCESS,)), (1, me)], eperm)
    rules["mmap"] = [  # shared anonymous memory: outside the data limit
        _arg(3),
        (_JSET, 0, 2, _MAP_ANONYMOUS),
        (_JSET, 0, 1, _MAP_SHARED),
        _ret(eperm),
        _ret(_RET_ALLOW),
    ]
    rules["prctl"] = _unless(0, (_PR_SET_PDEATHSIG,), eperm)
    rules["fcntl"] = _unless(1, (_F_SETOWN, _F_SETOWN_EX), eperm)

    program: list[Instruction] = [
        (_LD_W_ABS, 0, 0, 4),  # arch
        (_JEQ, 1, 0, audit_arch),
        _ret(_RET_KILL_PROCESS),
        (_LD_W_ABS, 0, 0, 0),  # nr
    ]
    if _machine() == "x86_64":
        program += [(_JGE, 0, 1, _X32_BIT), _ret(_RET_KILL_PROCESS)]
    for name, body in rules.items():
        number = _NUMBERS[name][column]
        if number is not None:
            program += [(_JEQ, 0, len(body), number), *body]
    return [*program, _ret(_RET_ALLOW)]


def _seccomp(program: list[Instruction]) -> None:
    filters = (_SockFilter * len(program))(*(_SockFilter(*insn) for insn in program))
    fprog = _SockFprog(len(program), filters)
    result = _call(
        _number("seccomp"), _SECCOMP_SET_MODE_FILTER, _SECCOMP_FILTER_FLAG_TSYNC, _address(fprog)
    )
    if result != 0:  # TSYNC: the id of a thread that could not take the filter
        raise OSError(errno.EBUSY, f"thread {result} could not take the filter")
