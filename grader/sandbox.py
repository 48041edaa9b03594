"""The sandbox of a submission's process: bubblewrap (`bwrap`, what Flatpak uses).

Inside, the worker has its own PID, network, IPC, UTS and user namespaces; it
sees read-only the interpreter, site-packages and the system libraries, its own
submission's folder and the raw Fashion-MNIST files (for the learner's
load_data_fashion_mnist) read-only, and small private tmpfs as /tmp and /dev/shm
(SCRATCH_MB each; the rest of /dev is read-only). It sees no
other process, no network, not the kit, the other submissions, the output
folder, the home folder or the data cache (but its raw files). It dies with
the judge, and so does everything it starts. Torch-free: the command's parent checks it before grading.
"""
import os
import pwd
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
SCRATCH_MB = 64
INSTALL_HINT = ("install bubblewrap (Debian/Ubuntu: `sudo apt install bubblewrap`), or grade"
                " without a sandbox with --no-sandbox (the submissions' code then runs with"
                " all the powers of the user running the grader)")


class SandboxUnavailable(Exception):
    """bwrap is missing or cannot create its namespaces here; str() says what to do."""


def site_dirs():
    """The folders the worker imports torch and numpy from."""
    return sorted({sysconfig.get_paths()[k] for k in ("purelib", "platlib")})


def interpreter():
    """The Python binary itself (a venv's bin/python is a link to it)."""
    return os.path.realpath(sys.executable)


def _system_binds():
    binds = []
    for folder in SYSTEM_DIRS:
        if os.path.islink(folder):
            binds += ["--symlink", os.readlink(folder), folder]
        elif os.path.isdir(folder):
            binds += ["--ro-bind", folder, folder]
    return binds


def wrap(command, folder, read_only=()):
    """`command` (a list) run in the sandbox, with `folder` and the folders
    `read_only` (the raw data set, which the learner's own loader opens)
    readable at their own paths."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxUnavailable(f"bwrap is not installed: {INSTALL_HINT}")
    # The scratch tmpfs comes first: a submission under /tmp is bound over it.
    size = str(SCRATCH_MB << 20)
    binds = ["--proc", "/proc", "--dev", "/dev", "--size", size, "--tmpfs", "/dev/shm",
             "--remount-ro", "/dev", "--size", size, "--tmpfs", "/tmp", *_system_binds()]
    bound = [d for d in SYSTEM_DIRS if os.path.isdir(d)]
    for path in (sys.base_prefix, interpreter(), *site_dirs(), str(Path(folder).resolve()),
                 *read_only):
        if not any(path == d or path.startswith(d.rstrip("/") + "/") for d in bound):
            binds += ["--ro-bind", path, path]
            bound.append(path)
    return [bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            "--clearenv", "--setenv", "HOME", "/tmp", *binds, "--chdir", "/tmp", "--", *command]


def check(folder, user=None):
    """Raise SandboxUnavailable unless a Python can start in the sandbox here, as
    `user` (a name; None: as this process)."""
    try:
        done = subprocess.run(wrap([interpreter(), "-I", "-S", "-c", "pass"], folder),
                              capture_output=True, text=True, timeout=60, user=user,
                              group=user and pwd.getpwnam(user).pw_gid,
                              extra_groups=[] if user else None)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise SandboxUnavailable(f"bwrap could not be started ({e}): {INSTALL_HINT}") from e
    if done.returncode != 0:
        reason = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else \
            f"exit status {done.returncode}"
        raise SandboxUnavailable(f"bwrap cannot create a sandbox on this machine ({reason}):"
                                 f" {INSTALL_HINT}")
