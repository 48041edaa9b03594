"""What the grader reads of a submission: the learner's modules and notebooks,
each a regular file read without following a symbolic link at any level, within
size caps. `grade` and Gradescope grade a copy of what this gives, written into
a folder of the grader's own (`stage`), never the submission's folder itself:
a link there could point at the kit's solutions, at a classmate's files or at
/proc. Each file left unread gets a note that tells the learner why.

Torch-free.
"""
import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from grader.exercises import MODULES
from grader.i18n import _

# The most the grader reads of one file, and of one submission's files in all.
MAX_FILE_MB = 20
MAX_TOTAL_MB = 50
# Folders of an upload never searched for the learner's files (Gradescope): the
# kit's own grader (its suite has modules of the same names), packages.
IGNORED = {"__MACOSX", "__pycache__", "grader", "site-packages", "node_modules"}
# Opening never follows a link, nor waits on a pipe; where a flag does not exist, 0.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) \
    | getattr(os, "O_BINARY", 0)


def is_learner_file(name):
    """Whether a file named `name` is one the grader reads: a module or a notebook."""
    return name.endswith(".ipynb") or name in {f"{m}.py" for m in MODULES}


@dataclass
class Found:
    """What was read of a submission: files {relative path: bytes} and refused
    {relative path: the note that says why it was not read}; a refused folder's
    path ends with "/"."""
    files: dict = field(default_factory=dict)
    refused: dict = field(default_factory=dict)

    def digest(self):
        """A hash of what was read and of what was refused."""
        sha = hashlib.sha256()
        for path in sorted(self.files):  # a name may hold bytes that are not UTF-8
            sha.update(f"{path}\0".encode(errors="surrogateescape") + self.files[path] + b"\0")
        for path in sorted(self.refused):
            sha.update(f"{path}\0{self.refused[path]}\0".encode(errors="surrogateescape"))
        return sha.hexdigest()


def submission_files(folder, *, anywhere=False):
    """The learner's files of the submission in `folder`, as Found.

    anywhere=False (`grade`): the modules and notebooks at `folder`'s top or,
    if there are none there, in its exercises/ folder (a cloned learner
    repository). anywhere=True (a Gradescope upload): in `folder` and in every
    folder below it but IGNORED and hidden ones (.ipynb_checkpoints). Neither
    `folder`, nor exercises/, nor a file is read through a symbolic link."""
    folder, found = Path(folder), Found()
    if not _plain_folder(folder, f"{folder.name}/", found):
        return found
    if anywhere:
        for parent, dirs, names in os.walk(folder):  # never descends into a link
            dirs[:] = sorted(d for d in dirs if d not in IGNORED and not d.startswith("."))
            relative = PurePosixPath(Path(parent).relative_to(folder))
            for name in sorted(n for n in names if is_learner_file(n)):
                _read(Path(parent, name), str(relative / name), found)
        return found
    top = sorted(n for n in os.listdir(folder) if is_learner_file(n))
    inner = folder / "exercises"
    if not top and os.path.lexists(inner):
        if not _plain_folder(inner, "exercises/", found):
            return found
        for name in sorted(n for n in os.listdir(inner) if is_learner_file(n)):
            _read(inner / name, f"exercises/{name}", found)
    for name in top:
        _read(folder / name, name, found)
    return found


def _plain_folder(path, shown, found):
    """Whether `path` is a folder itself, not a link to one; if not, the note."""
    if os.path.islink(path):
        found.refused[shown] = _("{name} is a symbolic link: the grader reads only folders"
                                 " themselves, never what a link points to; hand in the folder,"
                                 " not a link.").format(name=shown.rstrip("/"))
        return False
    return os.path.isdir(path)


def _read(path, shown, found):
    """Add the file at `path` to `found` as `shown`, or the note why not."""
    try:
        found.files[shown] = _content(path, shown, sum(map(len, found.files.values())))
    except Refused as e:
        found.refused[shown] = str(e)
    except OSError as e:
        found.refused[shown] = _("{name} could not be read ({error}), so it was not"
                                 " graded.").format(name=shown, error=e.strerror or e)


class Refused(Exception):
    """A file the grader does not read; str() says why, to the learner."""


