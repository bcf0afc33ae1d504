# adgrader: set=jax
# Each answer must see its own puzzle's givens: I is 10 for mean, 25 for index.
I = 1000  # a file-level name does not override a puzzle's given


def jac_mean(x):
    return 0 * Is[None, :] + 1 / I


def jac_index(x):
    return 1.0 * (Is == Os + 10)
