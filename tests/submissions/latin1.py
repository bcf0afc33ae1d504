# adgrader: set=jax
# Saved as Latin-1 by an old editor: the accent is one byte, 0xe9.
# Résumé of my answers


def jac_neg(x):
    return -1.0 * (Os == Is)
