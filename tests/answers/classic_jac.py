# adgrader: set=classic
# Every 2022 (classic) puzzle answered correctly in the jac form (jac_<id>).
# The classic set binds only dims (I, O, W, R, C, M, H, KH...), no index arrays.


def jac_id(x):
    return np.ones((1, 1))


def jac_cos(x):
    return -np.sin(x)[None, :]


def jac_mean(x):
    return np.ones((1, I)) / I


def jac_prod(x):
    return np.prod(np.where(np.eye(I, dtype=bool), 1.0, x), axis=1)[None, :]


def jac_repeat(x):
    return np.ones((O, 1))


def jac_repeat_scale(x):
    return (np.arange(O) / O)[:, None]


def jac_neg(x):
    return -np.eye(O, I)


def jac_relu(x):
    return np.eye(O, I) * (x > 0)


def jac_index(x):
    return np.eye(O, I, k=10)


def jac_cumsum(x):
    return np.tril(np.ones((O, I))) / 20


def jac_running_mean(x):
    d = np.arange(O)[:, None] - np.arange(I)
    return ((d >= 0) & (d < W)) / W


def jac_sort(x):
    return np.eye(I)[np.argsort(x)]


def jac_emean(x, y):
    return np.eye(O, I) / 2, np.eye(O, I) / 2


def jac_mul(x, y):
    return np.diag(y), np.diag(x)


def jac_conv1d(x, y):
    d = np.arange(I) - np.arange(O)[:, None]
    dx = ((d >= 0) & (d < W)) * y[np.clip(d, 0, W - 1)] / W
    return dx, x[np.arange(O)[:, None] + np.arange(W)] / W


def jac_view(x, y):
    return np.eye(R * C).reshape(R, C, R, C), np.zeros((R, C, C))


def jac_transpose(x, y):
    dx = np.eye(C)[:, None, None, :] * np.eye(R)[None, :, :, None]
    return dx, np.zeros((C, R, C))


def jac_broadcast(x, y):
    dx = np.eye(R * C).reshape(R, C, R, C) * y[None, :, None, None]
    return dx, x[:, :, None] * np.eye(C)


def jac_mean_reduce(x, y):
    dx = np.eye(C)[None, :, None, :] * np.ones((1, 1, R, 1)) / R
    return dx, np.zeros((1, C, C))


def jac_matmul(x, y):
    dx = np.eye(M)[:, None, :, None] * y.T[None, :, None, :] / M
    dy = x[:, None, :, None] * np.eye(M)[None, :, None, :] / M
    return dx, dy


def jac_conv2d(x, y):
    o, p = np.arange(OH)[:, None, None, None], np.arange(OW)[:, None, None]
    i, j = np.arange(H)[:, None], np.arange(W)
    # y padded with zeros: offsets outside 0..2 (negative ones wrap) read 0
    dx = np.pad(y, (0, H - KH))[i - o, j - p] / (KH * KW)
    a, b = np.arange(KH)[:, None], np.arange(KW)
    return dx, x[o + a, p + b] / (KH * KW)
