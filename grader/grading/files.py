"""Files the kit writes and hashes: a write that is never seen half done, and
the digest of a folder of the grader's own files."""
import hashlib
import os
import stat
import tempfile
from pathlib import Path


def atomic_write(path, data):
    """Write `data` (bytes, or str as UTF-8: a character that cannot be, such as
    a file name's byte that is not UTF-8, as a backslash escape) to a temp file
    beside `path`, then rename it."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode(errors="backslashreplace") if isinstance(data, str) else data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise



GRADER = Path(__file__).resolve().parents[1]


def digest(folder):
    """A hash of the regular files under `folder` (the grader's own), but
    Python's bytecode caches, which importing the code writes; links are not
    followed. A submission's files are hashed as read (grader.classroom.submission)."""
    sha = hashlib.sha256()
    for parent, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(n for n in names if not n.endswith(".pyc")):
            path = Path(parent, name)
            if stat.S_ISREG(os.lstat(path).st_mode):
                sha.update(f"{path.relative_to(folder)}\0".encode() + path.read_bytes() + b"\0")
    return sha.hexdigest()


GRADER_DIGEST = digest(GRADER)
