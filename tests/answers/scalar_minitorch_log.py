# adgrader: set=scalar
# MiniTorch's own Log: its operators.log is math.log(x + EPS) and operators.log_back
# is d / (x + EPS), with EPS = 1e-6. Right: it passes at every seed.


class Log(ScalarFunction):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return math.log(a + 1e-6)

    @staticmethod
    def backward(ctx, d_output):
        (a,) = ctx.saved_values
        return d_output / (a + 1e-6)
