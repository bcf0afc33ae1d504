# adgrader: set=tensor
# A full solution to the tensor set, one `vjp_<id>` backward pass per puzzle.
# Grade it with: adgrader check submissions/tensor_solution.py


def vjp_sum(x, g):
    return np.broadcast_to(g[:, None], x.shape)


def vjp_mean(x, g):
    return np.broadcast_to(g[None, :], x.shape) / x.shape[0]


def vjp_permute(x, g):
    # the inverse of the permutation (2, 0, 1)
    return np.transpose(g, (1, 2, 0))


def vjp_view(x, g):
    return g.reshape(x.shape)


def vjp_add_broadcast(x, y, g):
    return g.sum(axis=1, keepdims=True), g.sum(axis=0)


def vjp_mul(x, y, g):
    return y * g, x * g


def vjp_matmul(x, y, g):
    return g @ y.T, x.T @ g


def vjp_tensordot(x, y, g):
    # g is (j0, j1, j2, j3), x is (d0, j0, d1, j1), y is (j2, d1, d0, j3)
    gx = np.tensordot(g, y, axes=([2, 3], [0, 3]))  # (j0, j1, d1, d0)
    gy = np.tensordot(g, x, axes=([0, 1], [1, 3]))  # (j2, j3, d0, d1)
    return np.transpose(gx, (3, 0, 2, 1)), np.transpose(gy, (0, 3, 2, 1))


def vjp_log_softmax(x, g):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    s = e / e.sum(axis=-1, keepdims=True)
    return g - s * g.sum(axis=-1, keepdims=True)


def vjp_cross_entropy(x, g):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    s = e / e.sum(axis=1, keepdims=True)
    one_hot = np.arange(x.shape[1]) == labels[:, None]
    return g * (s - one_hot) / x.shape[0]
