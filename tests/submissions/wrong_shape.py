# adgrader: set=jax
def jac_mean(x):
    return np.ones(I) / I  # (I,) instead of (1, I)


def jac_repeat(x):
    return np.ones((1, 1))  # (1, 1) where (O, 1) = (10, 1) is expected: never broadcast
