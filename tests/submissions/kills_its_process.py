# adgrader: set=jax
import os


def jac_neg(x):
    os._exit(3)


def jac_relu(x):
    return (x > 0) * (Os == Is)
