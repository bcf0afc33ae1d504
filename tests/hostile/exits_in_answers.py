import sys


class Escape(BaseException):
    pass


def jac_id(x):
    sys.exit(0)


def jac_cos(x):
    raise KeyboardInterrupt


def jac_mean(x):
    raise Escape("not an Exception")


def jac_prod(x):
    return jac_prod(x)  # recursion overflow


def jac_repeat(x):
    import numpy

    return numpy.ones((2_000_000_000,))  # 16 GB: more memory than allowed


def jac_neg(x):
    return -1.0 * (Os == Is)
