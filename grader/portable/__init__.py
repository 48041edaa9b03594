"""What runs beside the learner's code, in the learner's process and in the
sandboxed worker: outcomes and time limits, the book's d2l stand-in, loading
the learner's files, the oracle, the training recipes, the wire format.

It imports only the standard library, numpy and torch (torchvision and pyplot
where the book's own code uses them), never the rest of the kit: its sources
are what the class command ships into the sandbox."""
