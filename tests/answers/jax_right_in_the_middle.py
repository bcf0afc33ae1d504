# adgrader: set=jax
# Answers right on only part of the bounds [-0.5, 0.5]: within a quarter of the width
# of the middle. Each must fail at every seed, since the points reach the outer
# quarter on each side in every coordinate.


def jac_cos(x: Shaped[Array, "1"]) -> Shaped[Array, "1 1"]:
    return np.where(np.abs(x) < 0.25, -np.sin(x), 0.0)[None]  # right only for |x| < 0.25


def jac_relu(x: Shaped[Array, "I"]) -> Shaped[Array, "O I"]:
    return (Os == Is) * np.where((Is == 9) & (np.abs(x) >= 0.25), 0.5, x > 0)
