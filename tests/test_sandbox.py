"""The instructor command against submissions that use every power of the user
running the grader, written as by a learner who has read the grader's source
and knows where everything is: /proc, signals, the kit's files (solutions/
included), other submissions, the output folder, the home folder and the data
cache, processes that outlive the run, the network, and a full scratch disk.
With the bubblewrap sandbox on, none of them changes a grade, a file or leaves
a process behind."""
import hashlib
import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grader.exercises import BY_NAME, MODULES, NAMES
from grader.grading.data import default_root
from grader.grading.drawings import oracle_drawings
from tests.conftest import KIT_ROOT

TAG = "d2lkit-attack-7f3a"
HOME = Path.home()
# The home folder's own files are compared (.bashrc and the like), not its sub-folders,
# which other programs use while the tests run.
HOME_FOLDERS = tuple(p.name for p in HOME.iterdir() if p.is_dir()) if HOME.is_dir() else ()

# Every attack runs at import and again inside its (wrong) function.
ATTACKS = {
    "snoops_proc": ("accuracy", """
        def attack():
            # find the judge and the other workers, read what they hold, write fake replies
            import struct
            for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
                for part in ("cmdline", "environ", "cwd", "maps"):
                    try:
                        path = f"/proc/{pid}/{part}"
                        os.listdir(path) if part == "cwd" else open(path, "rb").read()
                    except OSError:
                        pass
                try:
                    for fd in os.listdir(f"/proc/{pid}/fd"):
                        with open(f"/proc/{pid}/fd/{fd}", "wb") as f:
                            f.write(struct.pack("<Q", 5) + b"score")
                except OSError:
                    pass
                try:
                    with open(f"/proc/{pid}/mem", "r+b") as f:
                        f.seek(0x400000)
                        f.write(b"\\0" * 64)
                except (OSError, ValueError):
                    pass
        """, "return 0.0"),
    "signals_everyone": ("sgd", """
        def attack():
            import signal
            for pid in [int(p) for p in os.listdir("/proc") if p.isdigit()]:
                if pid != os.getpid():
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
            try:
                os.kill(-1, signal.SIGKILL)
            except OSError:
                pass
        """, "return None"),
    "copies_the_answers": ("softmax", """
        ANSWER = None
        def attack():
            # the reference solution, or another learner's softmax
            global ANSWER
            import importlib.util, glob
            candidates = [f"{kit}/solutions/softmax_regression.py",
                          *glob.glob("{subs}/*/softmax_regression.py"),
                          *glob.glob("{subs}/*/exercises/softmax_regression.py")]
            for path in candidates:
                if os.path.realpath(path) == os.path.realpath(__file__):
                    continue
                try:
                    spec = importlib.util.spec_from_file_location("copied", path)
                    module = importlib.util.module_from_spec(spec)
                    spec.loader.exec_module(module)
                    module.softmax(torch.zeros(1, 2))
                    ANSWER = module.softmax
                    return
                except BaseException:
                    pass
        """, "return ANSWER(X) if ANSWER else X"),
    "writes_everywhere": ("linreg", """
        def attack():
            import glob
            targets = ["{kit}/grader/portable/oracle.py", "{kit}/solutions/softmax_regression.py",
                       "{kit}/pwned-{tag}", "{out}/grades.json", "{out}/grades.csv",
                       "{out}/pwned-{tag}", "{home}/pwned-{tag}", "{home}/.bashrc",
                       "{cache}/fashion-mnist.pt", "{cache}/pwned-{tag}",
                       # bound read-only, for the learner's load_data_fashion_mnist
                       "{cache}/FashionMNIST/raw/train-labels-idx1-ubyte",
                       "{cache}/FashionMNIST/raw/pwned-{tag}",
                       "/tmp/pwned-{tag}", *glob.glob("{subs}/*/*.py"),
                       *glob.glob("{subs}/*/exercises/*.py"), "{subs}/pwned-{tag}"]
            for path in targets:
                try:
                    with open(path, "a") as f:
                        f.write("\\n# pwned {tag}\\n")
                except OSError:
                    pass
        """, "return X @ w"),
    "leaves_a_daemon": ("squared_loss", """
        def attack():
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    os.execv(sys.executable, [sys.executable, "-c",
                             "import time\\nwhile True: time.sleep(1)  # {tag}"])
                os._exit(0)
        """, "return (y_hat - y) ** 2"),
    "calls_home": ("cross_entropy", """
        def attack():
            for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                try:
                    s = socket.socket(socket.AF_INET, kind)
                    s.settimeout(1)
                    s.connect(("127.0.0.1", {port}))
                    s.send(b"{tag}")
                    s.close()
                except OSError:
                    pass
        """, "return torch.log(y_hat[range(len(y_hat)), y])"),
    "fills_the_disk": ("data_iter", """
        def attack():
            chunk = b"x" * (1 << 20)
            for folder in ("/tmp", os.getcwd(), "{home}", "/var/tmp", "/dev/shm"):
                try:
                    with open(f"{folder}/fill-{tag}", "wb") as f:
                        for _ in range(4096):
                            f.write(chunk)
                except OSError:
                    pass
        """, "yield features, labels"),
}


