def jac_neg(x):
    input("waiting forever?")
    return -1.0 * (Os == Is)


def jac_relu(x):
    return (x > 0) * (Os == Is)
