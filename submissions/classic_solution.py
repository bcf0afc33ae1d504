# adgrader: set=classic
# A full solution to the 2022 Autodiff Puzzles, in the notebook's `fb_` style.
# Grade it with: adgrader check submissions/classic_solution.py


def fb_id(x):
    f = lambda o: x
    dx = lambda i, o: 1
    return f, dx


def fb_cos(x):
    f = lambda o: math.cos(x[0])
    dx = lambda i, o: -math.sin(x[i])
    return f, dx


def fb_mean(x):
    N = x.shape[0]
    f = lambda o: sum(x[i] for i in range(N)) / N
    dx = lambda i, o: 1 / N
    return f, dx


def fb_prod(x):
    pr = math.prod(x)
    f = lambda o: pr
    dx = lambda i, o: math.prod(x[k] for k in range(len(x)) if k != i)
    return f, dx


def fb_repeat(x):
    f = lambda o: x
    dx = lambda i, o: 1
    return f, dx


def fb_repeat_scale(x):
    N = 50
    f = lambda o: x * (o / N)
    dx = lambda i, o: o / N
    return f, dx


def fb_neg(x):
    f = lambda o: -x[o]
    dx = lambda i, o: -1 * (i == o)
    return f, dx


def fb_relu(x):
    f = lambda o: (x[o] > 0) * x[o]
    dx = lambda i, o: (i == o) * (x[o] > 0)
    return f, dx


def fb_index(x):
    f = lambda o: x[o + 10]
    dx = lambda i, o: 1 * (i == o + 10)
    return f, dx


def fb_cumsum(x):
    out = x.cumsum(0)
    f = lambda o: out[o] / 20
    dx = lambda i, o: (i <= o) / 20
    return f, dx


def fb_running(x):
    W = 10
    f = lambda o: sum([x[o - do] for do in range(W) if o - do >= 0]) / W
    dx = lambda i, o: (o - W < i) * (i <= o) / W
    return f, dx


def fb_sort(x):
    sort, argsort = torch.sort(x, 0)
    f = lambda o: sort[o]
    dx = lambda i, o: 1 * (argsort[o] == i)
    return f, dx


def fb_emean(x, y):
    f = lambda o: (x[o] + y[o]) / 2
    dx = lambda i, o: (i == o) / 2
    dy = lambda j, o: (j == o) / 2
    return f, dx, dy


def fb_mul(x, y):
    f = lambda o: x[o] * y[o]
    dx = lambda i, o: (i == o) * y[o]
    dy = lambda j, o: (j == o) * x[o]
    return f, dx, dy


def fb_conv1d(x, y):
    W = 5
    f = lambda o: sum((x[o + j] * y[j]) / W for j in range(W))
    dx = lambda i, o: y[i - o] / W if 0 <= i - o < W else 0
    dy = lambda j, o: x[o + j] / W
    return f, dx, dy


def fb_view(x, y):
    f = lambda o, p: x[o, p]
    dx = lambda i, j, o, p: (i == o) * (j == p)
    dy = lambda j, o, p: 0
    return f, dx, dy


def fb_trans(x, y):
    f = lambda o, p: x[p, o]
    dx = lambda i, j, o, p: (i == p) * (j == o)
    dy = lambda j, o, p: 0
    return f, dx, dy


def fb_broad(x, y):
    f = lambda o, p: x[o, p] * y[p]
    dx = lambda i, j, o, p: (i == o) * (j == p) * y[p]
    dy = lambda j, o, p: (j == p) * x[o, p]
    return f, dx, dy


def fb_mean_reduce(x, y):
    R = x.shape[0]
    f = lambda o, p: sum(x[di, p] for di in range(R)) / R
    dx = lambda i, j, o, p: (j == p) / R
    dy = lambda j, o, p: 0
    return f, dx, dy


def fb_mm(x, y):
    _, M = x.shape
    f = lambda o, p: sum(x[o, d] * y[d, p] for d in range(M)) / M
    dx = lambda i, j, o, p: (i == o) * y[j, p] / M
    dy = lambda i, j, o, p: (j == p) * x[o, i] / M
    return f, dx, dy


def fb_conv2d(x, y):
    kh, kw = y.shape
    f = lambda o, p: sum(x[o + di, p + dj] * y[di, dj] / (kh * kw)
                         for di in range(kh) for dj in range(kw))
    dx = lambda i, j, o, p: {i - o, j - p} <= {0, 1, 2} and y[i - o, j - p] / 9
    dy = lambda i, j, o, p: x[o + i, p + j] / (kh * kw)
    return f, dx, dy
