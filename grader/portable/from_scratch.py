"""The from-scratch rule at run time: the built-in that does an exercise's whole
job, noted when the learner's function calls it, however it is reached."""
import sys

from torch.overrides import TorchFunctionMode


class FromScratch(TorchFunctionMode):
    """While the learner's function runs, notes the first built-in it calls that
    does the exercise's whole job, however it is reached (alias, method,
    getattr, torch.ops, an nn module): by the name PyTorch gives the function,
    or, for PyTorch's own Python code (torch.optim, DataLoader), by the module
    of a frame between the call and the learner's function."""

    def __init__(self, forbidden, forbidden_code):
        super().__init__()
        self.forbidden, self.forbidden_code = set(forbidden), forbidden_code
        self.used = None

    def __enter__(self):
        self.top = sys._getframe(1)
        return super().__enter__()

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if self.used is None:
            self.used = self._builtin(func)
        return func(*args, **(kwargs or {}))

    def _builtin(self, func):
        name = getattr(func, "__name__", "").split(".")[0].lstrip("_").removeprefix("special_") \
            .removeprefix("linalg_")
        if name in self.forbidden:
            return _display(func, name)
        frame = sys._getframe(2) if self.forbidden_code else None
        while frame is not None and frame is not self.top:
            where = f"{frame.f_globals.get('__name__')}.{frame.f_code.co_name}"
            for prefix, label in self.forbidden_code.items():
                if where == prefix or where.startswith(prefix + "."):
                    return label
            frame = frame.f_back
        return None


def _display(func, name):
    """How a learner would have written the call: torch.softmax, Tensor.softmax, ..."""
    module = getattr(func, "__module__", None) or "Tensor"
    public = {"torch._C._nn": "torch.nn.functional", "torch._C._special": "torch.special",
              "torch._C._VariableFunctions": "torch", "torch._ops.aten": "torch.ops.aten",
              "torch._C._linalg": "torch.linalg"}
    module = public.get(module, module)
    if module == "torch.ops.aten" or module.startswith("torch._C"):
        name = getattr(func, "__name__", name).split(".")[0]
    return f"{module}.{name}"
