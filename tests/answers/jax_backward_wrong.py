# adgrader: set=jax
# The mistakes of submissions/jax_mistakes.py for cos, cumsum and emean, made in the
# backward form: each Jacobian rebuilt from one-hot g is the wrong jac answer's.


def vjp_cos(x, g):
    return np.sin(x) * g  # MISTAKE: sign forgotten, d cos = -sin


def vjp_cumsum(x, g):
    return np.cumsum(g) / 20  # MISTAKE: transposed, gradient i sums g[o] for o >= i


def vjp_emean(x, y, g):
    return g / 2, g  # MISTAKE: d/dy lost the 1/2
