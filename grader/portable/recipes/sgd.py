"""The optimizer of the concise recipes and of train_epoch_ch3's check."""
import torch


class SGD(torch.optim.Optimizer):
    """torch.optim.SGD(params, lr) without momentum, a torch.optim.Optimizer
    with the same updates, bit for bit. None of its methods imports
    torch._dynamo, as the first use of torch's own optimizers does (their
    methods are wrapped to keep it from compiling them)."""

    def __init__(self, params, lr):
        super().__init__(params, {"lr": lr})

    def add_param_group(self, param_group):
        """As Optimizer.add_param_group does for the groups __init__ makes."""
        params = param_group["params"]
        param_group["params"] = [params] if isinstance(params, torch.Tensor) else list(params)
        for name, default in self.defaults.items():
            param_group.setdefault(name, default)
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none=True):
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is not None:
                    param.grad = None if set_to_none else torch.zeros_like(param.grad)

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is not None:
                    param.add_(param.grad, alpha=-group["lr"])
