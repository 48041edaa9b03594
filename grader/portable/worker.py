"""The sandbox's side of the trust boundary: a zygote and, one at a time, the
processes that run a submission's code.

The judge (grader.classroom.remote) starts this as `python -I -S -c <this source> FD` inside
the sandbox, FD the zygote's end of a control socket. The zygote imports torch,
torchvision and pyplot once (a process that runs the learner's code needs them
all), then waits. For each context of a grading (the learner's exercises one set
of requests calls) the judge sends, over the control socket, the end of a new
socket for that context; the zygote forks a child for it, which closes the
control socket before anything else runs, imports the learner's modules from the
files the judge sends it, and answers requests until the judge hangs up. When
the judge says `stop`, the zygote kills the child and everything it started, and
empties the scratch folders, so that nothing a context ran, wrote or started is
there when the next begins. The zygote never runs a submission's code and cannot
be read by it (it is not dumpable).

The judge sends the zygote the sources of the kit's portable modules that a
context runs (grader.portable.serving and what it imports), which it imports by
their own names (Shipped). A context never holds the grader's truth for its own
exercises: those sources hold none, and the judge sends a context the source of
the oracle's functions that its requests use as stand-ins (the exercises its
exercises call, the partners of a training recipe) and of the recipes
themselves, never those of an exercise in the context; a later context starts
from the zygote, not from an earlier one.

Only the standard library here (torch once the judge has said how many threads).
"""
import importlib.abc
import importlib.util
import os
import resource
import shutil
import signal
import socket
import struct
import sys

SIZE = struct.Struct("<Q")


def recv_exactly(sock, size):
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(min(size - len(data), 1 << 20))
        if not chunk:
            raise EOFError
        data += chunk
    return bytes(data)


def receive_control(sock):
    """A control message (JSON) and the descriptors that came with it."""
    import json
    head, fds, _flags, _addr = socket.recv_fds(sock, SIZE.size, 4)
    if len(head) < SIZE.size:
        head += recv_exactly(sock, SIZE.size - len(head))
    return json.loads(recv_exactly(sock, SIZE.unpack(head)[0])), fds


def send_control(sock, message):
    import json
    data = json.dumps(message).encode()
    sock.sendall(SIZE.pack(len(data)) + data)


def map_data(path):
    """The judge's Fashion-MNIST cache file (grader.grading.data) mapped
    copy-on-write, its pages shared with the judge's; None without one, or if
    it cannot be read here."""
    import torch
    try:
        return torch.load(path, weights_only=True, mmap=True) if path else None
    except Exception:
        return None


