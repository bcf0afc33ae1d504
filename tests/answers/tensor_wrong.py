# adgrader: set=tensor
# One plausible WRONG answer per tensor puzzle; each fails at some graded point
# (log_softmax only at its large-score probe). Each MISTAKE comment names it.


# MISTAKE: g is ignored: this is the gradient of the sum itself, not a vjp
def vjp_sum(x, g):
    return np.ones_like(x)


# MISTAKE: no division by the number of rows averaged
def vjp_mean(x, g):
    return np.broadcast_to(g[None, :], x.shape)


# MISTAKE: g is permuted by (2, 0, 1) again instead of by its inverse
def vjp_permute(x, g):
    return np.transpose(g, (2, 0, 1))


# MISTAKE: g is unflattened column by column instead of row by row
def vjp_view(x, g):
    return g.reshape(x.shape[::-1]).T


# MISTAKE: y's gradient averages over the broadcast axis instead of summing
def vjp_add_broadcast(x, y, g):
    return g.sum(axis=1, keepdims=True), g.mean(axis=0)


# MISTAKE: the factors are swapped: each input's gradient uses itself
def vjp_mul(x, y, g):
    return x * g, y * g


# MISTAKE: y's gradient is left transposed, shape (J, K) instead of (K, J)
def vjp_matmul(x, y, g):
    return g @ y.T, g.T @ x


# MISTAKE: A's gradient has its j0 and j1 axes swapped by the final transpose
def vjp_tensordot(x, y, g):
    gx = np.tensordot(g, y, axes=([2, 3], [0, 3]))  # (j0, j1, d1, d0)
    gy = np.tensordot(g, x, axes=([0, 1], [1, 3]))  # (j2, j3, d0, d1)
    return np.transpose(gx, (3, 1, 2, 0)), np.transpose(gy, (0, 3, 2, 1))


# MISTAKE: softmax from np.exp(x) without subtracting the max: overflows
def vjp_log_softmax(x, g):
    s = np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True)
    return g - s * g.sum(axis=-1, keepdims=True)


# MISTAKE: forgets to divide by the batch size (a sum, not a mean)
def vjp_cross_entropy(x, g):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    s = e / e.sum(axis=1, keepdims=True)
    one_hot = np.arange(x.shape[1]) == labels[:, None]
    return g * (s - one_hot)
