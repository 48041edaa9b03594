"""Gradescope: the autograder zip (`python -m grader gradescope OUT.zip`) and what
runs in it for each submission (its `run_autograder` calls `python -m grader
autograde`).

Gradescope unpacks the zip into $AUTOGRADER_ROOT/source (default /autograder),
runs setup.sh there once, as root, to build its image, then for each
submission runs run_autograder, as root, with the upload in
$AUTOGRADER_ROOT/submission; it reads $AUTOGRADER_ROOT/results/results.json.
A submission is graded as `python -m grader grade` grades one: a judge process
runs the checks, the learner's code runs in a further process (grader.classroom.judges,
grader.classroom.remote), sandboxed if bubblewrap can start in the container, and in any
case as an unprivileged user, never as root. Torch-free, like the command's
parent process.
"""
import functools
import gzip
import json
import os
import pwd
import subprocess
import tempfile
import time
import zipfile
from pathlib import Path

from grader import i18n
from grader.classroom import sandbox
from grader.exercises import FILES, MODULES
from grader.i18n import _
from grader.classroom.class_run import grade_one
from grader.classroom.judges import Judges
from grader.classroom.outputs import failure, gradescope
from grader.grading.files import atomic_write
from grader.classroom.submission import stage

SCRIPTS = Path(__file__).with_name("autograder")
CONFIG = "d2lkit-autograder.json"
CONSTRAINTS = Path(__file__).resolve().parents[2] / ".ci" / "constraints.txt"
ROOT_ENV, USER_ENV, DEFAULT_USER = "AUTOGRADER_ROOT", "D2LKIT_USER", "d2lkit"
DATA_ENV = "D2LKIT_DATA"  # grader.grading.data's, which imports torch


def upload_hint():
    """Where the learner's files go in an upload, for the messages that say one is missing."""
    return _("upload {files}, or a notebook (.ipynb) that defines your functions, at the top"
             " of your upload or in an exercises/ folder").format(files=FILES)


def prepare_data():
    """What setup.sh computes once into the data root ($D2LKIT_DATA), for every
    grading to read: the Fashion-MNIST cache, read and checked from the raw
    files, and the oracle's drawings (grader.grading.drawings)."""
    from grader.grading.data import load_fashion_mnist
    from grader.grading.drawings import oracle_drawings
    load_fashion_mnist(download=False)
    oracle_drawings()


class SetupBroken(Exception):
    """The autograder's image lacks something setup.sh makes; str() says what."""


def data_files(data_dir=None):
    """{name.gz: bytes} of the four Fashion-MNIST files, from Debian's package or
    from `data_dir`/FashionMNIST/raw (decompressed files); empty if neither has them."""
    from grader.grading.data import DEBIAN_DIR, RAW_NAMES
    debian = {f"{n}.gz": DEBIAN_DIR / f"{n}.gz" for n in RAW_NAMES}
    if all(p.is_file() for p in debian.values()):
        return {name: path.read_bytes() for name, path in debian.items()}
    if data_dir is not None:
        raw = Path(data_dir) / "FashionMNIST" / "raw"
        if all((raw / n).is_file() for n in RAW_NAMES):
            return {f"{n}.gz": gzip.compress((raw / n).read_bytes(), mtime=0) for n in RAW_NAMES}
    return {}


def bundle(out, *, points, options, visibility, data):
    """Write the autograder zip to `out`: setup.sh, run_autograder, the learner's
    kit (as `release` writes it) under kit/, CI's constraints, the grading
    configuration, and `data` ({name.gz: bytes}, may be empty) under data/."""
    from grader.classroom.release import release
    out = Path(out)
    config = {"points": points, "options": options, "visibility": visibility}
    with tempfile.TemporaryDirectory() as tmp:
        kit = release(Path(tmp) / "kit")
        files = sorted(p for p in kit.rglob("*") if p.is_file())
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for script in ("setup.sh", "run_autograder"):
                info = zipfile.ZipInfo(script, date_time=(2020, 1, 1, 0, 0, 0))
                info.external_attr = 0o100755 << 16
                z.writestr(info, (SCRIPTS / script).read_text(), zipfile.ZIP_DEFLATED)
            z.writestr(CONFIG, json.dumps(config, indent=2) + "\n")
            z.write(CONSTRAINTS, "constraints.txt")
            for path in files:
                z.write(path, f"kit/{path.relative_to(kit)}")
            for name, content in sorted(data.items()):
                z.writestr(f"data/{name}", content, zipfile.ZIP_STORED)
    return out


def stage_upload(upload, into):
    """Stage the learner's files found anywhere in `upload` into `into`
    (grader.classroom.submission.stage); a module with no file, while there is no notebook
    either, is missing, with where to put it."""
    staged = stage(upload, into, anywhere=True)
    if not any(name.endswith(".ipynb") for name in staged.files):
        for module in MODULES:
            if f"{module}.py" not in staged.files and module not in staged.problems:
                staged.problems[module] = ("missing", _(
                    "{file} is not in your upload: {hint}.").format(file=f"{module}.py",
                                                                   hint=upload_hint()))
    return staged


