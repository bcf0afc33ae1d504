import signal

signal.signal(signal.SIGTERM, signal.SIG_IGN)


def jac_neg(x):
    while True:
        pass


def jac_relu(x):
    return (x > 0) * (Os == Is)
