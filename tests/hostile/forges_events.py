# Events forged from inside the answer process: it finds its own events pipe (through
# gc) and the request it is answering (on the stack), and writes what an honest
# answer process never sends. Each must end the process and fail that puzzle alone.
import gc
import os
import struct
import sys
import time

import jax
import msgspec
from adgrader.answers import protocol
from adgrader.answers.protocol import Array, Ready, Result


def events_fd():
    return next(o for o in gc.get_objects() if type(o).__name__ == "Worker").events_fd


def this_request():
    frame = sys._getframe()
    while frame is not None:
        request = frame.f_locals.get("request")
        if type(request).__name__ == "Eval":
            return request
        frame = frame.f_back
    raise LookupError("answered in a batch: ask again alone")  # then it is asked alone


def forge(x, make):
    if isinstance(x, jax.core.Tracer):
        raise TypeError("not while being compiled")
    request = this_request()
    data = memoryview(make(request, next(iter(request.points.values())).shape[0]))
    fd = events_fd()
    while data:
        data = data[os.write(fd, data):]
    time.sleep(60)  # until the grading side ends this process


def arrays(array, count):
    return ({"x": array},) * count


def jac_neg(x):  # bytes that lie about the array's shape
    lie = Array("<f8", (O, I), bytes(8))
    return forge(x, lambda r, n: protocol.encode(Result(r.seq, "ok", arrays=arrays(lie, n))))


def jac_relu(x):  # a start event sent again halfway through an answer
    return forge(x, lambda r, n: protocol.encode(Ready("kernel", "started again")))


def jac_cumsum(x):  # the result of another request
    return forge(x, lambda r, n: protocol.encode(Result(r.seq + 1, "ok")))


def jac_repeat(x):  # a million empty maps: a gigabyte of dicts if decoded
    def amplified(r, n):
        head = msgspec.msgpack.encode({"type": "result", "seq": r.seq, "status": "ok"})
        count = 1 << 20
        body = b"\x84" + head[1:] + b"\xa6arrays\xdd" + struct.pack(">I", count) + b"\x80" * count
        return struct.pack(">I", len(body)) + body

    return forge(x, amplified)


def jac_id(x):  # a shape of 10**18 entries
    monster = Array("<f8", (10**9, 10**9), b"")
    return forge(x, lambda r, n: protocol.encode(Result(r.seq, "ok", arrays=arrays(monster, n))))
