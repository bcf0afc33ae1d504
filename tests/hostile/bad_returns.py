def jac_id(x):
    return "0.5"


def jac_cos(x):
    return {"d": -np.sin(x)}


def jac_mean(x):
    return [[0.1] * 9, [0.1]]  # ragged


def jac_prod(x):
    return (np.prod(x) / x)[None, :] + 0j


def jac_repeat(x):
    return np.ones((O, 1)) * float("nan")


def jac_repeat_scale(x):
    return np.ones((O, 1)) * float("inf")


def jac_neg(x):
    return np.zeros(6_000_000)  # far larger than any Jacobian here


def fb_relu(x):
    f = lambda o: (x[o] > 0) * x[o]
    dx = lambda i, o: (x[o] > 0) * (i == o)
    return f, dx, dx  # one value too many


def fb_index(x):
    f = lambda o: x[o + 10]
    dx = lambda i, o: 1 / (o - 3) if o == 3 else (i == o + 10)
    return f, dx


def jac_emean(x, y):
    return 0.5 * (Os == Is)  # one Jacobian, not the pair


def jac_cumsum(x):
    return None


def jac_sort(x):
    return [[1.0 * (np.argsort(x)[o] == i) for i in range(I)] for o in range(O)]
