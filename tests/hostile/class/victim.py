# A classmate's right answers, which the others would like to copy or break.


def jac_neg(x):
    return -1.0 * (Os == Is)


def jac_relu(x):
    return (x > 0) * (Os == Is)
