def jac_neg(x):
    return -1 * (Os == Is)


def jac_relu(x)
    return (x > 0) * (Os == Is)
