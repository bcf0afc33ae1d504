# Answers whose values hang on something XLA does its own way: on the CPU it treats a
# subnormal number (1e-310) as 0, as jax does in a notebook, eager or compiled. The
# answer process may run a traced computation with numpy, which does not; what is
# graded must still be what jax computes. jac_neg is right only by jax's rule (it
# passes), jac_cumsum only by numpy's (it fails).
import jax.numpy as jnp


def jac_neg(x):
    flushed = (x * 0.0 + 1e-310) == 0
    return jnp.where(flushed, -1.0, 1.0) * (Os == Is)


def jac_cumsum(x):
    flushed = (x * 0.0 + 1e-310) == 0
    return jnp.where(flushed, 2.0, 1.0) * (Is <= Os) / 20
