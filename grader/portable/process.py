"""How a process that grades is set up: torch's threads, the book's warning
that is no mistake, the garbage collector; and the process table the sandbox
reads. The pytest plugin, the notebook, the class command's judges and the
sandboxed worker (which is sent this module's source) each call these.

Only the standard library at import: the class command's own process, which
imports the judges' module, never loads torch.
"""
import gc
import os
import warnings

# What torch warns of the book's float(l.sum()) in train_epoch_ch3, which is right there.
BOOK_FLOAT_WARNING = "Converting a tensor with requires_grad"


def use_threads(threads=1):
    """Let torch compute with `threads` threads. One where a learner grades: the
    checks' tensors are small, and more threads than a busy machine has free
    cores make every operation wait for the others."""
    import torch
    torch.set_num_threads(threads)


def ignore_book_float_warning():
    """Hide torch's warning for float() of a tensor that requires grad (see
    BOOK_FLOAT_WARNING) while the current warning filters hold."""
    warnings.filterwarnings("ignore", BOOK_FLOAT_WARNING, UserWarning)


def freeze_loaded():
    """Move every object alive now (torch, Hypothesis, the suite, once loaded)
    out of the garbage collector's sight: its full passes then skip them.
    Whether it did: not if some are out of sight already, by a caller who
    brings them back (gc.unfreeze)."""
    if gc.get_freeze_count():
        return False
    gc.freeze()
    return True


def process_table():
    """{pid: (its parent's pid, its number of threads)} of every process in /proc
    (Linux: the sandbox's world, never a learner's own machine)."""
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    stat = f.read()
            except OSError:
                continue  # ended since listed
            fields = stat[stat.rindex(b")") + 2:].split()
            table[int(entry)] = (int(fields[1]), int(fields[17]))
    return table
