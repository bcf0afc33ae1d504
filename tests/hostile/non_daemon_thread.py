import threading
import time

threading.Thread(target=time.sleep, args=(300,)).start()


def jac_neg(x):
    return -1.0 * (Os == Is)
