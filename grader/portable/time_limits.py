"""Time limits on the learner's code: its calls, its imports, a notebook's cells."""
import ctypes
import signal
import threading
from contextlib import contextmanager

from grader.portable.outcomes import TimedOut
from grader.portable.said import _

# Whether time_limit may use SIGALRM; off on Windows, which has no SIGALRM (the
# kit's tests turn it off to try the fallback on Linux).
USE_SIGNALS = hasattr(signal, "setitimer")


@contextmanager
def time_limit(seconds, exercise):
    """Raise TimedOut in the thread running the block if the block runs longer
    than `seconds` (None: no limit). In the main thread, by SIGALRM, which also
    interrupts a blocking call such as time.sleep; elsewhere, or without SIGALRM
    (Windows), by a timer thread that raises it in the block's thread between
    two Python bytecodes, which ends any hang in Python code (not one inside a
    single C call)."""
    if seconds is None:
        yield
        return
    message = _("{exercise} did not finish within {seconds} s: is there a loop that never"
                " ends?").format(exercise=exercise, seconds=f"{seconds:g}")
    if not USE_SIGNALS or threading.current_thread() is not threading.main_thread():
        with _timer_limit(seconds, exercise, message):
            yield
        return

    def expire(signum, frame):
        raise TimedOut(exercise, message)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def _timer_limit(seconds, exercise, message):
    """time_limit's fallback: a timer thread raises TimedOut asynchronously."""
    class Expired(TimedOut):
        # An asynchronous exception is raised by its class, with no arguments, in
        # whatever code runs then.
        def __init__(self):
            super().__init__(exercise, message)
            self.sealed = True

    target, lock, state = ctypes.c_ulong(threading.get_ident()), threading.Lock(), {}

    def expire():
        with lock:
            if not state.get("done"):
                state["fired"] = True
                ctypes.pythonapi.PyThreadState_SetAsyncExc(target, ctypes.py_object(Expired))

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        with lock:
            state["done"] = True
            timer.cancel()
            if state.get("fired"):
                # The block may have ended before the exception arrived: take back
                # one still pending, so that it does not go off after the block.
                ctypes.pythonapi.PyThreadState_SetAsyncExc(target, None)
