import sys

sys.exit("not today")


def jac_neg(x):
    return -1.0 * (Os == Is)
