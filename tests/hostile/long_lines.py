def jac_neg(x):
    return -1.0 * (Os == Is) + 0.0 * (Os == Is) + 0.0 * (Os == Is) + 0.0 * (Os == Is) + 0.0


def jac_relu(x):
    mask = x > 0
    return mask * (Os == Is)
