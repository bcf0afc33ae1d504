# adgrader: set=jax
# Top-level helpers a learner writes beside the answers, using the puzzle's givens
# (Os, Is) as the notebook does: each must see the givens of the puzzle graded.
import math


def diag(v):
    return v * (Os == Is)


eye = 1.0 * (Os == Is)  # computed per puzzle: a NameError while loading, not an error
HALF = 0.5


def jac_neg(x):
    return diag(-1.0)


def jac_relu(x):
    return diag(x > 0)


def jac_index(x):
    return 1.0 * (Os + 10 == Is)


def jac_emean(x, y):
    return HALF * eye, HALF * eye


def jac_cos(x):
    return -math.sin(float(x[0])) + 0 * Is[None, :]
