# A full solution to the 2024 (JAX) Autodiff Puzzles, one `jac` per puzzle.
# Grade it with: adgrader check submissions/jax_solution.py


def jac_id(x: Shaped[Array, "1"]) -> Shaped[Array, "1 1"]:
    return 2.0 + 0 * Is[None, :]


def jac_cos(x: Shaped[Array, "1"]) -> Shaped[Array, "1 1"]:
    return -np.sin(x)[None, :]


def jac_mean(x: Shaped[Array, "I"]) -> Shaped[Array, "1 I"]:
    return 0 * Is[None, :] + 1 / I


def jac_prod(x: Shaped[Array, "I"]) -> Shaped[Array, "1 I"]:
    return np.prod(np.where(Is[:, None] == Is, 1.0, x), axis=1)[None, :]


def jac_repeat(x: Shaped[Array, "1"]) -> Shaped[Array, "O 1"]:
    return 0 * Os + 1.0


def jac_repeat_scale(x: Shaped[Array, "1"]) -> Shaped[Array, "O 1"]:
    return Os / O


def jac_neg(x: Shaped[Array, "I"]) -> Shaped[Array, "O I"]:
    return -1.0 * (Os == Is)


def jac_relu(x: Shaped[Array, "I"]) -> Shaped[Array, "O I"]:
    return (Os == Is) * (x > 0)


def jac_index(x: Shaped[Array, "I"]) -> Shaped[Array, "O I"]:
    return 1.0 * (Os + 10 == Is)


def jac_cumsum(x: Shaped[Array, "I"]) -> Shaped[Array, "O I"]:
    return (Is <= Os) / 20


def jac_running_mean(x: Shaped[Array, "I"]) -> Shaped[Array, "O I"]:
    return (Os <= Is) * (Is < Os + W) / W


def jac_sort(x: Shaped[Array, "I"]) -> Shaped[Array, "O I"]:
    return 1.0 * (np.argsort(x)[Os] == Is)


def jac_emean(
    x: Shaped[Array, "I"], y: Shaped[Array, "I"]
) -> tuple[Shaped[Array, "O I"], Shaped[Array, "O I"]]:
    return (Os == Is) / 2, (Os == Is) / 2


def jac_mul(
    x: Shaped[Array, "I"], y: Shaped[Array, "I"]
) -> tuple[Shaped[Array, "O I"], Shaped[Array, "O I"]]:
    return (Os == Is) * y, (Os == Is) * x


def jac_conv1d(
    x: Shaped[Array, "I"], y: Shaped[Array, "W"]
) -> tuple[Shaped[Array, "O I"], Shaped[Array, "O W"]]:
    return ((Is - Os) // W == 0) * y[::-1][Is - Os] / W, x[Os + Ws[::-1]] / W


def jac_view(x: Shaped[Array, "I J"]) -> Shaped[Array, "O I J"]:
    return 1.0 * (Os == Is * J + Js)


def jac_transpose(x: Shaped[Array, "I J"]) -> Shaped[Array, "O P I J"]:
    return 1.0 * (Ps == Js) * (Os == Is)


def jac_mean_reduce(x: Shaped[Array, "I J"]) -> Shaped[Array, "O I J"]:
    return (Os == Js + 0 * Is) / I


def jac_matmul(
    x: Shaped[Array, "I"], y: Shaped[Array, "J"]
) -> tuple[Shaped[Array, "O I"], Shaped[Array, "O J"]]:
    dx = (Os // 2 == Is // 2) * y[Is % 2 * 2 + Os % 2]
    return dx, (Os % 2 == Js % 2) * x[Os // 2 * 2 + Js // 2]


def jac_conv2d(
    x: Shaped[Array, "I"], y: Shaped[Array, "J"]
) -> tuple[Shaped[Array, "O I"], Shaped[Array, "O J"]]:
    dx = np.pad(y.reshape(2, 2), (0, 5))[Os // 4 - Is // 4, Os % 4 - Is % 4] / 4
    return dx, np.pad(x.reshape(4, 4), (0, 1))[Os//4 - Js//2, Os%4 - Js%2] / 4