class Shipped(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports the kit's modules from the sources the judge sent, {dotted name:
    source}, so that they import one another as in the grader's own process
    (from grader.portable.seam import Learner). A package on their way (grader,
    grader.portable) is empty and has no folder: nothing else of it imports."""

    def __init__(self, sources):
        self.sources = sources

    def find_spec(self, name, path=None, target=None):
        package = any(shipped.startswith(name + ".") for shipped in self.sources)
        if name in self.sources or package:
            return importlib.util.spec_from_loader(name, self, is_package=package)
        return None

    def create_module(self, spec):
        return None  # a plain module

    def exec_module(self, module):
        name = module.__name__
        source = self.sources.get(name, "")
        exec(compile(source, name.replace(".", "/") + ".py", "exec"), module.__dict__)


PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 1, 4, 36


def prctl(option, value):
    import ctypes
    ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)


def limit_child(limits):
    """Caps of a context's process: CPU seconds, memory it may add to what it holds
    now, the size of a file it writes, its open files, and (where the judge asks)
    the processes and threads of its user. Freed buffers of 1 MB and more go back
    to the system."""
    import ctypes
    ctypes.CDLL(None).mallopt(-3, 1 << 20)  # M_MMAP_THRESHOLD
    caps = {resource.RLIMIT_CPU: limits["cpu_seconds"],
            resource.RLIMIT_FSIZE: limits["file_mb"] << 20,
            resource.RLIMIT_NOFILE: limits["open_files"]}
    if limits["tasks"]:
        caps[resource.RLIMIT_NPROC] = limits["tasks"]
    if limits["memory_mb"]:
        with open("/proc/self/statm") as f:
            in_use = int(f.read().split()[0]) * resource.getpagesize()
        caps[resource.RLIMIT_AS] = in_use + (limits["memory_mb"] << 20)
    for which, cap in caps.items():
        soft, hard = resource.getrlimit(which)
        cap = cap if hard == resource.RLIM_INFINITY else min(cap, hard)
        resource.setrlimit(which, (cap, cap))


def child(control, fds, message, serving, data):
    """A context's process: what runs before the learner's code, then serving."""
    control.close()
    for number in range(1, signal.NSIG):
        try:
            signal.signal(number, signal.SIG_DFL)
        except (OSError, ValueError):
            pass
    sock = socket.socket(fileno=fds[0])
    channel = sock.makefile("rwb")
    # Whatever the submission prints goes nowhere, and cannot mix with the replies.
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.chdir(message["scratch"])
    limit_child(message["limits"])
    try:
        serving.Serving(channel, data).serve(message["scratch"])
    finally:
        os._exit(0)


def reap_all_but(keep):
    """Kill every descendant of this process (a subreaper: orphans come to it)
    and reap them, until none is left; `keep`: pids spared."""
    me, process = os.getpid(), importlib.import_module("grader.portable.process")
    while True:
        children = [pid for pid, (parent, _threads) in process.process_table().items()
                    if parent == me and pid not in keep]
        if not children:
            break
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        _reap()


def _reap():
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            import time
            time.sleep(0.005)
            return


def wipe(folders):
    """Empty `folders` (the scratch a context may write), whatever it made unreadable."""
    def writable_again(function, path, _info):
        try:
            os.chmod(os.path.dirname(path), 0o700)
            os.chmod(path, 0o700)
            function(path)
        except OSError:
            pass
    for folder in folders:
        for entry in os.listdir(folder) if os.path.isdir(folder) else ():
            path = os.path.join(folder, entry)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, onerror=writable_again)
            else:
                try:
                    os.unlink(path)
                except OSError:
                    pass


def main():
    control = socket.socket(fileno=int(sys.argv[1]))
    config, _ = receive_control(control)
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    sys.path[:0] = config["site"]
    # Figures are drawn, never shown, here: pyplot picks no window system.
    os.environ["MPLBACKEND"] = "Agg"
    os.environ["HOME"] = config["scratch"][0]
    sys.meta_path.insert(0, Shipped(config["modules"]))
    importlib.import_module("grader.portable.process").use_threads(config["threads"])
    # The book's training.py reads with torchvision and draws with pyplot: imported
    # once here, so that no context pays for them and the learner's import time
    # limit counts only the learner's own code. The code runs on the CPU: triton,
    # the GPU compiler torch._dynamo loads if it is installed, is not importable,
    # as with the CPU build of torch.
    sys.modules["triton"] = None
    for name in ("torchvision", "matplotlib.pyplot"):
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    data = map_data(config["data_file"])
    serving = importlib.import_module("grader.portable.serving")
    # A context's process cannot read this one's memory or descriptors, and
    # the processes a context leaves behind come to this one to be ended.
    prctl(PR_SET_DUMPABLE, 0)
    prctl(PR_SET_CHILD_SUBREAPER, 1)
    send_control(control, {"kind": "ready", "mapped": data is not None})
    current = None
    while True:
        try:
            message, fds = receive_control(control)
        except EOFError:
            return
        if message["kind"] == "start" and current is None and len(fds) == 1:
            current = os.fork()
            if current == 0:
                child(control, fds, {**message, "scratch": config["scratch"][0]}, serving, data)
            os.close(fds[0])
            send_control(control, {"kind": "started"})
        else:
            for fd in fds:
                os.close(fd)
            reap_all_but(())
            wipe(config["scratch"])
            current = None
            send_control(control, {"kind": "stopped"})


main()
