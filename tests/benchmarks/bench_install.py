"""Proof that the dependency ranges pyproject.toml declares hold: for the oldest
and the newest pair of torch and torchvision it admits, a fresh venv installs
the pair from PyPI, then the kit (`pip install -e .`, which picks everything
else within the declared ranges, numpy included, as a learner's install
would), and grades the reference solutions: each must score 100/100.

Usage: python tests/benchmarks/bench_install.py [--pairs oldest newest broken] [--quick]

oldest: Python 3.10 (the oldest the kit declares), torch and torchvision at the
  floors pyproject.toml declares, numpy as pip resolves it (2.x).
newest: the newest Python here, everything as pip resolves it.
broken: Python 3.10, torch 2.1.2 + torchvision 0.16.2 + numpy 2.2.6 (the pair
  of issue 20, outside the declared ranges) and the kit's other dependencies,
  with the kit installed --no-deps: the grader must stop with one message that
  says what to install (environment.UPGRADE), and grade nothing.
Each venv is made in a temporary folder, with a copy of the kit (its files in
git) to install, so that nothing is written into this checkout; both are
removed after.
It downloads PyTorch's wheels from PyPI (a few GB the first time) and takes
minutes per pair.
--quick (CI's form, so that the script cannot rot; offline): installs nothing.
It checks only what it can without the network: that pyproject.toml's ranges
parse and admit the packages of this Python, and which interpreter each pair
would use. That the oldest pair installs and grades needs the full run.
"""
import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

KIT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(KIT))
from grader.environment import UPGRADE  # noqa: E402 - after the kit's folder is on the path
VERSIONS = ("3.10", "3.11", "3.12", "3.13", "3.14")


def dependencies():
    """pyproject.toml's dependencies, as declared."""
    return tomllib.loads((KIT / "pyproject.toml").read_text())["project"]["dependencies"]


def floors():
    """{package: its declared floor} from pyproject.toml's dependencies."""
    found = {}
    for requirement in dependencies():
        match = re.match(r"([A-Za-z0-9_-]+)\s*>=\s*([0-9.]+)", requirement)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def admitted():
    """[(requirement, the version installed here or None, whether it is admitted)]
    of pyproject.toml's dependencies, for this Python's packages."""
    from importlib import metadata
    from packaging.requirements import Requirement
    rows = []
    for requirement in map(Requirement, dependencies()):
        try:
            version = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            version = None
        rows.append((requirement, version, version is not None
                     and requirement.specifier.contains(version, prereleases=True)))
    return rows


def quick(plans):
    """CI's offline form: the declared ranges against this Python's packages,
    and the interpreter of each pair; 0 if every range admits what is here."""
    ok = True
    for requirement, version, fits in admitted():
        print(f"{str(requirement):<24} here {version or 'missing':<14}"
              f" {'admitted' if fits else 'NOT ADMITTED'}")
        ok &= fits
    for name, (python, packages, _) in plans.items():
        print(f"{name:<7} would use {python or 'no such Python here'}:"
              f" {' '.join(packages) or '(default resolution)'}")
    print("this Python's packages are within the declared ranges" if ok
          else "FAILED: a declared range does not admit this Python's package")
    return 0 if ok else 1


def run(command, **kwargs):
    print("  $", " ".join(map(str, command)), flush=True)
    return subprocess.run(command, text=True, **kwargs)


def venv(python, folder):
    run([python, "-m", "venv", str(folder)], check=True)
    return folder / "bin" / "python"


def pip(python, *args):
    run([python, "-m", "pip", "install", "-q", "--progress-bar", "off", *args], check=True)


def versions(python):
    done = run([python, "-c", "import importlib.metadata as m, sys; print(sys.version.split()[0],"
                " *(m.version(p) for p in ('torch', 'torchvision', 'numpy')))"],
               capture_output=True, check=True)
    return dict(zip(("python", "torch", "torchvision", "numpy"), done.stdout.split()))


