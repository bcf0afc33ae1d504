# adgrader: set=scalar
# One plausible WRONG answer per scalar puzzle, mostly classes, a few `vjp_`
# functions; each fails at some graded point. Each MISTAKE comment names it.


# MISTAKE: the gradient for y is dropped
def vjp_add(x, y, g):
    return g, 0.0 * g


# MISTAKE: the gradients are swapped: each input gets itself, not the other
class Mul(ScalarFunction):
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y

    @staticmethod
    def backward(ctx, d_out):
        x, y = ctx.saved_values
        return x * d_out, y * d_out


# MISTAKE: wrong sign: d_out is passed through unchanged
class Neg(ScalarFunction):
    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, d_out):
        return d_out


# MISTAKE: the power rule is misapplied: -1 / x instead of -1 / x**2
class Inv(ScalarFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return 1.0 / x

    @staticmethod
    def backward(ctx, d_out):
        (x,) = ctx.saved_values
        return -d_out / x


# MISTAKE: forgets to multiply by d_out
class Log(ScalarFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return math.log(x)

    @staticmethod
    def backward(ctx, d_out):
        (x,) = ctx.saved_values
        return 1.0 / x


# MISTAKE: wrong saved value: keeps x and returns x * d_out, not exp(x) * d_out
class Exp(ScalarFunction):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return math.exp(x)

    @staticmethod
    def backward(ctx, d_out):
        (x,) = ctx.saved_values
        return x * d_out


# MISTAKE: forgets to multiply by d_out
class Sigmoid(ScalarFunction):
    @staticmethod
    def forward(ctx, x):
        s = 1.0 / (1.0 + math.exp(-x))
        ctx.save_for_backward(s)
        return s

    @staticmethod
    def backward(ctx, d_out):
        (s,) = ctx.saved_values
        return s * (1.0 - s)


# MISTAKE: d_out passes through even where x is negative (no mask)
def vjp_relu(x, g):
    return g


# MISTAKE: the comparison is differentiated as if it were y - x
def vjp_lt(x, y, g):
    return -g, g


# MISTAKE: the indicator is given slope 1 in both inputs
class EQ(ScalarFunction):
    @staticmethod
    def forward(ctx, x, y):
        return 1.0 if x == y else 0.0

    @staticmethod
    def backward(ctx, d_out):
        return d_out, d_out


# MISTAKE: d_out is sent to the smaller input instead of the larger one
class Max(ScalarFunction):
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x if x > y else y

    @staticmethod
    def backward(ctx, d_out):
        x, y = ctx.saved_values
        if x > y:
            return 0.0, d_out
        return d_out, 0.0


# MISTAKE: the log term is left out of the gradient for x
class MulLog(ScalarFunction):
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y + math.log(x)

    @staticmethod
    def backward(ctx, d_out):
        x, y = ctx.saved_values
        return y * d_out, x * d_out