def _content(path, shown, total):
    """The bytes of the regular file at `path` (`shown` in notes), opened
    without following a link, if they fit the caps with `total` bytes read
    before; else Refused."""
    if os.path.islink(path):
        raise Refused(_("{name} is a symbolic link: the grader reads only the files themselves,"
                        " never what a link points to; hand in the file, not a link.").format(
                            name=shown))
    fd = os.open(path, _OPEN_FLAGS)
    with open(fd, "rb") as f:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Refused(_("{name} is not a regular file, so the grader did not read it; hand"
                            " in the file itself.").format(name=shown))
        data = f.read((MAX_FILE_MB << 20) + 1)
    if len(data) > MAX_FILE_MB << 20:
        raise Refused(_("{name} is over the {limit} MB the grader reads of one file, so it was"
                        " not read: hand in a smaller file (a notebook: clear its outputs in"
                        " Jupyter, save it and hand it in again).").format(
                            name=shown, limit=MAX_FILE_MB))
    if total + len(data) > MAX_TOTAL_MB << 20:
        raise Refused(_("{name} was not read: your files come to over the {limit} MB the grader"
                        " reads of one submission; hand in only your exercise files and"
                        " notebooks (a notebook: clear its outputs in Jupyter, save it and hand"
                        " it in again).").format(name=shown, limit=MAX_TOTAL_MB))
    return data


@dataclass
class Staged:
    """A submission's files written where the grader grades them.

    folder: the folder they were written into. files: the names written.
    problems: {module: (status, message)} for each module whose exercises get
    that verdict whatever grading says (a file refused, two files of one name).
    notes: for the learner, about what was not read (but what problems say).
    digest: Found.digest()."""
    folder: Path
    files: list
    problems: dict
    notes: list
    digest: str


def stage(folder, into, *, anywhere=False):
    """Write the learner's files of the submission in `folder` (submission_files)
    into the folder `into`, readable by all, writable by none but us: modules
    under their own names, notebooks under theirs (or, if two have the same
    name, a name that holds their path); the Staged."""
    found = submission_files(folder, anywhere=anywhere)
    paths = sorted(PurePosixPath(p) for p in found.files)
    notebooks = [p for p in paths if p.suffix == ".ipynb"]
    names = [p.name for p in notebooks]
    written, problems = [], {}
    for path in notebooks:
        written.append(path.name if names.count(path.name) == 1 else "-".join(path.parts))
        _write(into / written[-1], found.files[str(path)])
    for module in MODULES:
        mine = [p for p in paths if p.name == f"{module}.py"]
        if len(mine) > 1:
            problems[module] = ("error", _(
                "your upload has {count} files named {file} ({paths}), and the grader cannot"
                " tell which one is yours: upload just one.").format(
                    count=len(mine), file=f"{module}.py", paths=", ".join(map(str, mine))))
        elif mine:
            written.append(f"{module}.py")
            _write(into / written[-1], found.files[str(mine[0])])
        elif not notebooks:
            refusal = next((note for path, note in found.refused.items()
                            if path.endswith("/") or PurePosixPath(path).name == f"{module}.py"),
                           None)
            if refusal:
                problems[module] = ("error", refusal)
    said = {message for _status, message in problems.values()}
    notes = [note for note in found.refused.values() if note not in said]
    return Staged(into, written, problems, notes, found.digest())


def _write(path, data):
    path.write_bytes(data)
    os.chmod(path, 0o644)


# The most a learner file may hold for the grader to send it to the sandbox.
MAX_FILE = 16 << 20


def read_submission(folder):
    """{file name: bytes} of the learner's modules and notebooks at the top of
    `folder`: regular files only, never through a symbolic link, each at most MAX_FILE."""
    files = {}
    for entry in sorted(os.scandir(folder), key=lambda e: e.name) if folder.is_dir() else ():
        wanted = entry.name.endswith(".ipynb") or entry.name in {f"{m}.py" for m in MODULES}
        if wanted and entry.is_file(follow_symlinks=False):
            with open(entry.path, "rb", opener=no_follow) as f:
                data = f.read(MAX_FILE + 1)
            if len(data) <= MAX_FILE:
                files[entry.name] = data
    return files


def no_follow(path, flags):
    return os.open(path, flags | os.O_NOFOLLOW)