def grade(python, folder, kit):
    """(score, max_score, pytest's exit status, its output) of the references of `kit`."""
    out = folder / "grade.json"
    done = run([python, "-m", "pytest", str(kit / "exercises"), "--impl", str(kit / "solutions"),
                "--grade-json", str(out), "-q", "-p", "no:randomly"], cwd=folder,
               capture_output=True)
    if not out.is_file():
        return None, None, done.returncode, done.stdout + done.stderr
    grade = json.loads(out.read_text())
    return grade["score"], grade["max_score"], done.returncode, done.stdout


def copy_kit(into):
    """The kit's files that git tracks, copied into the folder `into`."""
    listed = subprocess.run(["git", "ls-files"], cwd=KIT, capture_output=True, text=True,
                            check=True).stdout.splitlines()
    for name in listed:
        target = into / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(KIT / name, target)
    return into


def pair(name, python, packages, kit_args, keep=None):
    """Install `packages`, then a copy of the kit with `kit_args` + its folder;
    grade the references. In `keep`/name if given (its venv reused if there)."""
    print(f"{name}: {python} {' '.join(packages) or '(default resolution)'}", flush=True)
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"d2lkit-install-{name}-") as tmp:
        place = Path(keep) / name if keep else Path(tmp)
        shutil.rmtree(place / "kit", ignore_errors=True)
        kit = copy_kit(place / "kit")
        reuse = (place / "venv" / "bin" / "python").exists()
        py = place / "venv" / "bin" / "python" if reuse else venv(python, place / "venv")
        if not reuse:
            pip(py, "--upgrade", "pip")
            if packages:
                pip(py, *packages)
        pip(py, *kit_args, str(kit))
        installed = versions(py)
        installed_in = time.monotonic() - start
        score, max_score, status, output = grade(py, place, kit)
    return {"pair": name, **installed, "score": score, "max_score": max_score, "exit": status,
            "install_s": round(installed_in), "total_s": round(time.monotonic() - start),
            "output": output}


def find_python(version):
    """An interpreter of `version` (3.10) that runs: on PATH, or pyenv's; None if none."""
    candidates = [shutil.which(f"python{version}"),
                  *map(str, Path.home().glob(f".pyenv/versions/{version}.*/bin/python{version}"))]
    for candidate in filter(None, candidates):
        if subprocess.run([candidate, "-c", "pass"], capture_output=True).returncode == 0:
            return candidate
    return None


def newest_python():
    found = [p for p in map(find_python, VERSIONS) if p]
    return found[-1] if found else sys.executable


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", nargs="+", default=["oldest", "newest"],
                        choices=["oldest", "newest", "broken"])
    parser.add_argument("--keep", metavar="DIR", help="make the venvs in DIR/<pair> and keep"
                                                      " them (a rerun reuses them)")
    parser.add_argument("--quick", action="store_true",
                        help="offline: check the declared ranges against this Python (CI's form)")
    args = parser.parse_args()
    floor = floors()
    plans = {
        "oldest": (find_python("3.10"), [f"torch=={floor['torch']}",
                                  f"torchvision=={floor['torchvision']}"], ["-e"]),
        "newest": (newest_python(), [], ["-e"]),
        "broken": (find_python("3.10"), ["torch==2.1.2", "torchvision==0.16.2", "numpy==2.2.6",
                                          *(d for d in dependencies()
                                            if not d.startswith(("torch", "numpy")))],
                   ["--no-deps", "-e"]),
    }
    if args.quick:
        return quick(plans)
    results = [pair(name, *plans[name], keep=args.keep) for name in args.pairs]
    ok = True
    for r in results:
        print(f"{r['pair']:<7} python {r['python']:<8} torch {r['torch']:<12} torchvision"
              f" {r['torchvision']:<12} numpy {r['numpy']:<8} score {r['score']}/{r['max_score']}"
              f" exit {r['exit']} (install {r['install_s']} s, in all {r['total_s']} s)")
        if r["pair"] == "broken":
            lines = [line for line in r["output"].splitlines() if line.strip()]
            print("  what the learner reads:", *lines[-3:], sep="\n    ")
            ok &= r["score"] is None and UPGRADE in r["output"]
        else:
            ok &= r["score"] == r["max_score"] == 100
            if r["score"] != 100:
                print(r["output"][-3000:])
    print("the declared ranges hold" if ok else "FAILED: a declared pair does not work")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
