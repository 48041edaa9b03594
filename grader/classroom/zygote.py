"""The judge's handle on its sandbox: bubblewrap (grader.classroom.sandbox)
running the zygote of grader/portable/worker.py, which has imported torch once
and forks a fresh process for each context of a grading, the control socket
that starts and stops them, and the Channel of each. The zygote is sent the
portable modules the contexts run (RUNTIME), never the oracle or the recipes
whole. A sandbox that dies or starts more than MAX_TASKS processes is killed
and started again for the next request.
"""
import ast
import importlib.util
import json
import os
import pwd
import select
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
from pathlib import Path


from grader.grading import data as fashion_mnist
from grader.classroom import sandbox as sandbox_
from grader.portable import wire
from grader.i18n import _
from grader.portable.outcomes import TimedOut
from grader.portable.process import process_table


WORKER_SOURCE = Path(wire.__file__).with_name("worker.py").read_text()
# Modules a submission's process must never be sent whole: a context is sent
# only slices of them (grader.classroom.slicing).
WITHHELD = ("grader.portable.oracle", "grader.portable.recipes")


def _shipped(root):
    """{dotted name: source} of the module `root` and of the grader's modules it
    imports, directly or not: what the worker imports (its Shipped). ImportError
    if that would send a WITHHELD module."""
    found, todo = {}, [root]
    while todo:
        name = todo.pop()
        if name in found:
            continue
        if name.startswith(tuple(WITHHELD)):
            raise ImportError(f"{root} imports {name}, which the worker must not be sent")
        found[name] = Path(importlib.util.find_spec(name).origin).read_text()
        for node in ast.walk(ast.parse(found[name])):
            if isinstance(node, ast.Import):
                todo += [a.name for a in node.names if a.name.startswith("grader.")]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("grader."):
                # from grader.portable import wire: the module, or a module in it
                todo += [node.module] + [f"{node.module}.{a.name}" for a in node.names
                                         if _is_module(f"{node.module}.{a.name}")]
    return found


def _is_module(name):
    try:
        return importlib.util.find_spec(name) is not None
    except ImportError:  # a name in a module that is no package
        return False


# The portable modules a submission's process runs, sent to the worker's zygote.
RUNTIME = {**_shipped("grader.portable.serving"), **_shipped("grader.portable.process")}

# Beyond the worker's own alarm, how long to wait before killing it.
GRACE = 5.0
STARTUP = 120.0
# The largest reply the judge reads, far above the largest real one (a training
# run's weights per epoch).
MAX_REPLY = 16 << 20
# Processes (and threads) a sandbox may run at once: a context's, its
# DataLoader's four workers and their threads fit well under it.
MAX_TASKS = 256
SIZE = struct.Struct("<Q")


class WorkerGone(Exception):
    """The context's process exited, was killed, or broke the protocol; str() says
    how, as the learner reads it."""


class SandboxBroken(Exception):
    """The sandbox could not be started or stopped: the grader's fault, not the
    submission's; str() says why (bwrap's own words included)."""


class Channel:
    """The judge's end of one context's socket: wire messages, read within a
    deadline and at most MAX_REPLY long."""

    def __init__(self, sock):
        self.sock = sock

    def send(self, message):
        try:
            self.sock.sendall(wire.encode(message))
        except OSError as e:
            raise WorkerGone(_("the process running it stopped answering")) from e

    def _read(self, size, deadline):
        data = bytearray(size)
        view, done = memoryview(data), 0
        while done < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.sock], [], [], remaining)[0]:
                raise TimedOut(None, "hard timeout")
            try:
                got = self.sock.recv_into(view[done:done + (1 << 20)])
            except OSError:
                got = 0
            if not got:
                raise WorkerGone(_("the process running it ended"))
            done += got
        return data

    def receive(self, timeout):
        deadline = time.monotonic() + timeout
        size, = SIZE.unpack(self._read(SIZE.size, deadline))
        if size > MAX_REPLY:
            raise WorkerGone(_("it sent a message too large to be a reply"))
        body = self._read(size, deadline)
        try:
            message = wire.decode(body)
        except Exception as e:  # noqa: BLE001 - anything unreadable is a broken protocol
            raise WorkerGone(_("it sent something that is not a reply ({error})").format(
                error=type(e).__name__)) from e
        if not isinstance(message, dict) or not isinstance(message.get("kind"), str):
            raise WorkerGone(_("it sent something that is not a reply ({error})").format(
                error=type(message).__name__))
        return message

    def close(self):
        self.sock.close()


