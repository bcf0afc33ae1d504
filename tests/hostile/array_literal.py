def jac_neg(x):
    return np.array([[-1.0 if o == i else 0.0 for i in range(I)] for o in range(O)])


def jac_relu(x):
    return np.stack([(x > 0) * (Is == o) for o in range(O)])


def jac_cumsum(x):
    return [[(i <= o) / 20 for i in range(I)] for o in range(O)]
