import a_module_that_does_not_exist  # noqa: F401


def jac_neg(x):
    return -1 * (Os == Is)
