# adgrader: set=jax
# Slips a learner makes: a typo, a missing return, a dx with too few indices, NaN.
def jac_neg(x):
    return -1 * (Os == Iss)

def jac_relu(x):
    return None

def fb_cumsum(x):
    f = lambda o: 0
    dx = lambda i: 1
    return f, dx

def jac_mean(x):
    return np.ones((1, 10)) * float("nan")
