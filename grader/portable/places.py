"""Where a learner's traceback is, as the learner knows it: a file, a notebook's
cell, a cell of the kernel; only the frames in the learner's own files."""
import re
import traceback
from pathlib import Path

from grader.portable.said import _

# The file name under which the kernel's replay (grader.learner.replay) compiles the
# cell of In [number]: a name in the learner's folder, so that its frames are
# the learner's, which no real file has.
KERNEL_CELL = "In [{number}]"


def _place(filename):
    """Where a learner's frame is, as the learner knows it: the kernel's cell
    (In [12]), a notebook's cell (chapter3.ipynb [cell 12]) or a file's name."""
    cell = re.fullmatch(r"In \[(\d+)\]", Path(filename).name)
    if cell:
        return _("In [{number}]").format(number=cell.group(1))
    return Path(filename).name


def learner_frames(error, folder):
    """The traceback lines that point into the learner's own files."""
    frames = traceback.extract_tb(error.__traceback__)
    return [_("{place}, line {line}, in {function}: {code}").format(
                place=_place(f.filename), line=f.lineno, function=f.name, code=f.line)
            for f in frames if Path(f.filename).resolve().is_relative_to(folder)]