def grading_user():
    """The user the learner's code runs as: $D2LKIT_USER (default d2lkit) when
    we are root, None (ourselves) otherwise."""
    if os.geteuid() != 0:
        return None
    name = os.environ.get(USER_ENV) or DEFAULT_USER
    try:
        pwd.getpwnam(name)
    except KeyError:
        raise SetupBroken(f"the user {name} does not exist (setup.sh creates it), and the"
                          " grader never runs a submission as root") from None
    return name


def isolation(folder, user):
    """(sandboxed, a sentence for the learner saying how their code ran)."""
    try:
        sandbox.check(user)
    except sandbox.SandboxUnavailable as e:
        reason = str(e).removesuffix(f": {sandbox.INSTALL_HINT}")
        if user:
            return False, _("Your code ran as the unprivileged user {user}, without the"
                            " bubblewrap sandbox ({reason} in this container).").format(
                                user=user, reason=reason)
        return False, _("Your code ran as the autograder's own user, without the bubblewrap"
                        " sandbox ({reason} in this container).").format(reason=reason)
    if user:
        return True, _("Your code ran in a bubblewrap sandbox, as the unprivileged user"
                       " {user}.").format(user=user)
    return True, _("Your code ran in a bubblewrap sandbox, as the autograder's own user.")


# Run as the grading user: open each file named on the command line.
_OPEN_ALL = "import sys\nfor path in sys.argv[1:]:\n    open(path, 'rb').close()"


def unreadable_data(user, data):
    """None if `user` can read the files of the data root `data` that a
    submission's process reads (the raw Fashion-MNIST files, the cache), else
    a sentence for the instructor saying what it cannot read and what to do:
    the sandbox would fail to start for every submission."""
    raw = data / "FashionMNIST" / "raw"
    files = [str(p) for p in [*(sorted(raw.iterdir()) if raw.is_dir() else []),
                              data / "fashion-mnist.pt"] if p.is_file()]
    try:
        done = subprocess.run([sandbox.interpreter(), "-I", "-S", "-c", _OPEN_ALL, *files],
                              user=user, group=pwd.getpwnam(user).pw_gid, extra_groups=[],
                              env={}, capture_output=True, text=True, timeout=60)
    except OSError as e:  # it cannot run Python itself: nor would a submission's process
        return f"the user {user}, whom the submissions' code runs as, cannot run Python ({e})"
    if done.returncode == 0:
        return None
    reason = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
    return (f"the user {user}, whom the submissions' code runs as, cannot read the data in"
            f" {data} ({reason}): make {data} and every folder above it readable by all"
            " (chmod o+rx)")


def run(root):
    """Grade $root/submission into $root/results/results.json; never raises
    for a submission's sake, and writes a results.json whatever happens."""
    start = time.monotonic()
    root = Path(root)
    results = root / "results"
    results.mkdir(parents=True, exist_ok=True)
    config = json.loads((root / "source" / CONFIG).read_text())
    i18n.set_language(config["options"].get("lang", "en"))
    try:
        user = grading_user()
        problem = user and unreadable_data(user, Path(os.environ.get(DATA_ENV) or root / "data"))
        if problem:
            raise SetupBroken(problem)
    except SetupBroken as e:
        atomic_write(results / "results.json", json.dumps(
            {"score": 0, "output": _("The autograder is not set up right: {problem}. Nothing"
                                     " was graded; please tell your instructor.").format(
                                         problem=e), "tests": []}))
        raise
    try:
        with tempfile.TemporaryDirectory(prefix="d2lkit-") as tmp:
            os.chmod(tmp, 0o755)
            sandboxed, note = isolation(Path(tmp), user)
        options = {**config["options"], "sandbox": sandboxed, "user": user, "threads": 1}
        judges = Judges(config["points"], options)
        try:
            entry = grade_one("submission", functools.partial(stage_upload, root / "submission"),
                              judges)
        finally:
            judges.close()
        entry = {**entry, "seconds": round(time.monotonic() - start, 2)}
        text = json.dumps(gradescope(entry, visibility=config["visibility"], note=note), indent=2)
    except Exception as e:  # noqa: BLE001 - the learner gets a results.json that says so
        entry = {**failure(config["points"], _("the grader could not grade this submission:"
                                                " {error}").format(error=f"{type(e).__name__}:"
                                                                         f" {e}")),
                 "seconds": round(time.monotonic() - start, 2)}
        text = json.dumps(gradescope(entry, visibility=config["visibility"]), indent=2)
    atomic_write(results / "results.json", text + "\n")
    return entry
