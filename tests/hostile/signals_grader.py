# Stop the grading: SIGKILL and SIGSTOP to the process that started this one (the
# grader, or the fork server every classmate's answers come from), to its process
# group, through a pidfd; and look for classmates' answer processes among the
# neighbouring pids with signal 0 (which only asks whether a signal would be let through).
import os
import signal


def attack():
    parent = os.getppid()
    attempts = {
        "SIGKILL the parent": lambda: os.kill(parent, signal.SIGKILL),
        "SIGSTOP the parent": lambda: os.kill(parent, signal.SIGSTOP),
        "SIGKILL the parent's group": lambda: os.killpg(os.getpgid(parent), signal.SIGKILL),
        "SIGKILL through a pidfd": lambda: signal.pidfd_send_signal(
            os.pidfd_open(parent), signal.SIGKILL
        ),
    }
    me = os.getpid()
    for pid in range(max(me - 20, 2), me + 20):
        if pid not in (me, parent):
            attempts[f"find {pid}"] = lambda pid=pid: os.kill(pid, 0)
    done = []
    for name, attempt in attempts.items():
        try:
            attempt()
        except (OSError, AttributeError):
            continue
        done.append(name)
    if done:
        raise RuntimeError("done: " + ", ".join(done))
    raise RuntimeError(f"all {len(attempts)} refused")


def jac_neg(x):
    attack()
    return -1.0 * (Os == Is)
