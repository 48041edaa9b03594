#!/usr/bin/env bash
# Gradescope runs this once, as root, from the folder the autograder zip was
# unpacked into ($AUTOGRADER_ROOT/source), to build the image that grades every
# submission. Everything grading needs is installed here: nothing is fetched
# while a submission is graded.
set -euo pipefail
root="${AUTOGRADER_ROOT:-/autograder}"
source="$root/source"
venv="$root/venv"
data="$root/data"
user="${D2LKIT_USER:-d2lkit}"
export DEBIAN_FRONTEND=noninteractive PIP_PROGRESS_BAR=off

apt-get update
apt-get install -y --no-install-recommends python3 python3-venv bubblewrap
# Fashion-MNIST: the files carried in the zip (data/), else Debian's package.
if ! ls "$source"/data/*.gz >/dev/null 2>&1; then
  apt-get install -y --no-install-recommends dataset-fashion-mnist
fi

python3 -m venv "$venv"
"$venv/bin/pip" install --upgrade pip
# The pinned torch and torchvision, as PyTorch's CPU-only build (about 1 GB
# installed; PyPI's default build carries CUDA and is over 5 GB); PyPI's build
# only if PyTorch's index has no CPU build of the pair.
read -r -a pins <<< "$(grep -E '^(torch|torchvision)==' "$source/constraints.txt" | tr '\n' ' ')"
"$venv/bin/pip" install --index-url https://download.pytorch.org/whl/cpu "${pins[@]}" \
  || "$venv/bin/pip" install "${pins[@]}"
# The kit and the rest of its dependencies, at CI's versions.
"$venv/bin/pip" install -c "$source/constraints.txt" "$source/kit"

mkdir -p "$data/FashionMNIST/raw"
for gz in "$source"/data/*.gz; do
  [ -e "$gz" ] || continue
  gunzip -c "$gz" > "$data/FashionMNIST/raw/$(basename "$gz" .gz)"
done
# Read and check the data once, into the cache grading reads, with the
# oracle's drawings.
D2LKIT_DATA="$data" "$venv/bin/python" -c 'from grader.classroom.gradescope import prepare_data; prepare_data()'

# The submissions' code runs as this user, never as root; it may read the
# kit, the venv and the data, and write none of them.
id -u "$user" >/dev/null 2>&1 \
  || useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
chmod -R u=rwX,go=rX "$source" "$venv" "$data"
# The sandbox of every submission binds the data: if the user cannot read it
# (a folder above it closed to others), every submission would fail. Say so now.
D2LKIT_DATA="$data" "$venv/bin/python" -c 'import sys
from pathlib import Path
from grader.classroom.gradescope import unreadable_data
problem = unreadable_data(sys.argv[1], Path(sys.argv[2]))
sys.exit(problem and f"setup.sh: {problem}")' "$user" "$data"
