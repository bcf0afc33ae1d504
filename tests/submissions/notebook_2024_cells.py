# adgrader: set=jax
# Cells of the 2024 notebook pasted as they are, `jac` renamed, the answer filled in.

Is = np.arange(1)


def f(x: Shaped[Array, "1"]) -> Shaped[Array, "1"]:
    return 2 * x


def jac_id(x: Shaped[Array, "1"]) -> Shaped[Array, "1 1"]:
    return 2 + 0 * Is[None, :]  # fill in


I = 10
O = 10
Is = np.arange(I)
Os = np.arange(O)[:, None]


def f(x: Shaped[Array, "I"], y: Shaped[Array, "I"]) -> Shaped[Array, "O"]:
    return (x + y) / 2


def jac_emean(
    x: Shaped[Array, "I"], y: Shaped[Array, "I"]
) -> tuple[Shaped[Array, "O I"], Shaped[Array, "O I"]]:
    return 0.5 * (Os == Is), 0.5 * (Os == Is)  # fill in


def jac_sort(x: Shaped[Array, "I"]) -> Shaped[Array, "O I"]:
    return 1.0 * (np.argsort(x)[Os] == Is)  # fill in
