# adgrader: set=jax
# Answers right on only part of the bounds [-0.5, 0.5]: above 0. Each must fail at
# every seed, since the points reach below 0 in every coordinate.


def jac_cos(x: Shaped[Array, "1"]) -> Shaped[Array, "1 1"]:
    return -np.abs(np.sin(x))[None]  # right only for x > 0


def jac_relu(x: Shaped[Array, "I"]) -> Shaped[Array, "O I"]:
    return (Os == Is) * np.where(Is == 9, 1.0, x > 0)  # wrong only for x[9] < 0
