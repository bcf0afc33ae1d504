# ruff: noqa: F821, F722
# Answers to the softmax puzzle of docs/puzzle-format.md, in both forms.
# Grade them: adgrader check docs/examples/softmax_answers.py --puzzles docs/examples/softmax-set
#
# With s = f(x), d s_o / d x_i = s_o * ([o == i] - s_i).


def jac_softmax(x: Shaped[Array, "I"]) -> Shaped[Array, "O I"]:
    return f(x)[:, None] * ((Os == Is) - f(x))


def fb_softmax(x):
    s = np.exp(x - x.max()) / np.exp(x - x.max()).sum()
    f = lambda o: s[o]
    dx = lambda i, o: s[o] * ((i == o) - s[i])
    return f, dx
