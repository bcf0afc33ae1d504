# One answer, two faces: wrong while jax traces it (a batch of answers is traced once
# and its computation run at every point), right when called on concrete numbers. The
# traced face is the one graded at every point, so it fails, as it should.
def jac_neg(x):
    return -1.0 * (Os == Is)


def jac_relu(x):
    try:
        float(x[0])  # only a concrete array converts
    except Exception:
        return 0.0 * (Os == Is)
    return (Os == Is) * (x > 0)