def attack_module(stubs, exercise, attack, body, paths):
    """The stubs, with `exercise` written to run `attack` at import and in every call."""
    params = ", ".join(BY_NAME[exercise].params)
    source = textwrap.dedent(attack) + f"\n\nattack()\n\n\ndef {exercise}({params}):\n" \
                                       f"    attack()\n    {body}\n"
    for key, value in paths.items():
        source = source.replace("{" + key + "}", str(value))
    return stubs + "\n\nimport os\nimport socket\nimport sys\n\nimport torch\n\n" + source


def digest(folder, skip=(".venv", "__pycache__", ".pytest_cache", ".hypothesis", ".git")):
    """{relative path: sha256} of every file under `folder`."""
    found = {}
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in skip]
        for name in files:
            path = Path(root, name)
            found[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def tagged_processes():
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if TAG.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
        except OSError:
            pass
    return found


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    subs, out, cache = root / "subs", root / "out", default_root()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.1)
    paths = {"kit": KIT_ROOT, "subs": subs, "out": out, "home": HOME, "cache": cache,
             "tag": TAG, "port": listener.getsockname()[1]}
    for sub_id, (exercise, attack, body) in ATTACKS.items():
        (subs / sub_id).mkdir(parents=True)
        for module in MODULES:
            text = (KIT_ROOT / "exercises" / f"{module}.py").read_text()
            if exercise in MODULES[module]:
                text = attack_module(text, exercise, attack, body, paths)
            (subs / sub_id / f"{module}.py").write_text(text)
    (subs / "right").mkdir()
    for module in MODULES:
        (subs / "right" / f"{module}.py").write_text((KIT_ROOT / "solutions" / f"{module}.py").read_text())
    oracle_drawings()  # the judge's own cache files, made before the digest, not by the run
    before = {"kit": digest(KIT_ROOT), "subs": digest(subs), "cache": digest(cache),
              "home": digest(HOME, skip=HOME_FOLDERS)}
    done = subprocess.run([sys.executable, "-m", "grader", "grade", str(subs), "--out", str(out),
                           "--jobs", "2", "--call-timeout", "3", "--import-timeout", "20",
                           "--timeout", "300"], capture_output=True, text=True, timeout=1800)
    try:
        listener.accept()
        connected = True
    except OSError:
        connected = False
    listener.close()
    after = {"kit": digest(KIT_ROOT), "subs": digest(subs), "cache": digest(cache),
             "home": digest(HOME, skip=HOME_FOLDERS)}
    return done, out, before, after, connected


def test_the_run_was_sandboxed(attacked):
    done, out, *_ = attacked
    assert done.returncode == 0, done.stderr
    assert json.loads((out / "grades.json").read_text())["sandbox"] is True
    assert "sandbox: bubblewrap" in done.stdout


def test_attacks_earn_nothing_and_change_no_other_grade(attacked):
    _, out, *_ = attacked
    entries = {e["id"]: e for e in json.loads((out / "grades.json").read_text())["submissions"]}
    assert {name: r["status"] for name, r in entries["right"]["exercises"].items()} == \
        dict.fromkeys(NAMES, "passed")
    for sub_id, (exercise, _, _) in ATTACKS.items():
        # an attack may break its own process and so its other (unwritten) exercises
        assert entries[sub_id]["exercises"][exercise]["status"] in ("failed", "error", "timeout")
        assert entries[sub_id]["score"] == 0, sub_id


def test_no_file_outside_the_scratch_changed(attacked):
    _, out, before, after, _ = attacked
    for place in before:
        assert before[place] == after[place], place
    written = [p for p in out.rglob("*") if TAG in p.name or
               (p.is_file() and TAG.encode() in p.read_bytes())]
    written += [name for folder in (HOME, Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"))
                if folder.is_dir() for name in os.listdir(folder) if TAG in name]
    assert not written


def test_no_process_outlives_the_run_and_no_packet_left_the_sandbox(attacked):
    *_, connected = attacked
    assert not tagged_processes()
    assert not connected
