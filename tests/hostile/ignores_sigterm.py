import signal
import time

signal.signal(signal.SIGTERM, signal.SIG_IGN)


def jac_neg(x):
    while True:  # idle, not spinning: the endless loop that burns CPU is endless_loop.py
        time.sleep(1)


def jac_relu(x):
    return (x > 0) * (Os == Is)
