"""Grading net reads the learner's W and b as data and leaves them as they were:
same values, no gradient, requires_grad kept, in the judge's process and in a
process of the submission's own."""
import pytest
import torch

from grader.grading.session import suite_tests_of
from tests.conftest import make_impl, run

PARAMS = ("W", "b")


def _state(learner):
    found = learner.exercise_tensors("net", PARAMS)
    return {name: (found[name]["value"], found[name]["requires_grad"], found[name]["grad"])
            for name in PARAMS}


@pytest.mark.parametrize("own_process", [False, True], ids=["in-process", "own-process"])
def test_grading_net_leaves_W_and_b_unchanged(own_process, tmp_path, request):
    learner = make_impl(tmp_path / "impl", {}, request if own_process else None)
    before = _state(learner)
    for test in suite_tests_of("net"):
        assert run(test, learner, request) == ("passed", ""), test
    after = _state(learner)
    for name in PARAMS:
        (value, requires_grad, grad), (value_after, requires_grad_after, grad_after) = \
            before[name], after[name]
        assert torch.equal(value, value_after), name
        assert requires_grad and requires_grad_after, name
        assert grad is None and grad_after is None, name


def test_the_modules_own_tensors_are_untouched_in_process(tmp_path, request):
    """In the judge's process, the very tensors of the module keep their values,
    requires_grad and (no) gradient; what the seam hands out are copies."""
    learner = make_impl(tmp_path / "impl", {})
    module = learner._modules["softmax_regression"]
    W, b, W_values = module.W, module.b, module.W.detach().clone()
    learner.exercise_tensors("net", PARAMS)["W"]["value"].add_(1)
    for test in suite_tests_of("net"):
        run(test, learner, request)
    assert module.W is W and module.b is b
    assert torch.equal(W.detach(), W_values) and not b.detach().any()
    assert W.requires_grad and b.requires_grad and W.grad is None and b.grad is None
