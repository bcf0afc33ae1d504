# adgrader: set=jax
# One plausible WRONG answer per 2024 (JAX) puzzle, in both forms; every one
# must fail at generic points. Each comment names the kind of mistake.


def jac_id(x: Shaped[Array, "1"]) -> Shaped[Array, "1 1"]:
    return 1.0 + 0 * Is[None, :]  # wrong factor: the 2 is dropped


def fb_cos(x):
    f = lambda o: math.cos(x[o])
    dx = lambda i, o: math.sin(x[i])  # wrong sign
    return f, dx


def jac_mean(x: Shaped[Array, "I"]) -> Shaped[Array, "1 I"]:
    return 0 * Is + 1 / I  # wrong shape: (I,) instead of (1, I)


def fb_prod(x):
    f = lambda o: math.prod(x)
    dx = lambda i, o: math.prod(x)  # wrong factor: x[i] is not left out
    return f, dx


def jac_repeat(x: Shaped[Array, "1"]) -> Shaped[Array, "O 1"]:
    return 0 * Os[:, 0] + 1.0  # wrong shape: (O,) instead of (O, 1)


def fb_repeat_scale(x):
    f = lambda o: x[0] * o / O
    dx = lambda i, o: (o + 1) / O  # off by one
    return f, dx


def jac_neg(x: Shaped[Array, "I"]) -> Shaped[Array, "O I"]:
    return 1.0 * (Os == Is)  # wrong sign


def fb_relu(x):
    f = lambda o: x[o] * (x[o] > 0)
    dx = lambda i, o: 1.0 * (x[o] > 0)  # missing term: no (i == o)
    return f, dx


def jac_index(x: Shaped[Array, "I"]) -> Shaped[Array, "O I"]:
    return 1.0 * (Os + 9 == Is)  # off by one


def fb_cumsum(x):
    f = lambda o: sum(x[: o + 1]) / 20
    dx = lambda i, o: (i >= o) / 20  # transposed
    return f, dx


def jac_running_mean(x: Shaped[Array, "I"]) -> Shaped[Array, "O I"]:
    return (Os <= Is) * (Is < Os + W)  # wrong factor: no / W


def fb_sort(x):
    order = x.argsort()
    f = lambda o: x[order[o]]
    dx = lambda i, o: 1.0 * (i == o)  # missing term: the sorting permutation
    return f, dx


def jac_emean(
    x: Shaped[Array, "I"], y: Shaped[Array, "I"]
) -> tuple[Shaped[Array, "O I"], Shaped[Array, "O I"]]:
    return (Os == Is) / 2, 1.0 * (Os == Is)  # wrong factor in d/dy


def fb_mul(x, y):
    f = lambda o: x[o] * y[o]
    dx = lambda i, o: (i == o) * x[o]  # wrong factor: x for y
    dy = lambda j, o: (j == o) * y[o]  # wrong factor: y for x
    return f, dx, dy


def jac_conv1d(
    x: Shaped[Array, "I"], y: Shaped[Array, "W"]
) -> tuple[Shaped[Array, "O I"], Shaped[Array, "O W"]]:
    # off by one in d/dy: W instead of W - 1
    return ((Is - Os) // W == 0) * y[::-1][Is - Os] / W, x[Os - Ws + W] / W


def fb_view(x):
    f = lambda o: x[o // J, o % J]
    dx = lambda i, j, o: 1.0 * (o == j * I + i)  # transposed: column-major
    return f, dx


def jac_transpose(x: Shaped[Array, "I J"]) -> Shaped[Array, "O P I J"]:
    return 1.0 * (Ps == Is) * (Os == Js)  # transposed: this is d x / d x


def fb_mean_reduce(x):
    f = lambda o: sum(x[:, o]) / I
    dx = lambda i, j, o: (i == o) / J  # transposed: the mean over axis 1
    return f, dx


def jac_matmul(
    x: Shaped[Array, "I"], y: Shaped[Array, "J"]
) -> tuple[Shaped[Array, "O I"], Shaped[Array, "O J"]]:
    dx = (Os // 2 == Is // 2) * y[Os % 2 * 2 + Is % 2]  # transposed: Y for Y.T
    return dx, (Os % 2 == Js % 2) * x[Os // 2 * 2 + Js // 2]


def jac_conv2d(
    x: Shaped[Array, "I"], y: Shaped[Array, "J"]
) -> tuple[Shaped[Array, "O I"], Shaped[Array, "O J"]]:
    dx = np.pad(y.reshape(2, 2), (0, 5))[Os // 4 - Is // 4, Os % 4 - Is % 4] / 4
    dy = np.pad(x.reshape(4, 4), (0, 1))[Os // 4 - Js // 2, Os % 4 - Js % 2] / 4
    return dx, dy.reshape(O, 2, 2)  # wrong shape: d/dy is (O, J), not (O, 2, 2)
