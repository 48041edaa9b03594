"""The sandbox of a submission's code: bubblewrap (`bwrap`, what Flatpak uses).

Inside, the processes have their own PID, network, IPC, UTS and user namespaces
and no capabilities; they see read-only the interpreter, site-packages, the
system libraries and the Fashion-MNIST files a learner's loader reads, with a
read-only root: they write only to small private tmpfs at /tmp and /dev/shm
(SCRATCH_MB each). A seccomp filter refuses the system calls that would hold
memory no limit counts, or keep data beyond the life of a process, or reach
into another process (SECCOMP_DENIED). They see no other process, no network,
not the kit, no submission (the judge sends a context its files), the output
folder, the home folder or the data cache (but the files named above). They
die with the judge, and so does everything they start. Torch-free: the
command's parent checks it before grading.
"""
import os
import platform
import pwd
import shutil
import struct
import subprocess
import sys
import sysconfig

SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
SCRATCH_MB = 64
INSTALL_HINT = ("install bubblewrap (Debian/Ubuntu: `sudo apt install bubblewrap`), or grade"
                " without a sandbox with --no-sandbox (the submissions' code then runs with"
                " all the powers of the user running the grader)")
# System calls refused (EPERM) inside: memory outside RLIMIT_AS (memfd_create,
# memfd_secret), stores that outlive a process and so could carry data from one
# context to the next (System V and POSIX message queues, shared memory and
# semaphores, the kernel's keyrings), and reading or writing another process
# (ptrace and its relatives). Numbers by machine: x86_64, aarch64.
SECCOMP_DENIED = {
    "memfd_create": (319, 279), "memfd_secret": (447, 447), "mq_open": (240, 180),
    "shmget": (29, 194), "msgget": (68, 186), "semget": (64, 190), "add_key": (248, 217),
    "request_key": (249, 218), "keyctl": (250, 219), "ptrace": (101, 117),
    "process_vm_readv": (310, 270), "process_vm_writev": (311, 271), "pidfd_getfd": (438, 438),
}
AUDIT_ARCH = {"x86_64": (0xC000003E, 0), "aarch64": (0xC00000B7, 1)}


class SandboxUnavailable(Exception):
    """bwrap is missing or cannot create its namespaces here; str() says what to do."""


def site_dirs():
    """The folders the worker imports torch and numpy from."""
    return sorted({sysconfig.get_paths()[k] for k in ("purelib", "platlib")})


def interpreter():
    """The Python binary itself (a venv's bin/python is a link to it)."""
    return os.path.realpath(sys.executable)


def seccomp_filter():
    """The classic-BPF program of the filter (bwrap --seccomp), or None on a machine
    the table has no numbers for. It refuses SECCOMP_DENIED with EPERM and, on
    x86_64, every call of the x32 ABI (numbers from 0x40000000), which would name
    the same calls by other numbers."""
    machine = platform.machine()
    if machine not in AUDIT_ARCH:
        return None
    arch, column = AUDIT_ARCH[machine]
    numbers = sorted({row[column] for row in SECCOMP_DENIED.values()})
    ld, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06
    allow, deny = 0x7FFF0000, 0x00050000 | 1  # SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO | EPERM
    # [arch check] [load nr] [x32 check] [one jeq per number] [allow] [deny]
    count = len(numbers)
    program = [(ld, 0, 0, 4), (jeq, 1, 0, arch), (ret, 0, 0, allow), (ld, 0, 0, 0),
               (jge, count + 1, 0, 0x40000000)]
    program += [(jeq, count - i, 0, nr) for i, nr in enumerate(numbers)]
    program += [(ret, 0, 0, allow), (ret, 0, 0, deny)]
    return b"".join(struct.pack("<HBBI", *instruction) for instruction in program)


def _system_binds():
    binds = []
    for folder in SYSTEM_DIRS:
        if os.path.islink(folder):
            binds += ["--symlink", os.readlink(folder), folder]
        elif os.path.isdir(folder):
            binds += ["--ro-bind", folder, folder]
    return binds


def wrap(command, read_only=(), seccomp_fd=None):
    """`command` (a list) run in the sandbox, with the files and folders
    `read_only` (the raw data set, which the learner's own loader opens, and the
    kit's cache of it) readable at their own paths. `seccomp_fd`: a descriptor
    holding seccomp_filter()'s program, for bwrap to read."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxUnavailable(f"bwrap is not installed: {INSTALL_HINT}")
    # The scratch tmpfs comes first: a folder bound under /tmp is bound over it.
    size = str(SCRATCH_MB << 20)
    binds = ["--proc", "/proc", "--dev", "/dev", "--size", size, "--tmpfs", "/dev/shm",
             "--remount-ro", "/dev", "--size", size, "--tmpfs", "/tmp", *_system_binds()]
    bound = [d for d in SYSTEM_DIRS if os.path.isdir(d)]
    for path in (sys.base_prefix, interpreter(), *site_dirs(), *read_only):
        if not any(path == d or path.startswith(d.rstrip("/") + "/") for d in bound):
            binds += ["--ro-bind", path, path]
            bound.append(path)
    seccomp = [] if seccomp_fd is None else ["--seccomp", str(seccomp_fd)]
    return [bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            "--clearenv", "--setenv", "HOME", "/tmp", *binds, "--remount-ro", "/", *seccomp,
            "--chdir", "/tmp", "--", *command]


def seccomp_file():
    """A file descriptor, at its start, holding seccomp_filter()'s program (None
    without one); the caller passes it to bwrap and closes it."""
    program = seccomp_filter()
    if program is None:
        return None
    read, write = os.pipe()
    os.write(write, program)  # a few hundred bytes: the pipe holds them
    os.close(write)
    return read


def check(user=None):
    """Raise SandboxUnavailable unless a Python can start in the sandbox here, as
    `user` (a name; None: as this process)."""
    fd = seccomp_file()
    try:
        done = subprocess.run(wrap([interpreter(), "-I", "-S", "-c", "pass"], seccomp_fd=fd),
                              capture_output=True, text=True, timeout=60, user=user,
                              group=user and pwd.getpwnam(user).pw_gid,
                              extra_groups=[] if user else None,
                              pass_fds=() if fd is None else (fd,))
    except (OSError, subprocess.TimeoutExpired) as e:
        raise SandboxUnavailable(f"bwrap could not be started ({e}): {INSTALL_HINT}") from e
    finally:
        if fd is not None:
            os.close(fd)
    if done.returncode != 0:
        reason = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else \
            f"exit status {done.returncode}"
        raise SandboxUnavailable(f"bwrap cannot create a sandbox on this machine ({reason}):"
                                 f" {INSTALL_HINT}")

