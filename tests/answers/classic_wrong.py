# adgrader: set=classic
# One plausible WRONG answer per 2022 (classic) puzzle, in both forms; every one
# must fail at generic points. Each comment names the kind of mistake.


def fb_id(x):
    f = lambda o: x
    dx = lambda i, o: 2  # wrong factor
    return f, dx


def jac_cos(x):
    return np.sin(x)[None, :]  # wrong sign


def fb_mean(x):
    N = x.shape[0]
    f = lambda o: sum(x[i] for i in range(N)) / N
    dx = lambda i, o: 1  # wrong factor: no / N
    return f, dx


def jac_prod(x):
    return np.prod(x) / x  # wrong shape: (I,) instead of (1, I)


def jac_repeat(x):
    return np.ones((1, O))  # transposed: (1, O) instead of (O, 1)


def fb_repeat_scale(x):
    N = 50
    f = lambda o: x * (o / N)
    dx = lambda i, o: (o + 1) / N  # off by one
    return f, dx


def jac_neg(x):
    return np.eye(O, I)  # wrong sign


def fb_relu(x):
    f = lambda o: (x[o] > 0) * x[o]
    dx = lambda i, o: 1 * (i == o)  # missing term: the (x[o] > 0) gate
    return f, dx


def fb_index(x):
    f = lambda o: x[o + 10]
    dx = lambda i, o: 1 * (i == o + 9)  # off by one
    return f, dx


def jac_cumsum(x):
    return np.triu(np.ones((O, I))) / 20  # transposed


def fb_running(x):
    W = 10
    f = lambda o: sum([x[o - do] for do in range(W) if o - do >= 0]) / W
    dx = lambda i, o: (o - W <= i) * (i <= o) / W  # off by one: W + 1 wide
    return f, dx


def jac_sort(x):
    return np.eye(I)[np.argsort(x)].T  # transposed: the inverse permutation


def fb_emean(x, y):
    f = lambda o: (x[o] + y[o]) / 2
    dx = lambda i, o: (i == o) / 2
    dy = lambda j, o: 1 * (j == o)  # wrong factor: no / 2
    return f, dx, dy


def jac_mul(x, y):
    return np.diag(x), np.diag(y)  # wrong factor: x and y swapped


def fb_conv1d(x, y):
    W = 5
    f = lambda o: sum((x[o + j] * y[j]) / W for j in range(W))
    dx = lambda i, o: y[i - o] / W if 0 <= i - o < W else 0
    dy = lambda j, o: x[o + j + 1] / W  # off by one
    return f, dx, dy


def jac_view(x, y):
    dx = np.eye(R * C).reshape(R, C, R, C)
    return dx, np.zeros((R, C))  # wrong shape: d/dy is (R, C, C)


def fb_trans(x, y):
    f = lambda o, p: x[p, o]
    dx = lambda i, j, o, p: (i == o) * (j == p)  # transposed: not swapped
    dy = lambda j, o, p: 0
    return f, dx, dy


def jac_broadcast(x, y):
    dx = np.eye(R * C).reshape(R, C, R, C)  # missing term: the factor y[p]
    return dx, x[:, :, None] * np.eye(C)


def fb_mean_reduce(x, y):
    R = x.shape[0]
    f = lambda o, p: sum(x[di, p] for di in range(R)) / R
    dx = lambda i, j, o, p: (j == p) / C  # wrong factor: / C, not / R
    dy = lambda j, o, p: 0
    return f, dx, dy


def jac_matmul(x, y):
    dx = np.eye(M)[:, None, :, None] * y[None, :, None, :] / M  # transposed y
    dy = x[:, None, :, None] * np.eye(M)[None, :, None, :] / M
    return dx, dy


def fb_conv2d(x, y):
    kh, kw = y.shape
    f = lambda o, p: sum(x[o + di, p + dj] * y[di, dj] / (kh * kw)
                         for di in range(kh) for dj in range(kw))
    dx = lambda i, j, o, p: {i - o, j - p} <= {0, 1, 2} and y[i - o, j - p] / 9
    dy = lambda i, j, o, p: x[o + i, p + j] / kh  # wrong factor: / kh only
    return f, dx, dy
