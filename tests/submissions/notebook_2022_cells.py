# adgrader: set=classic
# Cells of the 2022 notebook pasted as they are, with only the answer line filled in.


def fb_prod(x):
    pr = torch.prod(x)
    f = lambda o: pr
    dx = lambda i, o: pr / x[i] # Fill in this line
    return f, dx


def fb_cumsum(x):
    out = torch.cumsum(x, 0)
    f = lambda o: out[o] / 20
    dx = lambda o, i: (o <= i) / 20 # Fill in this line
    return f, dx


def fb_sort(x):
    sort, argsort = torch.sort(x, 0)
    f = lambda o: sort[o]
    dx = lambda i, o: 1.0 * (argsort[o] == i) # Fill in this line
    return f, dx


def fb_cos(x):
    f = lambda o: math.cos(x)
    dx = lambda i, o: -math.sin(x) # Fill in this line
    return f, dx


def fb_running(x):
    W = 10
    f = lambda o: sum([x[o-do] for do in range(W) if o-do >= 0]) / W
    dx = lambda i, o: 1 / W if 0 <= o - i < W else 0 # Fill in this line
    return f, dx


def fb_mm(x, y):
    _, M = x.shape
    f = lambda o, p: sum(x[o, d] * y[d, p] for d in range(M)) / M 
    dx = lambda i, j, o, p: (i == o) * y[j, p] / M # Fill in this line
    dy = lambda i, j, o, p: (j == p) * x[o, i] / M # Fill in this line
    return f, dx, dy
