"""Help texts of the options the pytest plugin and the instructor command share.
Torch-free, so that the command's parent process stays light."""
from grader.exercises import FILES

# Generated examples per check, unless --examples says otherwise. The whole
# catalogue of wrong implementations (tests/wrong.py) is caught with 15, under
# each seed the kit's tests use; the known edge cases are explicit @examples.
EXAMPLES = 25

HELP_IMPL = (f"implementation to grade: a folder holding the learner's files ({FILES}),"
             " or a package name such as `solutions` (default: the exercises/ folder)")
HELP_JSON = "write the grade as JSON to FILE"
HELP_POINTS = "points of one exercise, NAME=POINTS (repeatable; also the d2l_points ini option)"
HELP_TIMEOUT = "seconds one call of a learner function may take before it counts as a timeout"
HELP_DATA = "folder for the Fashion-MNIST data (default: $D2LKIT_DATA or ~/.cache/d2lkit)"
HELP_PLOT = ("also draw the Fashion-MNIST training curves, one PNG per function, into DIR"
             " (needs matplotlib: pip install -e .[plot])")
HELP_EXERCISE = ("grade only this exercise, e.g. softmax (repeatable); the exit status is 0"
                 " when every selected exercise passes")
HELP_ALLOW = ("let the learner's functions call the built-ins that do their whole job"
              " (torch.softmax, torch.optim, ...); by default that fails the exercise")
HELP_SEED = ("an instructor's grading seed: draw a different, still deterministic, set of"
             " generated examples than the one learners see")
HELP_EXAMPLES = f"generated examples per check (default {EXAMPLES})"
HELP_LANG = ("the language of the feedback: zh (Chinese) or en (English); default from the"
             " locale ($LANGUAGE, $LC_ALL, $LC_MESSAGES, $LANG beginning with zh: Chinese)")
