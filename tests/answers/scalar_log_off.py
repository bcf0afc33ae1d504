# adgrader: set=scalar
# MISTAKE: forward is off by 1e-3, a thousand times the tolerance; it fails at every seed.


class Log(ScalarFunction):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return math.log(a) + 1e-3

    @staticmethod
    def backward(ctx, d_output):
        (a,) = ctx.saved_values
        return d_output / a