class Sandbox:
    """A judge's sandbox: bwrap running the zygote of grader/portable/worker.py (or the
    zygote alone, sandbox=False), started on first use and again after it dies.
    `user`: run it as that user (a name; None: as this process)."""

    def __init__(self, *, threads=1, sandbox=True, user=None):
        self.threads, self.sandboxed, self.user = threads, sandbox, user
        self.proc = self.control = None
        self.scratch = None
        self.mapped = None
        self.why_killed = None

    @property
    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def launch(self):
        self.kill()
        control, theirs = socket.socketpair()
        self.scratch = None if self.sandboxed else tempfile.mkdtemp(prefix="d2lkit-worker-")
        command = [sandbox_.interpreter(), "-I", "-S", "-c", WORKER_SOURCE, str(theirs.fileno())]
        data_file = fashion_mnist.cache_file()
        seccomp = sandbox_.seccomp_file() if self.sandboxed else None
        shared = fashion_mnist.raw_folders_to_share() + ([data_file] if data_file else [])
        keep = [theirs.fileno()] + ([] if seccomp is None else [seccomp])
        try:
            self.proc = subprocess.Popen(
                sandbox_.wrap(command, shared, seccomp) if self.sandboxed else command,
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                pass_fds=keep, start_new_session=True, **self._identity())
        finally:
            theirs.close()
            if seccomp is not None:
                os.close(seccomp)
        self.control, self.why_killed, self.stderr = control, None, bytearray()
        threading.Thread(target=self._drain, args=(self.proc,), daemon=True).start()
        threading.Thread(target=self._watch, args=(self.proc,), daemon=True).start()
        scratch = ["/tmp", "/dev/shm"] if self.sandboxed else [self.scratch]
        self._send({"site": sandbox_.site_dirs(), "threads": self.threads,
                    "data_file": data_file, "scratch": scratch, "modules": RUNTIME})
        ready = self._receive(STARTUP)
        self.mapped = data_file if ready.get("mapped") else None

    def _identity(self):
        """Popen arguments that run the zygote as `user`, with a home of its own and
        no environment of ours."""
        if self.user is None:
            return {}
        entry = pwd.getpwnam(self.user)
        if self.scratch:
            os.chown(self.scratch, entry.pw_uid, entry.pw_gid)
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": [],
                "env": {"HOME": self.scratch or "/tmp", "PATH": os.defpath}}

    def _drain(self, proc):
        """Keep the last 4 KB of what the sandbox writes to stderr (bwrap's own errors)."""
        for line in proc.stderr:
            self.stderr = (self.stderr + line)[-4096:]

    def _watch(self, proc):
        """Kill the sandbox if it runs more than MAX_TASKS processes and threads at
        once (RLIMIT_NPROC holds that for a grading user other than root, whom it
        does not bind)."""
        while proc.poll() is None:
            if _tasks_under(proc.pid) > MAX_TASKS:
                self.why_killed = _("it started more than {count} processes and threads at"
                                    " once").format(count=MAX_TASKS)
                _kill_group(proc)
                return
            time.sleep(0.1)

    def _send(self, message, fds=()):
        data = json.dumps(message).encode()
        data = SIZE.pack(len(data)) + data
        try:
            sent = socket.send_fds(self.control, [data], list(fds)) if fds else 0
            self.control.sendall(data[sent:])
        except OSError as e:
            raise SandboxBroken(self.ended()) from e

    def _receive(self, timeout):
        deadline = time.monotonic() + timeout
        data = b""
        while len(data) < SIZE.size or len(data) < SIZE.size + SIZE.unpack(data[:SIZE.size])[0]:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.control], [], [], remaining)[0]:
                raise SandboxBroken(_("the sandbox did not answer within {seconds} s").format(
                    seconds=f"{timeout:g}"))
            try:
                chunk = self.control.recv(1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                raise SandboxBroken(self.ended())
            data += chunk
        return json.loads(data[SIZE.size:])

    def ended(self):
        """Why the sandbox is gone, bwrap's last words included."""
        self.kill()
        said = bytes(self.stderr).decode(errors="replace").strip().splitlines()[-3:]
        return _("the sandbox ended with exit status {status}{said}").format(
            status=self.proc.returncode if self.proc else None,
            said=(": " + " ".join(said)) if said else "")

    def open(self, limits):
        """A Channel to a new context's process; the sandbox is launched again if
        it is gone (a context's code may have ended it)."""
        for attempt in range(2):
            if not self.alive or attempt:
                self.launch()
            ours, theirs = socket.socketpair()
            try:
                self._send({"kind": "start", "limits": limits}, [theirs.fileno()])
                if self._receive(GRACE).get("kind") == "started":
                    return Channel(ours)
            except SandboxBroken:
                pass
            finally:
                theirs.close()
            ours.close()
        raise SandboxBroken(_("the sandbox did not start a process: {why}").format(
            why=self.ended()))

    def close(self, channel):
        """End `channel`'s context: its process, what it started and what it wrote."""
        channel.close()
        if not self.alive:
            return
        try:
            self._send({"kind": "stop"})
            if self._receive(GRACE * 2).get("kind") != "stopped":
                raise SandboxBroken("stop")
        except (SandboxBroken, ValueError):
            self.kill()

    def kill(self):
        if self.proc is not None:
            _kill_group(self.proc)
            self.proc.wait()
        if self.control is not None:
            self.control.close()
            self.control = None
        if self.scratch:
            import shutil
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None


def per_namespace_counts():
    """Whether this kernel counts a user's processes per user namespace (Linux
    5.14 and later), so that RLIMIT_NPROC in the sandbox counts only its own."""
    import platform
    try:
        major, minor = (int(part) for part in platform.release().split(".")[:2])
    except ValueError:
        return False
    return (major, minor) >= (5, 14)


def _kill_group(proc):
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            proc.kill()


def _tasks_under(root):
    """The tasks (threads of every process) of `root`'s process tree."""
    table, children = process_table(), {}
    for pid, (parent, _threads) in table.items():
        children.setdefault(parent, []).append(pid)
    count, todo = 0, [root]
    while todo:
        pid = todo.pop()
        count += table[pid][1] if pid in table else 0
        todo += children.get(pid, [])
    return count


