"""d2l chapter 3's recipes: training loops and the other runs that drive the
learner's functions, one module per concept.

Every function a recipe calls comes from the `fns` namespace, so a check can
put learner functions among the oracle's (grader.portable.oracle) and blame only
those. The recipes themselves are fixed (d2l 3.2.7 and 3.6.6 for the loops)
with seeded generators, so a run is repeatable. Each returns plain data
(plain.py) and declares, in its module's RESULTS, what that is.

Also executed, as source, in the submission's own process (grader/portable/worker.py),
where the learner's code runs: the judge sends a slice of this package's
modules (grader.classroom.slicing), so they import only torch and the standard
library, and each other only as `from .module import name`.
"""
from . import arrays, clock, concise, figures, linear, loading, loops, softmax

# What each recipe returns, as a test of a worker's reply (grader.classroom.remote).
RESULTS = {name: test for module in (arrays, clock, concise, figures, linear, loading, loops,
                                     softmax)
           for name, test in module.RESULTS.items()}
