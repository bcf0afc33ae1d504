# adgrader: set=jax
import time


def jac_neg(x):
    time.sleep(3600)  # waits, computing nothing, far past any time limit


def jac_relu(x):
    return (x > 0) * (Os == Is)
