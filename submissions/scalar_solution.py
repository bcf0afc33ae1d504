# adgrader: set=scalar
# A full solution to the scalar set, one MiniTorch-style class per puzzle.
# Grade it with: adgrader check submissions/scalar_solution.py


class Add(ScalarFunction):
    @staticmethod
    def forward(ctx, x, y):
        return x + y

    @staticmethod
    def backward(ctx, d_out):
        return d_out, d_out


class Mul(ScalarFunction):
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y

    @staticmethod
    def backward(ctx, d_out):
        x, y = ctx.saved_values
        return y * d_out, x * d_out


class Neg(ScalarFunction):
    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, d_out):
        return -d_out


class Inv(ScalarFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return 1.0 / x

    @staticmethod
    def backward(ctx, d_out):
        (x,) = ctx.saved_values
        return -d_out / (x * x)


class Log(ScalarFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return math.log(x)

    @staticmethod
    def backward(ctx, d_out):
        (x,) = ctx.saved_values
        return d_out / x


class Exp(ScalarFunction):
    @staticmethod
    def forward(ctx, x):
        out = math.exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, d_out):
        (out,) = ctx.saved_values
        return out * d_out


class Sigmoid(ScalarFunction):
    @staticmethod
    def forward(ctx, x):
        if x >= 0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        ctx.save_for_backward(s)
        return s

    @staticmethod
    def backward(ctx, d_out):
        (s,) = ctx.saved_values
        return s * (1.0 - s) * d_out


class ReLU(ScalarFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x if x > 0 else 0.0

    @staticmethod
    def backward(ctx, d_out):
        (x,) = ctx.saved_values
        return d_out if x > 0 else 0.0


class LT(ScalarFunction):
    @staticmethod
    def forward(ctx, x, y):
        return 1.0 if x < y else 0.0

    @staticmethod
    def backward(ctx, d_out):
        return 0.0, 0.0


class EQ(ScalarFunction):
    @staticmethod
    def forward(ctx, x, y):
        return 1.0 if x == y else 0.0

    @staticmethod
    def backward(ctx, d_out):
        return 0.0, 0.0


class Max(ScalarFunction):
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x if x > y else y

    @staticmethod
    def backward(ctx, d_out):
        x, y = ctx.saved_values
        if x > y:
            return d_out, 0.0
        return 0.0, d_out


class MulLog(ScalarFunction):
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y + math.log(x)

    @staticmethod
    def backward(ctx, d_out):
        x, y = ctx.saved_values
        return (y + 1.0 / x) * d_out, x * d_out
