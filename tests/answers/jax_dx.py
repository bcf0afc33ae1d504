# adgrader: set=jax
# Every 2024 (JAX) puzzle answered correctly in the dx form (fb_<id>).
# dx takes the input index components, then the output index components.


def fb_id(x):
    f = lambda o: 2 * x[o]
    dx = lambda i, o: 2.0
    return f, dx


def fb_cos(x):
    f = lambda o: math.cos(x[o])
    dx = lambda i, o: -math.sin(x[i])
    return f, dx


def fb_mean(x):
    f = lambda o: sum(x) / I
    dx = lambda i, o: 1 / I
    return f, dx


def fb_prod(x):
    f = lambda o: math.prod(x)
    dx = lambda i, o: math.prod(x[k] for k in range(I) if k != i)
    return f, dx


def fb_repeat(x):
    f = lambda o: x[0]
    dx = lambda i, o: 1.0
    return f, dx


def fb_repeat_scale(x):
    f = lambda o: x[0] * o / O
    dx = lambda i, o: o / O
    return f, dx


def fb_neg(x):
    f = lambda o: -x[o]
    dx = lambda i, o: -1.0 * (i == o)
    return f, dx


def fb_relu(x):
    f = lambda o: x[o] * (x[o] > 0)
    dx = lambda i, o: (i == o) * (x[i] > 0)
    return f, dx


def fb_index(x):
    f = lambda o: x[o + 10]
    dx = lambda i, o: 1.0 * (i == o + 10)
    return f, dx


def fb_cumsum(x):
    f = lambda o: sum(x[: o + 1]) / 20
    dx = lambda i, o: (i <= o) / 20
    return f, dx


def fb_running_mean(x):
    f = lambda o: sum(x[o + k] for k in range(W)) / W
    dx = lambda i, o: (o <= i) * (i < o + W) / W
    return f, dx


def fb_sort(x):
    order = x.argsort()
    f = lambda o: x[order[o]]
    dx = lambda i, o: 1.0 * (order[o] == i)
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
    # np.convolve flips the kernel: f[o] = sum_k x[o + W - 1 - k] * y[k] / W
    f = lambda o: sum(x[o + W - 1 - k] * y[k] for k in range(W)) / W
    dx = lambda i, o: y[o + W - 1 - i] / W if 0 <= i - o < W else 0
    dy = lambda j, o: x[o + W - 1 - j] / W
    return f, dx, dy


def fb_view(x):
    f = lambda o: x[o // J, o % J]
    dx = lambda i, j, o: 1.0 * (o == i * J + j)
    return f, dx


def fb_transpose(x):
    f = lambda o, p: x[p, o]
    dx = lambda i, j, o, p: (i == p) * (j == o)
    return f, dx


def fb_mean_reduce(x):
    f = lambda o: sum(x[:, o]) / I
    dx = lambda i, j, o: (j == o) / I
    return f, dx


def fb_matmul(x, y):
    # out[2r + c] = sum_k x[2r + k] * y[2k + c]
    f = lambda o: sum(x[o // 2 * 2 + k] * y[2 * k + o % 2] for k in range(2))
    dx = lambda i, o: (i // 2 == o // 2) * y[i % 2 * 2 + o % 2]
    dy = lambda j, o: (j % 2 == o % 2) * x[o // 2 * 2 + j // 2]
    return f, dx, dy


def fb_conv2d(x, y):
    # "same" keeps the top-left 4x4 of the full convolution:
    # out[m, n] = sum_{a, b} X[m - a, n - b] * Y[a, b] / 4, o = 4m + n
    def dx(i, o):
        a, b = o // 4 - i // 4, o % 4 - i % 4
        return y[2 * a + b] / 4 if a in (0, 1) and b in (0, 1) else 0

    def dy(j, o):
        (m, n), (a, b) = divmod(o, 4), divmod(j, 2)
        return x[o - 4 * a - b] / 4 if m >= a and n >= b else 0

    f = lambda o: sum(dy(j, o) * y[j] for j in range(J))
    return f, dx, dy
