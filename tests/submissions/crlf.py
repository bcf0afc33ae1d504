# adgrader: set=jax
# Saved with Windows line ends (CRLF), as Notepad and some editors do.


def jac_neg(x):
    return -1.0 * (Os == Is)


def jac_relu(x):
    return (Os == Is) * (x > 0
    )
