# adgrader: set=jax
# Right answers to some 2024 puzzles in the backward form: a class with forward and
# backward, or vjp_<id>(x[, y], g). Their Jacobians are rebuilt from one-hot g.


def vjp_id(x, g):
    return 2 * g


def vjp_cos(x, g):
    return -np.sin(x) * g


def vjp_mean(x, g):
    return g[0] / I + 0 * x


def vjp_neg(x, g):
    return -g


class Relu(ScalarFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * (x > 0)

    @staticmethod
    def backward(ctx, d_out):
        (x,) = ctx.saved_values
        return (x > 0) * d_out


def vjp_cumsum(x, g):
    return np.cumsum(g[::-1])[::-1] / 20


def vjp_emean(x, y, g):
    return g / 2, g / 2


class Matmul(ScalarFunction):
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x.reshape(2, 2), y.reshape(2, 2))
        return (x.reshape(2, 2) @ y.reshape(2, 2)).reshape(O)

    @staticmethod
    def backward(ctx, d_out):
        a, b = ctx.saved_values
        g = d_out.reshape(2, 2)
        return (g @ b.T).reshape(I), (a.T @ g).reshape(J)
