# adgrader: set=jax
# Saved by a Windows editor: a UTF-8 BOM first, then the answers.


def jac_neg(x):
    return -1.0 * (Os == Is)


def jac_relu(x):
    return (Os == Is) * (x > 0)  # d relu = 1 where x > 0
