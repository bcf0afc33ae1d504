import time


def jac_neg(x):
    time.sleep(10)
    return -1.0 * (Os == Is)


def jac_relu(x):
    time.sleep(10)
    return (x > 0) * (Os == Is)
