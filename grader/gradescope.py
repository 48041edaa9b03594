"""Gradescope: the autograder zip (`python -m grader gradescope OUT.zip`) and what
runs in it for each submission (its `run_autograder` calls `python -m grader
autograde`).

Gradescope unpacks the zip into $AUTOGRADER_ROOT/source (default /autograder),
runs setup.sh there once, as root, to build its image, then for each
submission runs run_autograder, as root, with the upload in
$AUTOGRADER_ROOT/submission; it reads $AUTOGRADER_ROOT/results/results.json.
A submission is graded as `python -m grader grade` grades one: a judge process
runs the checks, the learner's code runs in a further process (grader.judging,
grader.remote), sandboxed if bubblewrap can start in the container, and in any
case as an unprivileged user, never as root. Torch-free, like the command's
parent process.
"""
import gzip
import json
import os
import pwd
import shutil
import tempfile
import time
import zipfile
from pathlib import Path

from grader import i18n, sandbox
from grader.exercises import FILES, MODULES, TABLE
from grader.i18n import _
from grader.mistakes import identify, status_cause
from grader.outputs import atomic_write, gradescope

SCRIPTS = Path(__file__).with_name("autograder")
CONFIG = "d2lkit-autograder.json"
CONSTRAINTS = Path(__file__).resolve().parent.parent / ".ci" / "constraints.txt"
ROOT_ENV, USER_ENV, DEFAULT_USER = "AUTOGRADER_ROOT", "D2LKIT_USER", "d2lkit"
# Folders of an upload never searched for the learner's modules: the kit's own
# grader (its suite has modules of the same names), packages, hidden folders.
IGNORED = {"__MACOSX", "__pycache__", "grader", "site-packages", "node_modules"}


def upload_hint():
    """Where the learner's files go in an upload, for the messages that say one is missing."""
    return _("upload {files}, or a notebook (.ipynb) that defines your functions, at the top"
             " of your upload or in an exercises/ folder").format(files=FILES)


def prepare_data():
    """What setup.sh computes once into the data root ($D2LKIT_DATA), for every
    grading to read: the Fashion-MNIST cache, read and checked from the raw
    files, and the oracle's drawings (grader.oracle_drawings)."""
    from grader.fashion_mnist import load_fashion_mnist
    from grader.oracle_drawings import oracle_drawings
    load_fashion_mnist(download=False)
    oracle_drawings()


class SetupBroken(Exception):
    """The autograder's image lacks something setup.sh makes; str() says what."""


def data_files(data_dir=None):
    """{name.gz: bytes} of the four Fashion-MNIST files, from Debian's package or
    from `data_dir`/FashionMNIST/raw (decompressed files); empty if neither has them."""
    from grader.fashion_mnist import DEBIAN_DIR, RAW_NAMES
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
    from grader.release import release
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


def _learner_files(upload):
    """The relative paths of the files in `upload`, except in IGNORED or hidden
    folders (.ipynb_checkpoints too); symbolic links are not followed."""
    for folder, dirs, files in os.walk(upload):
        dirs[:] = [d for d in dirs if d not in IGNORED and not d.startswith(".")]
        for name in files:
            path = Path(folder) / name
            if not path.is_symlink():
                yield path.relative_to(upload)


def find_modules(upload):
    """{module: sorted relative paths of the files named <module>.py} anywhere in
    `upload` (see _learner_files)."""
    found = {module: [] for module in MODULES}
    for path in _learner_files(upload):
        if path.suffix == ".py" and path.stem in found:
            found[path.stem].append(path)
    return {module: sorted(paths) for module, paths in found.items()}


def find_notebooks(upload):
    """The sorted relative paths of the notebooks (.ipynb) anywhere in `upload`."""
    return sorted(p for p in _learner_files(upload) if p.suffix == ".ipynb")


def stage(upload, into):
    """Copy the learner's modules and notebooks from `upload` into the folder
    `into`, readable by all, writable by none but us (a notebook in a sub-folder
    under a name that holds its path, if two have the same name); {module:
    (status, message)} for each module that is ambiguous, or missing while
    there is no notebook either, and so not copied."""
    problems = {}
    notebooks = find_notebooks(upload)
    names = [p.name for p in notebooks]
    for path in notebooks:
        name = path.name if names.count(path.name) == 1 else "-".join(path.parts)
        _copy(Path(upload) / path, into / name)
    for module, paths in find_modules(upload).items():
        if not paths and not notebooks:
            problems[module] = ("missing", _("{file} is not in your upload: {hint}.").format(
                file=f"{module}.py", hint=upload_hint()))
        elif len(paths) > 1:
            problems[module] = ("error", _(
                "your upload has {count} files named {file} ({paths}), and the grader cannot"
                " tell which one is yours: upload just one.").format(
                    count=len(paths), file=f"{module}.py", paths=", ".join(map(str, paths))))
        elif paths:
            _copy(Path(upload) / paths[0], into / f"{module}.py")
    return problems


def _copy(source, target):
    shutil.copyfile(source, target)
    os.chmod(target, 0o644)


def overrule(entry, problems):
    """The entry with every exercise of a module in `problems` given its (status,
    message) and the mistake it is (a module missing, or two of it in the
    upload), and the score summed again."""
    exercises = dict(entry["exercises"])
    for e in TABLE:
        if e.module in problems:
            status, message = problems[e.module]
            mistake, title = identify(e.name, status, *status_cause(
                "missing" if status == "missing" else "two-files"), "", "")
            exercises[e.name] = {**exercises[e.name], "status": status, "score": 0,
                                 "feedback": message, "mistake": mistake,
                                 "mistake_title": title}
    return {**entry, "exercises": exercises,
            "score": sum(r["score"] for r in exercises.values())}


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


def run(root):
    """Grade $root/submission into $root/results/results.json; never raises
    for a submission's sake, and writes a results.json whatever happens."""
    from grader.judging import Judges, grade_one
    start = time.monotonic()
    root = Path(root)
    results = root / "results"
    results.mkdir(parents=True, exist_ok=True)
    config = json.loads((root / "source" / CONFIG).read_text())
    i18n.set_language(config["options"].get("lang", "en"))
    with tempfile.TemporaryDirectory(prefix="d2lkit-") as tmp:
        folder = Path(tmp) / "submission"
        folder.mkdir()
        os.chmod(tmp, 0o755)
        problems = stage(root / "submission", folder)
        try:
            user = grading_user()
        except SetupBroken as e:
            atomic_write(results / "results.json", json.dumps(
                {"score": 0, "output": _("The autograder is not set up right: {problem}. Nothing"
                                         " was graded; please tell your instructor.").format(
                                             problem=e), "tests": []}))
            raise
        sandboxed, note = isolation(folder, user)
        options = {**config["options"], "sandbox": sandboxed, "user": user, "threads": 1}
        judges = Judges(config["points"], options)
        try:
            entry = grade_one("submission", folder, judges)
        finally:
            judges.close()
    entry = {**overrule(entry, problems), "seconds": round(time.monotonic() - start, 2)}
    atomic_write(results / "results.json", json.dumps(
        gradescope(entry, visibility=config["visibility"], note=note), indent=2) + "\n")
    return entry
