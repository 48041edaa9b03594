"""The book's Timer (3.1) on a clock of the kit's own: the Timer recipe."""
from .plain import is_list_of, is_numbers, number, numbers


class FakeClock:
    """A clock that moves only when told: while in use, time.time, time.perf_counter
    and time.monotonic all read it (the book's Timer reads time.time). `reads`
    counts how often it was read."""
    NAMES = ("time", "perf_counter", "monotonic")

    def __init__(self, now):
        self.now, self.reads = now, 0

    def read(self):
        self.reads += 1
        return self.now

    def __enter__(self):
        import time
        self.saved = {name: getattr(time, name) for name in self.NAMES}
        for name in self.NAMES:
            setattr(time, name, self.read)
        return self

    def __exit__(self, *exc):
        import time
        for name, fn in self.saved.items():
            setattr(time, name, fn)


def drive_timer(fns, steps, *, start=1_700_000_000.0, reads=False):
    """fns.Timer() on a FakeClock at `start`, through `steps`: ("wait", seconds)
    moves the clock; ("start",), ("stop",), ("avg",), ("sum",), ("cumsum",) call
    that method. Returns what each call but start() returned, in order: number()s,
    and numbers() for cumsum (text if it is not a list or tuple). With reads: how
    many times each of those calls read the FakeClock, instead (a Timer that
    reads another clock reads it 0 times in stop())."""
    seen = []
    with FakeClock(start) as clock:
        timer = fns.Timer()
        for step in steps:
            if step[0] == "wait":
                clock.now += step[1]
                continue
            before = clock.reads
            value = getattr(timer, step[0])()
            if step[0] == "start":
                continue  # it returns nothing the book uses
            if reads:
                seen.append(float(clock.reads - before))
            elif step[0] == "cumsum" and not isinstance(value, (list, tuple)):
                seen.append(f"{type(value).__name__}: {value!r:.120}")
            else:
                seen.append(numbers(value) if step[0] == "cumsum" else number(value))
    return seen


# What each recipe here returns, as a test of a worker's reply (grader.classroom.remote).
RESULTS = {"drive_timer": lambda result: is_list_of(result, is_numbers)}
