"""Wrong implementations, modelled on learners' real mistakes (see the d2l notes)."""
import math
import random
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
import torchvision
from torch import nn
from torch.utils import data
from torchvision import transforms

from tests.catalogue import wrong

# --- synthetic_data -----------------------------------------------------------


@wrong("synthetic_data", "test_synthetic_data_features_are_standard_normal", hint="torch.rand")
def synthetic_data_uniform_features(w, b, num_examples):
    X = torch.rand((num_examples, len(w)))
    y = torch.matmul(X, w) + b + torch.normal(0, 0.01, (num_examples,))
    return X, y.reshape((-1, 1))


@wrong("synthetic_data", "test_synthetic_data_features_are_standard_normal")
def synthetic_data_uniform_with_unit_variance(w, b, num_examples):
    X = (torch.rand((num_examples, len(w))) - 0.5) * 12 ** 0.5
    y = torch.matmul(X, w) + b + torch.normal(0, 0.01, (num_examples,))
    return X, y.reshape((-1, 1))


@wrong("synthetic_data", "test_synthetic_data_features_are_standard_normal")
def synthetic_data_features_std_2(w, b, num_examples):
    X = torch.normal(0, 2, (num_examples, len(w)))
    y = torch.matmul(X, w) + b + torch.normal(0, 0.01, (num_examples,))
    return X, y.reshape((-1, 1))


@wrong("synthetic_data", "test_synthetic_data_labels_are_linear_in_features",
       "test_synthetic_data_trains_linear_regression", hint="do not forget b", zh="别忘了 b")
def synthetic_data_forgets_bias(w, b, num_examples):
    X = torch.normal(0, 1, (num_examples, len(w)))
    y = torch.matmul(X, w) + torch.normal(0, 0.01, (num_examples,))
    return X, y.reshape((-1, 1))


@wrong("synthetic_data", "test_synthetic_data_labels_are_linear_in_features",
       hint="add the bias b, do not subtract it", zh="不是减去它", not_in=("do not forget b",))
def synthetic_data_subtracts_bias(w, b, num_examples):
    X = torch.normal(0, 1, (num_examples, len(w)))
    y = torch.matmul(X, w) - b + torch.normal(0, 0.01, (num_examples,))
    return X, y.reshape((-1, 1))


@wrong("synthetic_data", "test_synthetic_data_noise_has_std_0_01", hint="std 0.01", zh="标准差 0.01")
def synthetic_data_no_noise(w, b, num_examples):
    X = torch.normal(0, 1, (num_examples, len(w)))
    return X, (torch.matmul(X, w) + b).reshape((-1, 1))


@wrong("synthetic_data", "test_synthetic_data_noise_has_std_0_01",
       "test_synthetic_data_trains_linear_regression",
       hint="add torch.normal(0, 0.01, y.shape)", zh="加上 torch.normal(0, 0.01, y.shape)",
       not_in=("do not forget b", "y must be X @ w + b"))
def synthetic_data_noise_std_0_1(w, b, num_examples):
    X = torch.normal(0, 1, (num_examples, len(w)))
    y = torch.matmul(X, w) + b
    y += torch.normal(0, 0.1, y.shape)
    return X, y.reshape((-1, 1))


@wrong("synthetic_data", "test_synthetic_data_noise_has_std_0_01",
       hint="add torch.normal(0, 0.01, y.shape)", zh="加上 torch.normal(0, 0.01, y.shape)",
       not_in=("do not forget b", "y must be X @ w + b"))
def synthetic_data_noise_std_1(w, b, num_examples):
    # torch.normal's second argument taken for the variance of a "standard" noise
    X = torch.normal(0, 1, (num_examples, len(w)))
    y = torch.matmul(X, w) + b + torch.normal(0, 1, (num_examples,))
    return X, y.reshape((-1, 1))


@wrong("synthetic_data", "test_synthetic_data_returns_X_and_column_y",
       "test_synthetic_data_trains_linear_regression", hint="broadcasts them to", zh="会广播成",
       not_in=("return y as a column",))
def synthetic_data_noise_as_a_column(w, b, num_examples):
    # (n,) + (n, 1) is (n, n): reshape((-1, 1)) then makes n * n rows
    X = torch.normal(0, 1, (num_examples, len(w)))
    y = torch.matmul(X, w) + b + torch.normal(0, 0.01, (num_examples, 1))
    return X, y.reshape((-1, 1))


@wrong("synthetic_data", "test_synthetic_data_returns_X_and_column_y", hint="broadcasts them to",
       zh="会广播成", not_in=("return y as a column",))
def synthetic_data_w_as_a_column(w, b, num_examples):
    X = torch.normal(0, 1, (num_examples, len(w)))
    y = torch.matmul(X, w.reshape((-1, 1))) + b + torch.normal(0, 0.01, (num_examples,))
    return X, y


@wrong("synthetic_data", "test_synthetic_data_returns_X_and_column_y", hint="reshape((-1, 1))")
def synthetic_data_y_not_a_column(w, b, num_examples):
    X = torch.normal(0, 1, (num_examples, len(w)))
    return X, torch.matmul(X, w) + b + torch.normal(0, 0.01, (num_examples,))


@wrong("synthetic_data", "test_synthetic_data_returns_X_and_column_y", hint="dtype")
def synthetic_data_float64(w, b, num_examples):
    X = torch.normal(0, 1, (num_examples, len(w)), dtype=torch.float64)
    y = torch.matmul(X, w.double()) + b + torch.normal(0, 0.01, (num_examples,))
    return X, y.reshape((-1, 1))


@wrong("synthetic_data", "test_synthetic_data_draws_fresh_data_each_call",
       "test_synthetic_data_does_not_reseed")
def synthetic_data_fixed_seed(w, b, num_examples):
    torch.manual_seed(0)
    X = torch.normal(0, 1, (num_examples, len(w)))
    y = torch.matmul(X, w) + b + torch.normal(0, 0.01, (num_examples,))
    return X, y.reshape((-1, 1))


@wrong("synthetic_data", "test_synthetic_data_does_not_reseed", hint="seed")
def synthetic_data_reseeds_from_the_clock(w, b, num_examples):
    torch.seed()
    X = torch.normal(0, 1, (num_examples, len(w)))
    y = torch.matmul(X, w) + b + torch.normal(0, 0.01, (num_examples,))
    return X, y.reshape((-1, 1))


@wrong("synthetic_data", "test_synthetic_data_leaves_w_unchanged", hint="in-place", zh="原地操作")
def synthetic_data_turns_w_into_a_column(w, b, num_examples):
    w.unsqueeze_(1)
    X = torch.normal(0, 1, (num_examples, len(w)))
    y = torch.matmul(X, w) + b + torch.normal(0, 0.01, (num_examples, 1))
    return X, y.reshape((-1, 1))


# --- data_iter ------------------------------------------------------------------


@wrong("data_iter", "test_data_iter_batch_sizes", "test_data_iter_visits_every_example_once",
       hint="keep the last", zh="保留最后那个较小的小批量")
def data_iter_drops_last_partial_batch(batch_size, features, labels):
    indices = list(range(len(features)))
    random.shuffle(indices)
    for i in range(0, len(features) - batch_size + 1, batch_size):
        batch = torch.tensor(indices[i:i + batch_size])
        yield features[batch], labels[batch]


@wrong("data_iter", "test_data_iter_batch_sizes")
def data_iter_off_by_one_slice(batch_size, features, labels):
    indices = list(range(len(features)))
    random.shuffle(indices)
    for i in range(0, len(features), batch_size):
        batch = torch.tensor(indices[i:i + batch_size - 1])
        yield features[batch], labels[batch]


@wrong("data_iter", "test_data_iter_shuffles_examples", "test_data_iter_reshuffles_every_pass")
def data_iter_no_shuffle(batch_size, features, labels):
    for i in range(0, len(features), batch_size):
        yield features[i:i + batch_size], labels[i:i + batch_size]


@wrong("data_iter", "test_data_iter_batch_sizes", "test_data_iter_shuffles_examples",
       hint="not just the order of the batches", zh="而不是只打乱小批量的顺序")
def data_iter_shuffles_batch_order_only(batch_size, features, labels):
    starts = list(range(0, len(features), batch_size))
    random.shuffle(starts)
    for i in starts:
        yield features[i:i + batch_size], labels[i:i + batch_size]


@wrong("data_iter", "test_data_iter_reshuffles_every_pass")
def data_iter_same_permutation_every_pass(batch_size, features, labels):
    indices = torch.randperm(len(features), generator=torch.Generator().manual_seed(0))
    for i in range(0, len(features), batch_size):
        batch = indices[i:i + batch_size]
        yield features[batch], labels[batch]


@wrong("data_iter", "test_data_iter_reshuffles_every_pass", "test_data_iter_does_not_reseed")
def data_iter_fixed_seed(batch_size, features, labels):
    random.seed(0)
    indices = list(range(len(features)))
    random.shuffle(indices)
    for i in range(0, len(features), batch_size):
        batch = torch.tensor(indices[i:i + batch_size])
        yield features[batch], labels[batch]


@wrong("data_iter", "test_data_iter_does_not_reseed")
def data_iter_reseeds_from_the_clock(batch_size, features, labels):
    random.seed()
    indices = list(range(len(features)))
    random.shuffle(indices)
    for i in range(0, len(features), batch_size):
        batch = torch.tensor(indices[i:i + batch_size])
        yield features[batch], labels[batch]


@wrong("data_iter", "test_data_iter_keeps_features_and_labels_aligned",
       "test_data_iter_trains_linear_regression", hint="same indices", zh="用同一组索引")
def data_iter_shuffles_features_and_labels_separately(batch_size, features, labels):
    rows, targets = torch.randperm(len(features)), torch.randperm(len(features))
    for i in range(0, len(features), batch_size):
        yield features[rows[i:i + batch_size]], labels[targets[i:i + batch_size]]


@wrong("data_iter", "test_data_iter_batch_sizes", hint="labels[batch_indices]")
def data_iter_forgets_to_index_labels(batch_size, features, labels):
    indices = torch.randperm(len(features))
    for i in range(0, len(features), batch_size):
        yield features[indices[i:i + batch_size]], labels


@wrong("data_iter", "test_data_iter_visits_every_example_once")
def data_iter_samples_with_replacement(batch_size, features, labels):
    for i in range(0, len(features), batch_size):
        batch = torch.randint(0, len(features), (min(batch_size, len(features) - i),))
        yield features[batch], labels[batch]


@wrong("data_iter", "test_data_iter_batch_sizes", hint="did not end", zh="没有结束")
def data_iter_never_stops(batch_size, features, labels):
    while True:
        batch = torch.randint(0, len(features), (batch_size,))
        yield features[batch], labels[batch]


@wrong("data_iter", "test_data_iter_batch_sizes", hint="did not end", zh="没有结束")
def data_iter_repeats_the_first_batch_forever(batch_size, features, labels):
    while True:
        yield features[:batch_size], labels[:batch_size]


@wrong("data_iter", "test_data_iter_leaves_features_and_labels_unchanged", hint="in-place",
       zh="原地操作")
def data_iter_shuffles_the_data_in_place(batch_size, features, labels):
    perm = torch.randperm(len(features))
    features[:], labels[:] = features[perm], labels[perm]
    for i in range(0, len(features), batch_size):
        yield features[i:i + batch_size], labels[i:i + batch_size]


# --- linreg -----------------------------------------------------------------------


@wrong("linreg", "test_linreg_returns_column", hint="X * w")
def linreg_elementwise_product(X, w, b):
    return X * w.T + b


@wrong("linreg", "test_linreg_returns_column", hint="not the elementwise X * w",
       zh="而不是按元素相乘的 X * w",
       not_in=("keepdim", "reshape"))
def linreg_w_times_X(X, w, b):
    # (d, 1) * (n, d): a shape error where n != d, an (n, d) or (d, d) table elsewhere
    return w * X + b


@wrong("linreg", "test_linreg_returns_column", hint="torch.matmul(X, w)", not_in=("keepdim",))
def linreg_matmul_w_X(X, w, b):
    return torch.matmul(w, X) + b


@wrong("linreg", "test_linreg_matches_X_w_plus_b", "test_linreg_trains_linear_regression",
       hint="add the bias", zh="加上偏置")
def linreg_forgets_bias(X, w, b):
    return torch.matmul(X, w)


@wrong("linreg", "test_linreg_matches_X_w_plus_b", hint="do not subtract it", zh="不是减去它")
def linreg_subtracts_bias(X, w, b):
    return torch.matmul(X, w) - b


@wrong("linreg", "test_linreg_gradient_matches_autograd", hint="grad_fn")
def linreg_rewraps_with_torch_tensor(X, w, b):
    return torch.tensor(torch.matmul(X, w) + b)


@wrong("linreg", "test_linreg_gradient_matches_autograd")
def linreg_detaches(X, w, b):
    return (torch.matmul(X, w) + b).detach()


@wrong("linreg", "test_linreg_gradient_matches_autograd")
def linreg_through_numpy(X, w, b):
    return torch.from_numpy(X.numpy() @ w.detach().numpy() + b.detach().numpy())


@wrong("linreg", "test_linreg_returns_column", hint="dtype")
def linreg_float64(X, w, b):
    return torch.matmul(X.double(), w.double()) + b.double()


@wrong("linreg", "test_linreg_leaves_inputs_unchanged", hint="in-place",
       zh="原地操作", not_in=("torch.no_grad",))
def linreg_centres_X_in_place(X, w, b):
    X -= X.mean(dim=0)
    return torch.matmul(X, w) + b


# --- squared_loss -----------------------------------------------------------------


@wrong("squared_loss", "test_squared_loss_keeps_shape_of_y_hat", hint="y.reshape(y_hat.shape)")
def squared_loss_broadcasts_to_n_by_n(y_hat, y):
    return (y_hat - y) ** 2 / 2


@wrong("squared_loss", "test_squared_loss_keeps_shape_of_y_hat", hint="d2l 1.0")
def squared_loss_mean(y_hat, y):
    return ((y_hat - y.reshape(y_hat.shape)) ** 2 / 2).mean()


@wrong("squared_loss", "test_squared_loss_keeps_shape_of_y_hat")
def squared_loss_reshapes_y_hat_instead(y_hat, y):
    return (y_hat.reshape(y.shape) - y) ** 2 / 2


@wrong("squared_loss", "test_squared_loss_matches_half_squared_error", hint="half", zh="平方的一半",
       not_in=("cut", "no gradient"))
def squared_loss_forgets_half(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2


@wrong("squared_loss", "test_squared_loss_matches_half_squared_error",
       "test_squared_loss_trains_linear_regression")
def squared_loss_absolute_error(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)).abs() / 2


@wrong("squared_loss", "test_squared_loss_gradient_matches_autograd", hint="no .detach()",
       zh="中途不要用 .detach()")
def squared_loss_detaches(y_hat, y):
    return ((y_hat - y.reshape(y_hat.shape)) ** 2 / 2).detach()


@wrong("squared_loss", "test_squared_loss_gradient_matches_autograd",
       hint="your values are right but their gradient is not",
       zh="你的值是对的，但梯度不对", not_in=("fix the values",))
def squared_loss_detaches_one_factor(y_hat, y):
    # right values, half the gradient: autograd sees one factor as a constant
    e = y_hat - y.reshape(y_hat.shape)
    return e * e.detach() / 2


@wrong("squared_loss", "test_squared_loss_leaves_inputs_unchanged", hint="in-place", zh="原地操作")
def squared_loss_subtracts_in_place(y_hat, y):
    y = y.reshape(y_hat.shape)
    with torch.no_grad():
        y_hat.sub_(y)
    return y_hat ** 2 / 2


# --- sgd --------------------------------------------------------------------------


@wrong("sgd", "test_sgd_clears_gradients", "test_sgd_trains_linear_regression",
       "test_sgd_trains_on_fashion_mnist", hint="zero_()")
def sgd_forgets_zero_grad(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size


@wrong("sgd", "test_sgd_updates_params", hint="divide by batch_size",
       zh="要除以 batch_size", not_in=("minus",))
def sgd_forgets_batch_size(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad
            param.grad.zero_()


@wrong("sgd", "test_sgd_updates_params", hint="do not multiply", zh="而不是乘以它")
def sgd_multiplies_by_batch_size(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad * batch_size
            param.grad.zero_()


@wrong("sgd", "test_sgd_updates_params", "test_sgd_trains_linear_regression",
       hint="minus: step against the gradient",
       zh="是减号：沿梯度的反方向走一步", not_in=("divide by batch_size",))
def sgd_climbs_the_gradient(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param += lr * param.grad / batch_size
            param.grad.zero_()


@wrong("sgd", "test_sgd_updates_params", hint="only gives the loop variable a new tensor",
       zh="只是让循环变量指向一个新张量")
def sgd_rebinds_the_loop_variable(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param = param - lr * param.grad / batch_size
            param.grad = None


@wrong("sgd", "test_sgd_keeps_params_as_leaves", "test_sgd_updates_params")
def sgd_replaces_list_entries(params, lr, batch_size):
    for i, param in enumerate(params):
        params[i] = (param - lr * param.grad / batch_size).detach().requires_grad_()


@wrong("sgd", "test_sgd_updates_params", hint="torch.no_grad()", not_in=("in place (x -= ...",))
def sgd_without_no_grad(params, lr, batch_size):
    for param in params:
        param -= lr * param.grad / batch_size
        param.grad.zero_()


@wrong("sgd", "test_sgd_keeps_params_as_leaves", hint="requires grad", zh="不再需要梯度")
def sgd_stops_tracking_gradients(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()
            param.requires_grad_(False)


@wrong("sgd", "test_sgd_updates_params", hint="clearing param.grad first steps by 0",
       zh="先清空 param.grad 会让这一步的步长为 0")
def sgd_zeroes_before_updating(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param.grad.zero_()
            param -= lr * param.grad / batch_size


@wrong("sgd", "test_sgd_updates_params", hint="update every param of params",
       zh="要原地更新 params 中的每个参数")
def sgd_updates_only_the_first_param(params, lr, batch_size):
    with torch.no_grad():
        params[0] -= lr * params[0].grad / batch_size
        for param in params:
            param.grad.zero_()


# --- softmax ----------------------------------------------------------------------


@wrong("softmax", "test_softmax_is_stable_for_large_logits", hint="subtract each row's max first",
       zh="先让每行减去该行的最大值",
       not_in=("finite but wrong", "small enough for exp()"))
def softmax_naive_exp(X):
    X_exp = torch.exp(X)
    return X_exp / X_exp.sum(1, keepdim=True)


@wrong("softmax", "test_softmax_gradient_matches_autograd",
       hint="changed a tensor after it was used",
       zh="在张量已被用于计算之后又修改了它", not_in=("internal error",))
def softmax_divides_in_place(X):
    # Right values; exp's backward needs the output that /= then overwrote.
    X_exp = torch.exp(X - X.max(dim=1, keepdim=True).values)
    X_exp /= X_exp.sum(dim=1, keepdim=True)
    return X_exp


@wrong("softmax", "test_softmax_is_stable_for_large_logits", hint="global max",
       zh="只减去一个全局最大值是不够的")
def softmax_subtracts_global_max(X):
    X_exp = torch.exp(X - X.max())
    return X_exp / X_exp.sum(1, keepdim=True)


@wrong("softmax", "test_softmax_is_stable_for_large_logits", hint="finite but wrong",
       zh="概率都是有限数但不对",
       not_in=("0 / 0",))
def softmax_clamps_logits(X):
    X_exp = torch.exp(X.clamp(-80, 80))
    return X_exp / X_exp.sum(1, keepdim=True)


@wrong("softmax", "test_softmax_returns_shape_of_X", hint="keepdim=True", not_in=("reshape",))
def softmax_forgets_keepdim(X):
    X_exp = torch.exp(X - X.max(dim=1, keepdim=True).values)
    return X_exp / X_exp.sum(1)


@wrong("softmax", "test_softmax_rows_sum_to_one", "test_softmax_trains_on_synthetic_classes",
       "test_softmax_trains_on_fashion_mnist", hint="dim=1")
def softmax_normalises_columns(X):
    X_exp = torch.exp(X - X.max(dim=0, keepdim=True).values)
    return X_exp / X_exp.sum(0, keepdim=True)


@wrong("softmax", "test_softmax_rows_sum_to_one")
def softmax_normalises_by_the_global_sum(X):
    X_exp = torch.exp(X - X.max(dim=1, keepdim=True).values)
    return X_exp / X_exp.sum()


@wrong("softmax", "test_softmax_rows_sum_to_one", hint="take exp() of the logits first",
       zh="先对 logit 取 exp()",
       not_in=("dim=1",))
def softmax_forgets_exp(X):
    return X / X.sum(1, keepdim=True)


@wrong("softmax", "test_softmax_matches_exp_over_row_sum")
def softmax_of_sigmoid(X):
    s = torch.sigmoid(X)
    return s / s.sum(1, keepdim=True)


@wrong("softmax", "test_softmax_matches_exp_over_row_sum")
def softmax_halves_the_logits(X):
    X_exp = torch.exp((X - X.max(dim=1, keepdim=True).values) / 2)
    return X_exp / X_exp.sum(1, keepdim=True)


@wrong("softmax", "test_softmax_returns_shape_of_X", hint="dtype")
def softmax_float64(X):
    return torch.softmax(X.double(), dim=1)


@wrong("softmax", "test_softmax_leaves_X_unchanged", hint="must not modify its input X",
       zh="不能修改它的输入 X",
       not_in=("torch.no_grad",))
def softmax_shifts_X_in_place(X):
    X -= X.max(dim=1, keepdim=True).values
    X_exp = torch.exp(X)
    return X_exp / X_exp.sum(1, keepdim=True)


@wrong("softmax", "test_softmax_gradient_matches_autograd", hint="changes its input X in place",
       zh="对输入 X 做了原地操作",
       not_in=("torch.no_grad",))
def softmax_clamps_X_in_place(X):
    # leaves X's values as they are, but changes a tensor that requires grad in place
    X.clamp_(min=-1e30)
    X_exp = torch.exp(X - X.max(dim=1, keepdim=True).values)
    return X_exp / X_exp.sum(1, keepdim=True)


@wrong("softmax", "test_softmax_gradient_matches_autograd", hint="grad_fn")
def softmax_rewraps_with_torch_tensor(X):
    X_exp = torch.exp(X - X.max(dim=1, keepdim=True).values)
    return torch.tensor(X_exp / X_exp.sum(1, keepdim=True))


@wrong("softmax", "test_softmax_gradient_matches_autograd")
def softmax_through_numpy(X):
    e = np.exp(X.detach().numpy() - X.detach().numpy().max(axis=1, keepdims=True))
    return torch.from_numpy(e / e.sum(axis=1, keepdims=True))


# --- cross_entropy ----------------------------------------------------------------


@wrong("cross_entropy", "test_cross_entropy_returns_one_loss_per_example",
       hint="y_hat[:, y] picks the columns",
       zh="y_hat[:, y] 会在每一行都取出 y 中的所有列", not_in=("d2l 1.0",))
def cross_entropy_picks_columns(y_hat, y):
    return -torch.log(y_hat[:, y])


@wrong("cross_entropy", "test_cross_entropy_returns_one_loss_per_example", hint="d2l 1.0")
def cross_entropy_mean(y_hat, y):
    return -torch.log(y_hat[range(len(y_hat)), y]).mean()


@wrong("cross_entropy", "test_cross_entropy_returns_one_loss_per_example")
def cross_entropy_sum(y_hat, y):
    return -torch.log(y_hat[range(len(y_hat)), y]).sum()


@wrong("cross_entropy", "test_cross_entropy_returns_one_loss_per_example",
       hint="index rows and columns together", zh="请同时索引行和列")
def cross_entropy_indexes_rows_by_label(y_hat, y):
    return -torch.log(y_hat[y])


@wrong("cross_entropy", "test_cross_entropy_matches_minus_log_of_true_class",
       "test_cross_entropy_trains_on_synthetic_classes", "test_cross_entropy_trains_on_fashion_mnist",
       hint="minus", zh="自然对数的相反数")
def cross_entropy_forgets_minus(y_hat, y):
    return torch.log(y_hat[range(len(y_hat)), y])


@wrong("cross_entropy", "test_cross_entropy_matches_minus_log_of_true_class")
def cross_entropy_log10(y_hat, y):
    return -torch.log10(y_hat[range(len(y_hat)), y])


@wrong("cross_entropy", "test_cross_entropy_matches_minus_log_of_true_class")
def cross_entropy_always_class_0(y_hat, y):
    return -torch.log(y_hat[range(len(y_hat)), 0])


@wrong("cross_entropy", "test_cross_entropy_matches_minus_log_of_true_class")
def cross_entropy_applies_softmax_again(y_hat, y):
    return -torch.log_softmax(y_hat, dim=1)[range(len(y_hat)), y]


@wrong("cross_entropy", "test_cross_entropy_is_finite_with_zero_probabilities", hint="0 * -inf")
def cross_entropy_one_hot_sum(y_hat, y):
    one_hot = torch.nn.functional.one_hot(y, y_hat.shape[1])
    return -(one_hot * torch.log(y_hat)).sum(dim=1)


@wrong("cross_entropy", "test_cross_entropy_gradient_matches_autograd",
       "test_cross_entropy_gradient_is_p_minus_onehot", hint="grad_fn")
def cross_entropy_rewraps_with_torch_tensor(y_hat, y):
    return torch.tensor(-torch.log(y_hat[range(len(y_hat)), y]))


@wrong("cross_entropy", "test_cross_entropy_gradient_matches_autograd")
def cross_entropy_adds_a_term_with_zero_value(y_hat, y):
    # Equal in value while rows sum to 1, but the gradient is off by 1 everywhere.
    return -torch.log(y_hat[range(len(y_hat)), y]) + y_hat.sum(dim=1) - 1


@wrong("cross_entropy", "test_cross_entropy_leaves_inputs_unchanged", hint="clamp_")
def cross_entropy_clamps_in_place(y_hat, y):
    with torch.no_grad():
        y_hat.clamp_(min=1e-12)
    return -torch.log(y_hat[range(len(y_hat)), y])


# --- accuracy ---------------------------------------------------------------------


@wrong("accuracy", "test_accuracy_counts_argmax_matches",
       "test_accuracy_counts_fashion_mnist_predictions", hint="not the fraction", zh="而不是比例")
def accuracy_fraction(y_hat, y):
    return float((y_hat.argmax(dim=1) == y).float().mean())


@wrong("accuracy", "test_accuracy_counts_argmax_matches", hint="An argmax over dim=0 gives one per class",
       zh="对 dim=0 取 argmax 得到的是每个类别一个值", not_in=("the line of your code",))
def accuracy_argmax_over_examples(y_hat, y):
    return float((y_hat.argmax(dim=0) == y).sum())


@wrong("accuracy", "test_accuracy_counts_argmax_matches",
       "test_accuracy_counts_fashion_mnist_predictions",
       hint="An argmax over dim=0 gives one per class", zh="对 dim=0 取 argmax 得到的是每个类别一个值",
       not_in=("the line of your code",))
def accuracy_book_with_axis_0(y_hat, y):
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=0)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())


@wrong("accuracy", "test_accuracy_counts_argmax_matches", hint="not its scores",
       zh="而不是拿它的各类得分比较", not_in=("the line of your code",))
def accuracy_compares_the_scores(y_hat, y):
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())


@wrong("accuracy", "test_accuracy_counts_matching_labels", hint="more than one column", zh="多于一列")
def accuracy_always_takes_argmax(y_hat, y):
    return float((y_hat.argmax(dim=1) == y).sum())


@wrong("accuracy", "test_accuracy_counts_argmax_matches")
def accuracy_compares_scores_with_labels(y_hat, y):
    return float((y_hat == y.reshape(-1, 1)).sum())


@wrong("accuracy", "test_accuracy_counts_argmax_matches")
def accuracy_counts_mistakes(y_hat, y):
    return float((y_hat.argmax(dim=1) != y).sum())


@wrong("accuracy", "test_accuracy_counts_argmax_matches")
def accuracy_argmin(y_hat, y):
    return float((y_hat.argmin(dim=1) == y).sum())


@wrong("accuracy", "test_accuracy_counts_argmax_matches", hint="a number", zh="必须返回一个数")
def accuracy_returns_the_comparison(y_hat, y):
    return y_hat.argmax(dim=1) == y


# --- huber_loss -----------------------------------------------------------------


@wrong("huber_loss", "test_huber_loss_matches_huber_formula", hint="PyTorch's HuberLoss",
       zh="这是 PyTorch 的 HuberLoss",
       not_in=("broadcast",))
def huber_loss_pytorch_huber_form(y_hat, y, delta=1.0):
    # PyTorch's HuberLoss: delta times the book's formula (equal for delta = 1)
    error = (y_hat - y.reshape(y_hat.shape)).abs()
    return torch.where(error <= delta, error ** 2 / 2, delta * (error - delta / 2))


@wrong("huber_loss", "test_huber_loss_matches_huber_formula", hint="e**2 / (2 * delta)",
       not_in=("PyTorch's HuberLoss",))
def huber_loss_without_half(y_hat, y, delta=1.0):
    error = (y_hat - y.reshape(y_hat.shape)).abs()
    return torch.where(error > delta, error - delta / 2, error ** 2 / delta)


@wrong("huber_loss", "test_huber_loss_matches_huber_formula", hint="|e| - delta / 2")
def huber_loss_swaps_the_branches(y_hat, y, delta=1.0):
    error = (y_hat - y.reshape(y_hat.shape)).abs()
    return torch.where(error <= delta, error - delta / 2, error ** 2 / (2 * delta))


@wrong("huber_loss", "test_huber_loss_matches_huber_formula", hint="|e| - delta / 2")
def huber_loss_compares_the_signed_error(y_hat, y, delta=1.0):
    error = y_hat - y.reshape(y_hat.shape)
    return torch.where(error > delta, error.abs() - delta / 2, error ** 2 / (2 * delta))


@wrong("huber_loss", "test_huber_loss_matches_huber_formula", hint="delta defaults to 1",
       zh="delta 默认为 1")
def huber_loss_defaults_to_delta_2(y_hat, y, delta=2.0):
    error = (y_hat - y.reshape(y_hat.shape)).abs()
    return torch.where(error > delta, error - delta / 2, error ** 2 / (2 * delta))


@wrong("huber_loss", "test_huber_loss_keeps_shape_of_y_hat", "test_huber_loss_matches_huber_formula",
       hint="y.reshape(y_hat.shape)", not_in=("d2l 1.0",))
def huber_loss_broadcasts_y(y_hat, y, delta=1.0):
    error = (y_hat - y).abs()
    return torch.where(error > delta, error - delta / 2, error ** 2 / (2 * delta))


@wrong("huber_loss", "test_huber_loss_keeps_shape_of_y_hat", hint="do not reduce", zh="不要求和或求平均",
       not_in=("broadcast",))
def huber_loss_mean(y_hat, y, delta=1.0):
    error = (y_hat - y.reshape(y_hat.shape)).abs()
    return torch.where(error > delta, error - delta / 2, error ** 2 / (2 * delta)).mean()


@wrong("huber_loss", "test_huber_loss_gradient_matches_autograd",
       hint="your values are right but their gradient is not", zh="你的值是对的，但梯度不对")
def huber_loss_detaches_the_linear_branch(y_hat, y, delta=1.0):
    error = (y_hat - y.reshape(y_hat.shape)).abs()
    return torch.where(error > delta, (error - delta / 2).detach(), error ** 2 / (2 * delta))


@wrong("huber_loss", "test_huber_loss_leaves_inputs_unchanged", hint="must not modify its input",
       zh="不能修改它的输入",
       not_in=("torch.no_grad",))
def huber_loss_subtracts_in_place(y_hat, y, delta=1.0):
    error = y_hat.sub_(y.reshape(y_hat.shape)).abs()
    return torch.where(error > delta, error - delta / 2, error ** 2 / (2 * delta))


# --- Timer ----------------------------------------------------------------------
# Spliced into a copy of linear_regression.py, which imports time and math.


@wrong("Timer", "test_Timer_stop_returns_the_seconds_since_start", hint="restart the clock",
       zh="重新开始计时")
class TimerStartDoesNotRestart:
    def __init__(self):
        self.times = []
        self.tik = time.time()

    def start(self):
        pass

    def stop(self):
        self.times.append(time.time() - self.tik)
        return self.times[-1]

    def avg(self):
        return sum(self.times) / len(self.times)

    def sum(self):
        return sum(self.times)

    def cumsum(self):
        return np.array(self.times).cumsum().tolist()


@wrong("Timer", "test_Timer_stop_returns_the_seconds_since_start",
       "test_Timer_starts_when_created", hint="not the clock's reading", zh="而不是时钟的读数")
class TimerStopReturnsTheClock:
    def __init__(self):
        self.times = []
        self.start()

    def start(self):
        self.tik = time.time()

    def stop(self):
        self.times.append(time.time() - self.tik)
        return time.time()

    def avg(self):
        return sum(self.times) / len(self.times)

    def sum(self):
        return sum(self.times)

    def cumsum(self):
        return np.array(self.times).cumsum().tolist()


@wrong("Timer", "test_Timer_starts_when_created", hint="__init__ starts the clock",
       zh="__init__ 要像书中那样开始计时")
class TimerInitDoesNotStart:
    def __init__(self):
        self.times = []
        self.tik = 0.0

    def start(self):
        self.tik = time.perf_counter()

    def stop(self):
        self.times.append(time.perf_counter() - self.tik)
        return self.times[-1]

    def avg(self):
        return sum(self.times) / len(self.times)

    def sum(self):
        return sum(self.times)

    def cumsum(self):
        return np.array(self.times).cumsum().tolist()


@wrong("Timer", "test_Timer_sum_adds_every_recorded_time", "test_Timer_avg_is_the_mean_recorded_time",
       "test_Timer_cumsum_lists_running_totals", hint="not replace them: then sum(self.times)",
       zh="而不是替换掉它们：这样 sum(self.times)", not_in=("sum() is the total",))
class TimerKeepsTheLastTimeOnly:
    def __init__(self):
        self.times = []
        self.start()

    def start(self):
        self.tik = time.time()

    def stop(self):
        self.times = [time.time() - self.tik]
        return self.times[-1]

    def avg(self):
        return sum(self.times) / len(self.times)

    def sum(self):
        return sum(self.times)

    def cumsum(self):
        return np.array(self.times).cumsum().tolist()


@wrong("Timer", "test_Timer_sum_adds_every_recorded_time", "test_Timer_avg_is_the_mean_recorded_time",
       "test_Timer_cumsum_lists_running_totals", hint="start() only restarts the clock",
       zh="start() 只负责重新开始计时", not_in=("sum() is the total", "not replace them"))
class TimerStartClearsTheTimes:
    def __init__(self):
        self.times = []
        self.start()

    def start(self):
        self.times = []
        self.tik = time.time()

    def stop(self):
        self.times.append(time.time() - self.tik)
        return self.times[-1]

    def avg(self):
        return sum(self.times) / len(self.times)

    def sum(self):
        return sum(self.times)

    def cumsum(self):
        return np.array(self.times).cumsum().tolist()


@wrong("Timer", "test_Timer_sum_adds_every_recorded_time", hint="sum() is the total",
       zh="sum() 是 stop() 记录下的所有时间之和", not_in=("not replace them", "start() only restarts"))
class TimerSumOfTheLastTime:
    def __init__(self):
        self.times = []
        self.start()

    def start(self):
        self.tik = time.time()

    def stop(self):
        self.times.append(time.time() - self.tik)
        return self.times[-1]

    def avg(self):
        return sum(self.times) / len(self.times)

    def sum(self):
        return self.times[-1]

    def cumsum(self):
        return np.array(self.times).cumsum().tolist()


@wrong("Timer", "test_Timer_stop_returns_the_seconds_since_start", "test_Timer_starts_when_created",
       hint="`from time import time` (or perf_counter) keeps reading the real clock",
       zh="用 `from time import time`（或 perf_counter）导入的名字读的一直是真实的时钟",
       not_in=("stop() appends time.time() - self.tik",), setup="from time import perf_counter\n")
class TimerReadsPerfCounterImportedByName:
    def __init__(self):
        self.times = []
        self.start()

    def start(self):
        self.tik = perf_counter()

    def stop(self):
        self.times.append(perf_counter() - self.tik)
        return self.times[-1]

    def avg(self):
        return sum(self.times) / len(self.times)

    def sum(self):
        return sum(self.times)

    def cumsum(self):
        return np.array(self.times).cumsum().tolist()


@wrong("Timer", "test_Timer_stop_returns_the_seconds_since_start",
       hint="`from time import time` (or perf_counter) keeps reading the real clock",
       zh="用 `from time import time`（或 perf_counter）导入的名字读的一直是真实的时钟",
       not_in=("stop() appends time.time() - self.tik",), setup="from time import time\n")
class TimerReadsTimeImportedByName:
    def __init__(self):
        self.times = []
        self.start()

    def start(self):
        self.tik = time()

    def stop(self):
        self.times.append(time() - self.tik)
        return self.times[-1]

    def avg(self):
        return sum(self.times) / len(self.times)

    def sum(self):
        return sum(self.times)

    def cumsum(self):
        return np.array(self.times).cumsum().tolist()


@wrong("Timer", "test_Timer_avg_is_the_mean_recorded_time", hint="len(self.times)")
class TimerAvgOverOneMore:
    def __init__(self):
        self.times = []
        self.start()

    def start(self):
        self.tik = time.time()

    def stop(self):
        self.times.append(time.time() - self.tik)
        return self.times[-1]

    def avg(self):
        return sum(self.times) / (len(self.times) + 1)

    def sum(self):
        return sum(self.times)

    def cumsum(self):
        return np.array(self.times).cumsum().tolist()


@wrong("Timer", "test_Timer_cumsum_lists_running_totals", hint=".tolist()")
class TimerCumsumReturnsAnArray:
    def __init__(self):
        self.times = []
        self.start()

    def start(self):
        self.tik = time.time()

    def stop(self):
        self.times.append(time.time() - self.tik)
        return self.times[-1]

    def avg(self):
        return sum(self.times) / len(self.times)

    def sum(self):
        return sum(self.times)

    def cumsum(self):
        return np.array(self.times).cumsum()


@wrong("Timer", "test_Timer_cumsum_lists_running_totals", hint="running totals", zh="累加和")
class TimerCumsumListsTheTimes:
    def __init__(self):
        self.times = []
        self.start()

    def start(self):
        self.tik = time.time()

    def stop(self):
        self.times.append(time.time() - self.tik)
        return self.times[-1]

    def avg(self):
        return sum(self.times) / len(self.times)

    def sum(self):
        return sum(self.times)

    def cumsum(self):
        return list(self.times)


# --- normal ---------------------------------------------------------------------


@wrong("normal", "test_normal_matches_the_density_on_numpy_arrays", "test_normal_integrates_to_one",
       hint="sigma squared, not sigma", zh="是 sigma 的平方，不是 sigma")
def normal_sigma_in_the_normaliser(x, mu, sigma):
    p = 1 / math.sqrt(2 * math.pi * sigma)
    return p * np.exp(-0.5 / sigma**2 * (x - mu)**2)


@wrong("normal", "test_normal_matches_the_density_on_numpy_arrays", "test_normal_integrates_to_one",
       hint="the exponent divides by 2 * sigma**2", zh="指数部分要除以 2 * sigma**2")
def normal_sigma_in_the_exponent(x, mu, sigma):
    p = 1 / math.sqrt(2 * math.pi * sigma**2)
    return p * np.exp(-0.5 / sigma * (x - mu)**2)


@wrong("normal", "test_normal_matches_the_density_on_numpy_arrays",
       "test_normal_matches_the_density_on_tensors", "test_normal_integrates_to_one",
       hint="the 1/2 is missing", zh="少了 1/2")
def normal_without_the_half(x, mu, sigma):
    p = 1 / math.sqrt(2 * math.pi * sigma**2)
    return p * np.exp(-1 / sigma**2 * (x - mu)**2)


@wrong("normal", "test_normal_matches_the_density_on_numpy_arrays", "test_normal_integrates_to_one",
       hint="multiply by the normaliser", zh="要乘以归一化系数")
def normal_without_the_normaliser(x, mu, sigma):
    return np.exp(-0.5 / sigma**2 * (x - mu)**2)


@wrong("normal", "test_normal_returns_x_kind_shape_and_dtype", hint="torch.exp")
def normal_always_numpy(x, mu, sigma):
    p = 1 / math.sqrt(2 * math.pi * sigma**2)
    return p * np.exp(-0.5 / sigma**2 * (np.asarray(x) - mu)**2)


@wrong("normal", "test_normal_returns_x_kind_shape_and_dtype", hint="dtype")
def normal_in_float64(x, mu, sigma):
    if isinstance(x, torch.Tensor):
        x = x.double()
    p = 1 / math.sqrt(2 * math.pi * sigma**2)
    return p * np.exp(-0.5 / sigma**2 * (x - mu)**2)


@wrong("normal", "test_normal_leaves_x_unchanged", hint="x -= mu")
def normal_centres_x_in_place(x, mu, sigma):
    x -= mu
    p = 1 / math.sqrt(2 * math.pi * sigma**2)
    return p * np.exp(-0.5 / sigma**2 * x**2)


# --- linreg_closed_form -----------------------------------------------------------


@wrong("linreg_closed_form", "test_linreg_closed_form_fits_ill_conditioned_features",
       "test_linreg_closed_form_fits_collinear_features", hint="squares how ill-conditioned",
       zh="病态程度（解对舍入误差的敏感程度）变成原来的平方")
def linreg_closed_form_normal_equations(X, y):
    A = torch.cat([X, torch.ones(len(X), 1)], dim=1)
    theta = torch.linalg.solve(A.T @ A, A.T @ y.reshape(-1, 1))
    return theta[:-1], theta[-1]


@wrong("linreg_closed_form", "test_linreg_closed_form_matches_least_squares",
       hint="the fit without a bias", zh="这是不带偏置的拟合结果")
def linreg_closed_form_without_bias(X, y):
    U, s, Vh = torch.linalg.svd(X, full_matrices=False)
    s_inv = torch.where(s > s.max() * max(X.shape) * 1.2e-7, 1 / s, torch.zeros_like(s))
    w = Vh.T @ (s_inv.reshape(-1, 1) * (U.T @ y.reshape(-1, 1)))
    return w, torch.zeros(1)


@wrong("linreg_closed_form", "test_linreg_closed_form_returns_w_and_b_in_linregs_shapes",
       hint="(d, 1) column", zh="一个 (d, 1) 的列")
def linreg_closed_form_flat_w(X, y):
    X_mean, y_mean = X.mean(dim=0), y.reshape(-1).mean()
    U, s, Vh = torch.linalg.svd(X - X_mean, full_matrices=False)
    s_inv = torch.where(s > s.max() * max(X.shape) * 1.2e-7, 1 / s, torch.zeros_like(s))
    w = Vh.T @ (s_inv * (U.T @ (y.reshape(-1) - y_mean)))
    return w, (y_mean - X_mean @ w).reshape(1)


@wrong("linreg_closed_form", "test_linreg_closed_form_fits_more_features_than_examples",
       "test_linreg_closed_form_fits_collinear_features")
def linreg_closed_form_qr_without_pivoting(X, y):
    A = torch.cat([X, torch.ones(len(X), 1)], dim=1)
    Q, R = torch.linalg.qr(A)
    theta = torch.linalg.solve_triangular(R, Q.T @ y.reshape(-1, 1), upper=True)
    return theta[:-1], theta[-1]


@wrong("linreg_closed_form", "test_linreg_closed_form_leaves_inputs_unchanged", hint="in-place",
       zh="原地操作")
def linreg_closed_form_centres_in_place(X, y):
    X_mean = X.mean(dim=0, keepdim=True)
    X -= X_mean
    y_mean = y.reshape(-1, 1).mean(dim=0, keepdim=True)
    U, s, Vh = torch.linalg.svd(X, full_matrices=False)
    s_inv = torch.where(s > s.max() * max(X.shape) * 1.2e-7, 1 / s, torch.zeros_like(s))
    w = Vh.T @ (s_inv.reshape(-1, 1) * (U.T @ (y.reshape(-1, 1) - y_mean)))
    return w, (y_mean - X_mean @ w).reshape(1)


# --- cross_entropy_from_logits ----------------------------------------------------


@wrong("cross_entropy_from_logits", "test_cross_entropy_from_logits_is_stable_for_large_logits",
       hint="log(0) is -inf", zh="而 log(0) 是 -inf")
def cross_entropy_from_logits_log_of_stable_softmax(o, y):
    # a stable softmax, then its log: exp(-1e4) is 0, and log(0) is -inf
    o_exp = torch.exp(o - o.max(dim=1, keepdim=True).values)
    p = o_exp / o_exp.sum(dim=1, keepdim=True)
    return -torch.log(p[range(len(p)), y])


@wrong("cross_entropy_from_logits", "test_cross_entropy_from_logits_is_stable_for_large_logits")
def cross_entropy_from_logits_naive_exp(o, y):
    return torch.log(torch.exp(o).sum(dim=1)) - o[range(len(o)), y]


@wrong("cross_entropy_from_logits", "test_cross_entropy_from_logits_is_stable_for_large_logits")
def cross_entropy_from_logits_subtracts_global_max(o, y):
    m = o.max()
    return m + torch.log(torch.exp(o - m).sum(dim=1)) - o[range(len(o)), y]


@wrong("cross_entropy_from_logits", "test_cross_entropy_from_logits_matches_log_sum_exp_minus_true_logit",
       "test_cross_entropy_from_logits_is_stable_for_large_logits")
def cross_entropy_from_logits_forgets_to_add_the_max_back(o, y):
    m = o.max(dim=1, keepdim=True).values
    return torch.log(torch.exp(o - m).sum(dim=1)) - o[range(len(o)), y]


@wrong("cross_entropy_from_logits", "test_cross_entropy_from_logits_matches_log_sum_exp_minus_true_logit")
def cross_entropy_from_logits_forgets_minus(o, y):
    m = o.max(dim=1, keepdim=True).values
    return o[range(len(o)), y] - m.squeeze(1) - torch.log(torch.exp(o - m).sum(dim=1))


@wrong("cross_entropy_from_logits", "test_cross_entropy_from_logits_matches_log_sum_exp_minus_true_logit")
def cross_entropy_from_logits_max_for_log_sum_exp(o, y):
    # log-sum-exp is close to the max, but not equal
    return o.max(dim=1).values - o[range(len(o)), y]


@wrong("cross_entropy_from_logits", "test_cross_entropy_from_logits_returns_one_loss_per_example",
       hint="o[:, y] picks the columns",
       zh="o[:, y] 会在每一行都取出 y 中的所有列", not_in=("summed with keepdim=True",))
def cross_entropy_from_logits_picks_columns(o, y):
    m = o.max(dim=1, keepdim=True).values
    return m + torch.log(torch.exp(o - m).sum(dim=1, keepdim=True)) - o[:, y]


@wrong("cross_entropy_from_logits", "test_cross_entropy_from_logits_returns_one_loss_per_example",
       hint="summed with keepdim=True", zh="求和时用了 keepdim=True", not_in=("o[:, y] picks",))
def cross_entropy_from_logits_keepdim_log_sum_exp(o, y):
    # (n, 1) - (n,) broadcasts to (n, n)
    m = o.max(dim=1, keepdim=True).values
    return m + torch.log(torch.exp(o - m).sum(dim=1, keepdim=True)) - o[range(len(o)), y]


@wrong("cross_entropy_from_logits", "test_cross_entropy_from_logits_returns_one_loss_per_example",
       hint="summed with keepdim=True", zh="求和时用了 keepdim=True", not_in=("o[:, y] picks",))
def cross_entropy_from_logits_keepdim_then_reshape(o, y):
    m = o.max(dim=1, keepdim=True).values
    loss = m + torch.log(torch.exp(o - m).sum(dim=1, keepdim=True)) - o[range(len(o)), y]
    return loss.reshape(-1)


@wrong("cross_entropy_from_logits", "test_cross_entropy_from_logits_returns_one_loss_per_example",
       hint="do not take the mean", zh="不要求平均也不要求和")
def cross_entropy_from_logits_mean(o, y):
    m = o.max(dim=1, keepdim=True).values
    return (m.squeeze(1) + torch.log(torch.exp(o - m).sum(dim=1)) - o[range(len(o)), y]).mean()


@wrong("cross_entropy_from_logits", "test_cross_entropy_from_logits_gradient_matches_autograd")
def cross_entropy_from_logits_detaches_the_log_sum_exp(o, y):
    m = o.max(dim=1, keepdim=True).values
    log_sum_exp = (m.squeeze(1) + torch.log(torch.exp(o - m).sum(dim=1))).detach()
    return log_sum_exp - o[range(len(o)), y]


@wrong("cross_entropy_from_logits", "test_cross_entropy_from_logits_gradient_matches_autograd")
def cross_entropy_from_logits_through_numpy(o, y):
    logits = o.detach().numpy()
    m = logits.max(axis=1, keepdims=True)
    loss = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1)) - logits[range(len(logits)), y.numpy()]
    return torch.from_numpy(loss)


@wrong("cross_entropy_from_logits", "test_cross_entropy_from_logits_leaves_inputs_unchanged",
       hint="must not modify its input o", zh="不能修改它的输入 o", not_in=("torch.no_grad",))
def cross_entropy_from_logits_shifts_o_in_place(o, y):
    o -= o.max(dim=1, keepdim=True).values
    return torch.log(torch.exp(o).sum(dim=1)) - o[range(len(o)), y]


@wrong("huber_loss", "test_huber_loss_matches_huber_formula", hint="|e| - delta / 2")
def huber_loss_forgets_half_delta(y_hat, y, delta=1.0):
    error = (y_hat - y.reshape(y_hat.shape)).abs()
    return torch.where(error > delta, error - delta, error ** 2 / (2 * delta))


@wrong("huber_loss", "test_huber_loss_matches_huber_formula", hint="|e| - delta / 2")
def huber_loss_is_the_squared_loss(y_hat, y, delta=1.0):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


@wrong("huber_loss", "test_huber_loss_keeps_shape_of_y_hat", hint="dtype")
def huber_loss_float64(y_hat, y, delta=1.0):
    error = (y_hat.double() - y.reshape(y_hat.shape).double()).abs()
    return torch.where(error > delta, error - delta / 2, error ** 2 / (2 * delta))


@wrong("cross_entropy_from_logits", "test_cross_entropy_from_logits_is_stable_for_large_logits")
def cross_entropy_from_logits_shifts_by_the_min(o, y):
    m = o.min(dim=1, keepdim=True).values
    return m.squeeze(1) + torch.log(torch.exp(o - m).sum(dim=1)) - o[range(len(o)), y]


@wrong("cross_entropy_from_logits", "test_cross_entropy_from_logits_is_stable_for_large_logits")
def cross_entropy_from_logits_max_over_examples(o, y):
    m = o.max(dim=0, keepdim=True).values
    return torch.log(torch.exp(o - m).sum(dim=1, keepdim=True)).squeeze(1) \
        + (m - o).gather(1, y.unsqueeze(1)).squeeze(1)


@wrong("cross_entropy_from_logits", "test_cross_entropy_from_logits_matches_log_sum_exp_minus_true_logit")
def cross_entropy_from_logits_subtracts_every_logit(o, y):
    m = o.max(dim=1, keepdim=True).values
    return m.squeeze(1) + torch.log(torch.exp(o - m).sum(dim=1)) - o.sum(dim=1)


# --- net ------------------------------------------------------------------------
# Each `setup` replaces the module's W and b (3.6.1); softmax is the module's own.


@wrong("net", "test_net_W_is_784_by_10", hint="(784, 10), inputs by outputs",
       zh="(784, 10)，即输入数乘输出数",
       setup="W = torch.normal(0, 0.01, size=(10, 784), requires_grad=True)\n")
def net_with_W_transposed(X):
    return softmax(torch.matmul(X.reshape((-1, W.shape[1])), W.T) + b)


@wrong("net", "test_net_b_has_10_entries", hint="b = torch.zeros(num_outputs",
       setup="b = torch.zeros((1, 10), requires_grad=True)\n")
def net_with_b_a_row(X):
    return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)


@wrong("net", "test_net_parameters_require_grad", hint="requires_grad=True",
       setup="W = torch.normal(0, 0.01, size=(784, 10))\n")
def net_with_W_not_requiring_grad(X):
    return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)


@wrong("net", "test_net_W_is_drawn_from_normal_0_0_01", hint="torch.normal(0, 0.01",
       setup="W = torch.randn(784, 10, requires_grad=True)\n")
def net_with_standard_normal_W(X):
    return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)


@wrong("net", "test_net_b_starts_at_zero", hint="torch.zeros(num_outputs",
       setup="b = torch.ones(10, requires_grad=True)\n")
def net_with_b_ones(X):
    return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)


@wrong("net", "test_net_returns_a_row_of_10_per_image", hint="one row of 10",
       zh="对每张图像给出一行 10 个类别的概率")
def net_flattens_its_result(X):
    return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b).reshape(-1)


@wrong("net", "test_net_matches_softmax_of_X_W_plus_b", hint="apply softmax", zh="对得分再做 softmax")
def net_returns_the_scores(X):
    return torch.matmul(X.reshape((-1, W.shape[0])), W) + b


@wrong("net", "test_net_matches_softmax_of_X_W_plus_b", hint="with this module's W and b",
       zh="用的是这个模块里的 W 和 b")
def net_with_its_own_W(X):
    W = torch.normal(0, 0.01, size=(784, 10))
    return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)


# --- training.py and concise.py ---------------------------------------------
# Spliced into copies of the reference modules: accuracy, Accumulator and
# get_fashion_mnist_labels are the names of the module they land in.

@wrong("Accumulator", "test_accumulator_sums_what_is_added", hint="add(*args) adds",
       zh="add(*args) 把 args[i] 加到第 i 个位置上")
class AccumulatorOverwrites:
    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *args):
        self.data = [float(b) for b in args]

    def reset(self):
        self.data = [0.0] * len(self.data)

    def __getitem__(self, idx):
        return self.data[idx]


@wrong("Accumulator", "test_accumulator_sums_what_is_added")
class AccumulatorAddsToTheFirstSlotOnly:
    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *args):
        self.data[0] += float(args[0])

    def reset(self):
        self.data = [0.0] * len(self.data)

    def __getitem__(self, idx):
        return self.data[idx]


@wrong("Accumulator", "test_accumulator_stores_plain_numbers", hint="float(b)")
class AccumulatorKeepsTensors:
    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *args):
        self.data = [a + b for a, b in zip(self.data, args)]

    def reset(self):
        self.data = [0.0] * len(self.data)

    def __getitem__(self, idx):
        return self.data[idx]


@wrong("Accumulator", "test_accumulator_reset_sets_every_slot_to_zero",
       hint="acc[i] raised an error after reset()", zh="调用 reset() 之后，读取 acc[i] 时出错",
       not_in=("the line of your code",))
class AccumulatorResetEmpties:
    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *args):
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def reset(self):
        self.data = []

    def __getitem__(self, idx):
        return self.data[idx]


@wrong("Accumulator", "test_accumulator_reset_sets_every_slot_to_zero",
       hint="reset() sets every one of the n slots back to 0.0", zh="reset() 把 n 个位置全部重新设为 0.0",
       not_in=("the line of your code",))
class AccumulatorResetKeepsOneSlot:
    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *args):
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def reset(self):
        self.data = [0.0]

    def __getitem__(self, idx):
        return self.data[idx]


@wrong("Accumulator", "test_accumulator_sums_what_is_added", "test_accumulator_reset_sets_every_slot_to_zero",
       hint="the line of your code that raised it is shown above", zh="引发错误的那行代码显示在上面",
       not_in=("after reset()", "after add()"))
class AccumulatorReadsTheNextSlot:
    # acc[i] fails from the start: __init__ and __getitem__ are both suspects, and
    # the error's line tells which
    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *args):
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def reset(self):
        self.data = [0.0] * len(self.data)

    def __getitem__(self, idx):
        return self.data[idx + 1]


@wrong("Accumulator", "test_accumulator_reset_sets_every_slot_to_zero", hint="reset()")
class AccumulatorResetDoesNothing:
    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *args):
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def reset(self):
        pass

    def __getitem__(self, idx):
        return self.data[idx]


@wrong("evaluate_accuracy", "test_evaluate_accuracy_is_the_fraction_right_over_all_examples",
       hint="a mean of the batches' accuracies", zh="对各小批量的精度求平均")
def evaluate_accuracy_mean_of_batches(net, data_iter):
    if isinstance(net, torch.nn.Module):
        net.eval()
    accuracies = []
    with torch.no_grad():
        for X, y in data_iter:
            accuracies.append(accuracy(net(X), y) / y.numel())
    return sum(accuracies) / len(accuracies)


@wrong("evaluate_accuracy", "test_evaluate_accuracy_puts_a_module_in_eval_mode",
       "test_evaluate_accuracy_is_the_fraction_right_over_all_examples", hint="not the number right",
       zh="而不是分类正确的个数", not_in=("net.eval()",))
def evaluate_accuracy_returns_the_count(net, data_iter):
    if isinstance(net, torch.nn.Module):
        net.eval()
    metric = Accumulator(2)
    with torch.no_grad():
        for X, y in data_iter:
            metric.add(accuracy(net(X), y), y.numel())
    return metric[0]


@wrong("evaluate_accuracy", "test_evaluate_accuracy_is_the_fraction_right_over_all_examples",
       hint="call net.eval() only if isinstance(net, torch.nn.Module)",
       zh="只有当 isinstance(net, torch.nn.Module) 时才调用 net.eval()")
def evaluate_accuracy_assumes_a_module(net, data_iter):
    net.eval()
    metric = Accumulator(2)
    with torch.no_grad():
        for X, y in data_iter:
            metric.add(accuracy(net(X), y), y.numel())
    return metric[0] / metric[1]


@wrong("evaluate_accuracy", "test_evaluate_accuracy_puts_a_module_in_eval_mode",
       "test_evaluate_accuracy_is_the_fraction_right_over_all_examples",
       hint="X.numel() counts every feature", zh="X.numel() 数的是每个样本的每个特征",
       not_in=("net.eval()", "a mean of the batches"))
def evaluate_accuracy_counts_the_features(net, data_iter):
    if isinstance(net, torch.nn.Module):
        net.eval()
    metric = Accumulator(2)
    with torch.no_grad():
        for X, y in data_iter:
            metric.add(accuracy(net(X), y), X.numel())
    return metric[0] / metric[1]


@wrong("evaluate_accuracy", "test_evaluate_accuracy_puts_a_module_in_eval_mode", hint="net.eval()")
def evaluate_accuracy_leaves_train_mode(net, data_iter):
    metric = Accumulator(2)
    with torch.no_grad():
        for X, y in data_iter:
            metric.add(accuracy(net(X), y), y.numel())
    return metric[0] / metric[1]


@wrong("train_epoch_ch3", "test_train_epoch_ch3_returns_mean_loss_and_accuracy",
       hint="accumulate float(l.sum())", zh="累加 float(l.sum())")
def train_epoch_ch3_mean_of_batch_means(net, train_iter, loss, updater):
    if isinstance(net, torch.nn.Module):
        net.train()
    losses, accuracies = [], []
    for X, y in train_iter:
        y_hat = net(X)
        l = loss(y_hat, y)
        if isinstance(updater, torch.optim.Optimizer):
            updater.zero_grad()
            l.mean().backward()
            updater.step()
        else:
            l.sum().backward()
            updater(X.shape[0])
        losses.append(float(l.mean()))
        accuracies.append(accuracy(y_hat, y) / y.numel())
    return sum(losses) / len(losses), sum(accuracies) / len(accuracies)


@wrong("train_epoch_ch3", "test_train_epoch_ch3_returns_mean_loss_and_accuracy")
def train_epoch_ch3_adds_mean_losses(net, train_iter, loss, updater):
    if isinstance(net, torch.nn.Module):
        net.train()
    metric = Accumulator(3)
    for X, y in train_iter:
        y_hat = net(X)
        l = loss(y_hat, y)
        if isinstance(updater, torch.optim.Optimizer):
            updater.zero_grad()
            l.mean().backward()
            updater.step()
        else:
            l.sum().backward()
            updater(X.shape[0])
        metric.add(float(l.mean()), accuracy(y_hat, y), y.numel())
    return metric[0] / metric[2], metric[1] / metric[2]


@wrong("train_epoch_ch3", "test_train_epoch_ch3_returns_mean_loss_and_accuracy")
def train_epoch_ch3_returns_accuracy_first(net, train_iter, loss, updater):
    if isinstance(net, torch.nn.Module):
        net.train()
    metric = Accumulator(3)
    for X, y in train_iter:
        y_hat = net(X)
        l = loss(y_hat, y)
        if isinstance(updater, torch.optim.Optimizer):
            updater.zero_grad()
            l.mean().backward()
            updater.step()
        else:
            l.sum().backward()
            updater(X.shape[0])
        metric.add(float(l.sum()), accuracy(y_hat, y), y.numel())
    return metric[1] / metric[2], metric[0] / metric[2]


@wrong("train_epoch_ch3", "test_train_epoch_ch3_returns_mean_loss_and_accuracy",
       hint="net(X) called again after the update", zh="更新之后再调用 net(X)",
       not_in=("accumulate float(l.sum())",))
def train_epoch_ch3_accuracy_of_the_updated_net(net, train_iter, loss, updater):
    if isinstance(net, torch.nn.Module):
        net.train()
    metric = Accumulator(3)
    for X, y in train_iter:
        y_hat = net(X)
        l = loss(y_hat, y)
        if isinstance(updater, torch.optim.Optimizer):
            updater.zero_grad()
            l.mean().backward()
            updater.step()
        else:
            l.sum().backward()
            updater(X.shape[0])
        metric.add(float(l.sum()), accuracy(net(X), y), y.numel())
    return metric[0] / metric[2], metric[1] / metric[2]


@wrong("train_epoch_ch3", "test_train_epoch_ch3_returns_mean_loss_and_accuracy",
       hint="net(X) called again after the update", zh="更新之后再调用 net(X)",
       not_in=("accumulate float(l.sum())",))
def train_epoch_ch3_metrics_of_the_updated_net(net, train_iter, loss, updater):
    if isinstance(net, torch.nn.Module):
        net.train()
    metric = Accumulator(3)
    for X, y in train_iter:
        l = loss(net(X), y)
        if isinstance(updater, torch.optim.Optimizer):
            updater.zero_grad()
            l.mean().backward()
            updater.step()
        else:
            l.sum().backward()
            updater(X.shape[0])
        with torch.no_grad():
            y_hat = net(X)
            metric.add(float(loss(y_hat, y).sum()), accuracy(y_hat, y), y.numel())
    return metric[0] / metric[2], metric[1] / metric[2]


@wrong("train_epoch_ch3", "test_train_epoch_ch3_returns_mean_loss_and_accuracy",
       hint="X.numel() counts every feature", zh="X.numel() 数的是每个样本的每个特征",
       not_in=("accumulate float(l.sum())",))
def train_epoch_ch3_counts_the_features(net, train_iter, loss, updater):
    if isinstance(net, torch.nn.Module):
        net.train()
    metric = Accumulator(3)
    for X, y in train_iter:
        y_hat = net(X)
        l = loss(y_hat, y)
        if isinstance(updater, torch.optim.Optimizer):
            updater.zero_grad()
            l.mean().backward()
            updater.step()
        else:
            l.sum().backward()
            updater(X.shape[0])
        metric.add(float(l.sum()), accuracy(y_hat, y), X.numel())
    return metric[0] / metric[2], metric[1] / metric[2]


@wrong("train_epoch_ch3", "test_train_epoch_ch3_calls_updater_with_batch_size_on_summed_loss",
       hint="backpropagate l.sum()", zh="对 l.sum() 做反向传播", not_in=("accumulate float(l.sum())",))
def train_epoch_ch3_mean_loss_for_sgd(net, train_iter, loss, updater):
    if isinstance(net, torch.nn.Module):
        net.train()
    metric = Accumulator(3)
    for X, y in train_iter:
        y_hat = net(X)
        l = loss(y_hat, y)
        if isinstance(updater, torch.optim.Optimizer):
            updater.zero_grad()
            l.mean().backward()
            updater.step()
        else:
            l.mean().backward()
            updater(X.shape[0])
        metric.add(float(l.sum()), accuracy(y_hat, y), y.numel())
    return metric[0] / metric[2], metric[1] / metric[2]


@wrong("train_epoch_ch3", "test_train_epoch_ch3_calls_updater_with_batch_size_on_summed_loss",
       hint="the last batch", zh="最后一个小批量更小")
def train_epoch_ch3_fixed_batch_size(net, train_iter, loss, updater):
    if isinstance(net, torch.nn.Module):
        net.train()
    metric = Accumulator(3)
    batch_size = None
    for X, y in train_iter:
        batch_size = batch_size or X.shape[0]
        y_hat = net(X)
        l = loss(y_hat, y)
        if isinstance(updater, torch.optim.Optimizer):
            updater.zero_grad()
            l.mean().backward()
            updater.step()
        else:
            l.sum().backward()
            updater(batch_size)
        metric.add(float(l.sum()), accuracy(y_hat, y), y.numel())
    return metric[0] / metric[2], metric[1] / metric[2]


@wrong("train_epoch_ch3", "test_train_epoch_ch3_steps_an_optimizer_on_the_mean_loss",
       hint="updater.zero_grad()")
def train_epoch_ch3_no_zero_grad(net, train_iter, loss, updater):
    if isinstance(net, torch.nn.Module):
        net.train()
    metric = Accumulator(3)
    for X, y in train_iter:
        y_hat = net(X)
        l = loss(y_hat, y)
        if isinstance(updater, torch.optim.Optimizer):
            l.mean().backward()
            updater.step()
        else:
            l.sum().backward()
            updater(X.shape[0])
        metric.add(float(l.sum()), accuracy(y_hat, y), y.numel())
    return metric[0] / metric[2], metric[1] / metric[2]


@wrong("train_epoch_ch3", "test_train_epoch_ch3_steps_an_optimizer_on_the_mean_loss")
def train_epoch_ch3_sum_loss_for_an_optimizer(net, train_iter, loss, updater):
    if isinstance(net, torch.nn.Module):
        net.train()
    metric = Accumulator(3)
    for X, y in train_iter:
        y_hat = net(X)
        l = loss(y_hat, y)
        if isinstance(updater, torch.optim.Optimizer):
            updater.zero_grad()
            l.sum().backward()
            updater.step()
        else:
            l.sum().backward()
            updater(X.shape[0])
        metric.add(float(l.sum()), accuracy(y_hat, y), y.numel())
    return metric[0] / metric[2], metric[1] / metric[2]


@wrong("train_epoch_ch3", "test_train_epoch_ch3_steps_an_optimizer_on_the_mean_loss",
       hint="instead of updater(batch_size)", zh="而不是 updater(batch_size)")
def train_epoch_ch3_custom_updater_only(net, train_iter, loss, updater):
    if isinstance(net, torch.nn.Module):
        net.train()
    metric = Accumulator(3)
    for X, y in train_iter:
        y_hat = net(X)
        l = loss(y_hat, y)
        l.sum().backward()
        updater(X.shape[0])
        metric.add(float(l.sum()), accuracy(y_hat, y), y.numel())
    return metric[0] / metric[2], metric[1] / metric[2]


@wrong("train_epoch_ch3", "test_train_epoch_ch3_puts_a_module_in_train_mode",
       "test_train_epoch_ch3_returns_mean_loss_and_accuracy",
       "test_train_epoch_ch3_steps_an_optimizer_on_the_mean_loss", hint="call net.train()",
       zh="调用 net.train()",
       not_in=("accumulate float(l.sum())", "backpropagate l.sum()", "zero_grad"))
def train_epoch_ch3_no_train_mode(net, train_iter, loss, updater):
    metric = Accumulator(3)
    for X, y in train_iter:
        y_hat = net(X)
        l = loss(y_hat, y)
        if isinstance(updater, torch.optim.Optimizer):
            updater.zero_grad()
            l.mean().backward()
            updater.step()
        else:
            l.sum().backward()
            updater(X.shape[0])
        metric.add(float(l.sum()), accuracy(y_hat, y), y.numel())
    return metric[0] / metric[2], metric[1] / metric[2]


@wrong("train_ch3", "test_train_ch3_returns_a_row_per_epoch", hint="evaluate_accuracy(net, test_iter)")
def train_ch3_tests_on_the_training_set(net, train_iter, test_iter, loss, num_epochs, updater):
    rows = []
    for _ in range(num_epochs):
        train_metrics = train_epoch_ch3(net, train_iter, loss, updater)
        rows.append(train_metrics + (evaluate_accuracy(net, train_iter),))
    return rows


@wrong("train_ch3", "test_train_ch3_returns_a_row_per_epoch", hint="animator.add(epoch + 1,",
       not_in=("for each epoch: train_metrics",))
def train_ch3_draws_epoch_0_at_x_0(net, train_iter, test_iter, loss, num_epochs, updater):
    animator = Animator(xlabel='epoch', xlim=[1, num_epochs], ylim=[0.3, 0.9],
                        legend=['train loss', 'train acc', 'test acc'])
    for epoch in range(num_epochs):
        train_metrics = train_epoch_ch3(net, train_iter, loss, updater)
        test_acc = evaluate_accuracy(net, test_iter)
        animator.add(epoch, train_metrics + (test_acc,))


@wrong("train_ch3", "test_train_ch3_returns_a_row_per_epoch")
def train_ch3_returns_the_last_epoch(net, train_iter, test_iter, loss, num_epochs, updater):
    for _ in range(num_epochs):
        train_metrics = train_epoch_ch3(net, train_iter, loss, updater)
        test_acc = evaluate_accuracy(net, test_iter)
    return train_metrics + (test_acc,)


@wrong("train_ch3", "test_train_ch3_returns_a_row_per_epoch")
def train_ch3_evaluates_before_training(net, train_iter, test_iter, loss, num_epochs, updater):
    rows = []
    for _ in range(num_epochs):
        test_acc = evaluate_accuracy(net, test_iter)
        rows.append(train_epoch_ch3(net, train_iter, loss, updater) + (test_acc,))
    return rows


@wrong("get_fashion_mnist_labels", "test_get_fashion_mnist_labels_names_each_label",
       hint="'t-shirt'")
def get_fashion_mnist_labels_capitalised(labels):
    text_labels = ['T-shirt', 'trouser', 'pullover', 'dress', 'coat',
                   'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot']
    return [text_labels[int(i)] for i in labels]


@wrong("get_fashion_mnist_labels", "test_get_fashion_mnist_labels_names_each_label",
       hint="the labels are right, but they come in a ndarray",
       zh="标签是对的，但放在了一个 ndarray 里", not_in=("wrong labels",))
def get_fashion_mnist_labels_numpy_array(labels):
    text_labels = np.array(['t-shirt', 'trouser', 'pullover', 'dress', 'coat',
                            'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot'])
    return text_labels[labels.numpy()]


@wrong("get_fashion_mnist_labels", "test_get_fashion_mnist_labels_names_each_label")
def get_fashion_mnist_labels_swaps_two(labels):
    text_labels = ['t-shirt', 'trouser', 'pullover', 'dress', 'coat',
                   'sandal', 'sneaker', 'shirt', 'bag', 'ankle boot']
    return [text_labels[int(i)] for i in labels]


@wrong("predict_ch3", "test_predict_ch3_labels_the_first_n_examples", hint="predicted first",
       zh="预测的在前")
def predict_ch3_true_first(net, test_iter, n=6):
    for X, y in test_iter:
        break
    trues = get_fashion_mnist_labels(y)
    preds = get_fashion_mnist_labels(net(X).argmax(axis=1))
    return trues[0:n], preds[0:n]


@wrong("predict_ch3", "test_predict_ch3_labels_the_first_n_examples",
       hint="title each image true + '\\n' + predicted, the true label on top",
       zh="每张图像的标题是 true + '\\n' + predicted，真实标签在上面",
       not_in=("take the first batch X, y",))
def predict_ch3_titles_predicted_first(net, test_iter, n=6):
    for X, y in test_iter:
        break
    trues = get_fashion_mnist_labels(y)
    preds = get_fashion_mnist_labels(net(X).argmax(axis=1))
    titles = [pred + '\n' + true for true, pred in zip(trues, preds)]
    show_images(X[0:n].reshape((n, 28, 28)), 1, n, titles=titles[0:n])


@wrong("predict_ch3", "test_predict_ch3_labels_the_first_n_examples",
       hint="each title holds two lines", zh="每个标题有两行", not_in=("take the first batch X, y",))
def predict_ch3_titles_on_one_line(net, test_iter, n=6):
    for X, y in test_iter:
        break
    trues = get_fashion_mnist_labels(y)
    preds = get_fashion_mnist_labels(net(X).argmax(axis=1))
    titles = [true + ' ' + pred for true, pred in zip(trues, preds)]
    show_images(X[0:n].reshape((n, 28, 28)), 1, n, titles=titles[0:n])


@wrong("predict_ch3", "test_predict_ch3_labels_the_first_n_examples")
def predict_ch3_whole_batch(net, test_iter, n=6):
    for X, y in test_iter:
        break
    return get_fashion_mnist_labels(net(X).argmax(axis=1)), get_fashion_mnist_labels(y)


@wrong("predict_ch3", "test_predict_ch3_labels_the_first_n_examples")
def predict_ch3_argmax_over_examples(net, test_iter, n=6):
    for X, y in test_iter:
        break
    preds = get_fashion_mnist_labels(net(X).argmax(axis=0))
    return preds[0:n], get_fashion_mnist_labels(y)[0:n]


# --- show_images, get_dataloader_workers, load_data_fashion_mnist, Animator --------
# (3.5.1-3.5.3 and 3.6.6) and the book's train_ch3, which draws instead of returning


@wrong("show_images", "test_show_images_returns_the_axes", hint="flatten()")
def show_images_returns_the_figure(imgs, num_rows, num_cols, titles=None, scale=1.5):
    fig, axes = plt.subplots(num_rows, num_cols, figsize=(num_cols * scale, num_rows * scale))
    for i, (ax, img) in enumerate(zip(axes.flatten(), imgs)):
        ax.imshow(img.numpy() if torch.is_tensor(img) else img)
        ax.axes.get_xaxis().set_visible(False)
        ax.axes.get_yaxis().set_visible(False)
        if titles:
            ax.set_title(titles[i])
    return fig


@wrong("show_images", "test_show_images_returns_the_axes", hint="axes.flatten()")
def show_images_not_flattened(imgs, num_rows, num_cols, titles=None, scale=1.5):
    _, axes = plt.subplots(num_rows, num_cols, figsize=(num_cols * scale, num_rows * scale))
    for i, (ax, img) in enumerate(zip(axes.flatten(), imgs)):
        ax.imshow(img.numpy() if torch.is_tensor(img) else img)
        ax.axes.get_xaxis().set_visible(False)
        ax.axes.get_yaxis().set_visible(False)
        if titles:
            ax.set_title(titles[i])
    return axes


@wrong("show_images", "test_show_images_sizes_the_figure",
       hint="(num_cols * scale, num_rows * scale)")
def show_images_height_first(imgs, num_rows, num_cols, titles=None, scale=1.5):
    _, axes = plt.subplots(num_rows, num_cols, figsize=(num_rows * scale, num_cols * scale))
    axes = axes.flatten()
    for i, (ax, img) in enumerate(zip(axes, imgs)):
        ax.imshow(img.numpy() if torch.is_tensor(img) else img)
        ax.axes.get_xaxis().set_visible(False)
        ax.axes.get_yaxis().set_visible(False)
        if titles:
            ax.set_title(titles[i])
    return axes


@wrong("show_images", "test_show_images_draws_one_axes_per_cell", hint="the whole grid",
       zh="就会画出整个网格")
def show_images_with_colorbars(imgs, num_rows, num_cols, titles=None, scale=1.5):
    _, axes = plt.subplots(num_rows, num_cols, figsize=(num_cols * scale, num_rows * scale))
    axes = axes.flatten()
    for i, (ax, img) in enumerate(zip(axes, imgs)):
        plt.colorbar(ax.imshow(img.numpy() if torch.is_tensor(img) else img), ax=ax)
        ax.axes.get_xaxis().set_visible(False)
        ax.axes.get_yaxis().set_visible(False)
        if titles:
            ax.set_title(titles[i])
    return axes


@wrong("show_images", "test_show_images_shows_each_image", hint="ax.imshow(img.numpy())")
def show_images_transposed(imgs, num_rows, num_cols, titles=None, scale=1.5):
    _, axes = plt.subplots(num_rows, num_cols, figsize=(num_cols * scale, num_rows * scale))
    axes = axes.flatten()
    for i, (ax, img) in enumerate(zip(axes, imgs)):
        ax.imshow(img.numpy().T if torch.is_tensor(img) else img)
        ax.axes.get_xaxis().set_visible(False)
        ax.axes.get_yaxis().set_visible(False)
        if titles:
            ax.set_title(titles[i])
    return axes


@wrong("show_images", "test_show_images_titles_each_image", hint="ax.set_title(titles[i])")
def show_images_without_titles(imgs, num_rows, num_cols, titles=None, scale=1.5):
    _, axes = plt.subplots(num_rows, num_cols, figsize=(num_cols * scale, num_rows * scale))
    axes = axes.flatten()
    for ax, img in zip(axes, imgs):
        ax.imshow(img.numpy() if torch.is_tensor(img) else img)
        ax.axes.get_xaxis().set_visible(False)
        ax.axes.get_yaxis().set_visible(False)
    return axes


@wrong("show_images", "test_show_images_hides_the_axis_lines", hint="get_yaxis()")
def show_images_hides_only_x(imgs, num_rows, num_cols, titles=None, scale=1.5):
    _, axes = plt.subplots(num_rows, num_cols, figsize=(num_cols * scale, num_rows * scale))
    axes = axes.flatten()
    for i, (ax, img) in enumerate(zip(axes, imgs)):
        ax.imshow(img.numpy() if torch.is_tensor(img) else img)
        ax.axes.get_xaxis().set_visible(False)
        if titles:
            ax.set_title(titles[i])
    return axes


@wrong("get_dataloader_workers", "test_get_dataloader_workers_returns_an_int", hint="not '4'",
       zh="而不是 '4'")
def get_dataloader_workers_text():
    return "4"


@wrong("get_dataloader_workers", "test_get_dataloader_workers_returns_an_int",
       "test_get_dataloader_workers_returns_a_positive_number", hint="NoneType")
def get_dataloader_workers_forgets_return():
    4  # noqa: B018 - the mistake: no return


@wrong("get_dataloader_workers", "test_get_dataloader_workers_returns_a_positive_number",
       hint="return 4", zh="返回 4")
def get_dataloader_workers_zero():
    return 0


@wrong("load_data_fashion_mnist", "test_load_data_fashion_mnist_returns_two_data_loaders",
       hint="return (data.DataLoader")
def load_data_fashion_mnist_training_only(batch_size, resize=None):
    trans = transforms.Compose(([transforms.Resize(resize)] if resize else [])
                               + [transforms.ToTensor()])
    mnist_train = torchvision.datasets.FashionMNIST(root="../data", train=True, transform=trans,
                                                    download=True)
    return data.DataLoader(mnist_train, batch_size, shuffle=True,
                           num_workers=get_dataloader_workers())


@wrong("load_data_fashion_mnist", "test_load_data_fashion_mnist_yields_image_batches",
       hint="transforms.ToTensor() turns each PIL image",
       zh="transforms.ToTensor() 会把每张 PIL 图像转换成张量")
def load_data_fashion_mnist_without_transform(batch_size, resize=None):
    mnist_train = torchvision.datasets.FashionMNIST(root="../data", train=True, download=True)
    mnist_test = torchvision.datasets.FashionMNIST(root="../data", train=False, download=True)
    return (data.DataLoader(mnist_train, batch_size, shuffle=True, num_workers=0),
            data.DataLoader(mnist_test, batch_size, shuffle=False, num_workers=0))


@wrong("load_data_fashion_mnist", "test_load_data_fashion_mnist_yields_image_batches",
       hint="PILToTensor")
def load_data_fashion_mnist_pil_to_tensor(batch_size, resize=None):
    trans = [transforms.PILToTensor()]
    if resize:
        trans.insert(0, transforms.Resize(resize))
    mnist_train = torchvision.datasets.FashionMNIST(
        root="../data", train=True, transform=transforms.Compose(trans), download=True)
    mnist_test = torchvision.datasets.FashionMNIST(
        root="../data", train=False, transform=transforms.Compose(trans), download=True)
    return (data.DataLoader(mnist_train, batch_size, shuffle=True,
                            num_workers=get_dataloader_workers()),
            data.DataLoader(mnist_test, batch_size, shuffle=False,
                            num_workers=get_dataloader_workers()))


@wrong("load_data_fashion_mnist", "test_load_data_fashion_mnist_resizes_images",
       hint="transforms.Resize(resize)")
def load_data_fashion_mnist_ignores_resize(batch_size, resize=None):
    trans = transforms.ToTensor()
    mnist_train = torchvision.datasets.FashionMNIST(
        root="../data", train=True, transform=trans, download=True)
    mnist_test = torchvision.datasets.FashionMNIST(
        root="../data", train=False, transform=trans, download=True)
    return (data.DataLoader(mnist_train, batch_size, shuffle=True,
                            num_workers=get_dataloader_workers()),
            data.DataLoader(mnist_test, batch_size, shuffle=False,
                            num_workers=get_dataloader_workers()))


@wrong("load_data_fashion_mnist", "test_load_data_fashion_mnist_scales_pixels_to_0_1",
       "test_load_data_fashion_mnist_keeps_the_test_set_in_order", hint="no Normalize",
       zh="不要 Normalize")
def load_data_fashion_mnist_normalized(batch_size, resize=None):
    trans = [transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))]
    if resize:
        trans.insert(0, transforms.Resize(resize))
    trans = transforms.Compose(trans)
    mnist_train = torchvision.datasets.FashionMNIST(
        root="../data", train=True, transform=trans, download=True)
    mnist_test = torchvision.datasets.FashionMNIST(
        root="../data", train=False, transform=trans, download=True)
    return (data.DataLoader(mnist_train, batch_size, shuffle=True,
                            num_workers=get_dataloader_workers()),
            data.DataLoader(mnist_test, batch_size, shuffle=False,
                            num_workers=get_dataloader_workers()))


@wrong("load_data_fashion_mnist", "test_load_data_fashion_mnist_has_60000_and_10000_examples",
       "test_load_data_fashion_mnist_keeps_the_test_set_in_order", hint="train=False")
def load_data_fashion_mnist_tests_on_the_training_set(batch_size, resize=None):
    trans = [transforms.ToTensor()]
    if resize:
        trans.insert(0, transforms.Resize(resize))
    trans = transforms.Compose(trans)
    mnist_train = torchvision.datasets.FashionMNIST(
        root="../data", train=True, transform=trans, download=True)
    return (data.DataLoader(mnist_train, batch_size, shuffle=True,
                            num_workers=get_dataloader_workers()),
            data.DataLoader(mnist_train, batch_size, shuffle=False,
                            num_workers=get_dataloader_workers()))


@wrong("load_data_fashion_mnist", "test_load_data_fashion_mnist_shuffles_the_training_set",
       hint="shuffle=True")
def load_data_fashion_mnist_train_in_order(batch_size, resize=None):
    trans = [transforms.ToTensor()]
    if resize:
        trans.insert(0, transforms.Resize(resize))
    trans = transforms.Compose(trans)
    mnist_train = torchvision.datasets.FashionMNIST(
        root="../data", train=True, transform=trans, download=True)
    mnist_test = torchvision.datasets.FashionMNIST(
        root="../data", train=False, transform=trans, download=True)
    return (data.DataLoader(mnist_train, batch_size, num_workers=get_dataloader_workers()),
            data.DataLoader(mnist_test, batch_size, num_workers=get_dataloader_workers()))


@wrong("load_data_fashion_mnist", "test_load_data_fashion_mnist_keeps_the_test_set_in_order",
       hint="shuffle=False")
def load_data_fashion_mnist_shuffles_both(batch_size, resize=None):
    trans = [transforms.ToTensor()]
    if resize:
        trans.insert(0, transforms.Resize(resize))
    trans = transforms.Compose(trans)
    mnist_train = torchvision.datasets.FashionMNIST(
        root="../data", train=True, transform=trans, download=True)
    mnist_test = torchvision.datasets.FashionMNIST(
        root="../data", train=False, transform=trans, download=True)
    return (data.DataLoader(mnist_train, batch_size, shuffle=True,
                            num_workers=get_dataloader_workers()),
            data.DataLoader(mnist_test, batch_size, shuffle=True,
                            num_workers=get_dataloader_workers()))




@wrong("Animator", "test_animator_draws_each_line_s_points", hint="cla() before plotting",
       zh="重新画线之前先调用 self.axes[0].cla()")
class AnimatorNeverClears:
    """Plots every line again on top of the old ones: no cla()."""

    def __init__(self, xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None,
                 xscale='linear', yscale='linear', fmts=('-', 'm--', 'g-.', 'r:'), nrows=1,
                 ncols=1, figsize=(3.5, 2.5)):
        if legend is None:
            legend = []
        use_svg_display()
        self.fig, self.axes = plt.subplots(nrows, ncols, figsize=figsize)
        if nrows * ncols == 1:
            self.axes = [self.axes, ]
        self.config_axes = lambda: set_axes(
            self.axes[0], xlabel, ylabel, xlim, ylim, xscale, yscale, legend)
        self.X, self.Y, self.fmts = None, None, fmts

    def add(self, x, y):
        if not hasattr(y, "__len__"):
            y = [y]
        n = len(y)
        if not hasattr(x, "__len__"):
            x = [x] * n
        if not self.X:
            self.X = [[] for _ in range(n)]
        if not self.Y:
            self.Y = [[] for _ in range(n)]
        for i, (a, b) in enumerate(zip(x, y)):
            if a is not None and b is not None:
                self.X[i].append(a)
                self.Y[i].append(b)
        for x, y, fmt in zip(self.X, self.Y, self.fmts):
            self.axes[0].plot(x, y, fmt)
        self.config_axes()
        display.display(self.fig)
        display.clear_output(wait=True)


@wrong("Animator", "test_animator_draws_each_line_s_points", hint="is None",
       zh="跳过 x 或 y 为 None 的点")
class AnimatorKeepsNone:
    """Appends the None of a missing point too."""

    def __init__(self, xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None,
                 xscale='linear', yscale='linear', fmts=('-', 'm--', 'g-.', 'r:'), nrows=1,
                 ncols=1, figsize=(3.5, 2.5)):
        if legend is None:
            legend = []
        use_svg_display()
        self.fig, self.axes = plt.subplots(nrows, ncols, figsize=figsize)
        if nrows * ncols == 1:
            self.axes = [self.axes, ]
        self.config_axes = lambda: set_axes(
            self.axes[0], xlabel, ylabel, xlim, ylim, xscale, yscale, legend)
        self.X, self.Y, self.fmts = None, None, fmts

    def add(self, x, y):
        if not hasattr(y, "__len__"):
            y = [y]
        n = len(y)
        if not hasattr(x, "__len__"):
            x = [x] * n
        if not self.X:
            self.X = [[] for _ in range(n)]
        if not self.Y:
            self.Y = [[] for _ in range(n)]
        for i, (a, b) in enumerate(zip(x, y)):
            self.X[i].append(a)
            self.Y[i].append(b)
        self.axes[0].cla()
        for x, y, fmt in zip(self.X, self.Y, self.fmts):
            self.axes[0].plot(x, y, fmt)
        self.config_axes()
        display.display(self.fig)
        display.clear_output(wait=True)


@wrong("Animator", "test_animator_draws_each_line_in_its_format", hint="fmts[i]")
class AnimatorIgnoresFormats:
    """Plots every line in matplotlib's default style."""

    def __init__(self, xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None,
                 xscale='linear', yscale='linear', fmts=('-', 'm--', 'g-.', 'r:'), nrows=1,
                 ncols=1, figsize=(3.5, 2.5)):
        if legend is None:
            legend = []
        use_svg_display()
        self.fig, self.axes = plt.subplots(nrows, ncols, figsize=figsize)
        if nrows * ncols == 1:
            self.axes = [self.axes, ]
        self.config_axes = lambda: set_axes(
            self.axes[0], xlabel, ylabel, xlim, ylim, xscale, yscale, legend)
        self.X, self.Y, self.fmts = None, None, fmts

    def add(self, x, y):
        if not hasattr(y, "__len__"):
            y = [y]
        n = len(y)
        if not hasattr(x, "__len__"):
            x = [x] * n
        if not self.X:
            self.X = [[] for _ in range(n)]
        if not self.Y:
            self.Y = [[] for _ in range(n)]
        for i, (a, b) in enumerate(zip(x, y)):
            if a is not None and b is not None:
                self.X[i].append(a)
                self.Y[i].append(b)
        self.axes[0].cla()
        for x, y, fmt in zip(self.X, self.Y, self.fmts):
            self.axes[0].plot(x, y)
        self.config_axes()
        display.display(self.fig)
        display.clear_output(wait=True)


@wrong("Animator", "test_animator_sets_labels_limits_and_scales", "test_animator_shows_the_legend",
       hint="cla() clears them", zh="cla() 会把它们清除")
class AnimatorConfiguresOnce:
    """Sets the labels, limits and legend once, before add's cla() clears them."""

    def __init__(self, xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None,
                 xscale='linear', yscale='linear', fmts=('-', 'm--', 'g-.', 'r:'), nrows=1,
                 ncols=1, figsize=(3.5, 2.5)):
        if legend is None:
            legend = []
        use_svg_display()
        self.fig, self.axes = plt.subplots(nrows, ncols, figsize=figsize)
        if nrows * ncols == 1:
            self.axes = [self.axes, ]
        self.config_axes = lambda: set_axes(
            self.axes[0], xlabel, ylabel, xlim, ylim, xscale, yscale, legend)
        self.X, self.Y, self.fmts = None, None, fmts
        self.config_axes()

    def add(self, x, y):
        if not hasattr(y, "__len__"):
            y = [y]
        n = len(y)
        if not hasattr(x, "__len__"):
            x = [x] * n
        if not self.X:
            self.X = [[] for _ in range(n)]
        if not self.Y:
            self.Y = [[] for _ in range(n)]
        for i, (a, b) in enumerate(zip(x, y)):
            if a is not None and b is not None:
                self.X[i].append(a)
                self.Y[i].append(b)
        self.axes[0].cla()
        for x, y, fmt in zip(self.X, self.Y, self.fmts):
            self.axes[0].plot(x, y, fmt)
        display.display(self.fig)
        display.clear_output(wait=True)


@wrong("Animator", "test_animator_sets_labels_limits_and_scales", hint="set_axes(")
class AnimatorSwapsLimits:
    """Passes ylim as xlim and xlim as ylim."""

    def __init__(self, xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None,
                 xscale='linear', yscale='linear', fmts=('-', 'm--', 'g-.', 'r:'), nrows=1,
                 ncols=1, figsize=(3.5, 2.5)):
        if legend is None:
            legend = []
        use_svg_display()
        self.fig, self.axes = plt.subplots(nrows, ncols, figsize=figsize)
        if nrows * ncols == 1:
            self.axes = [self.axes, ]
        self.config_axes = lambda: set_axes(
            self.axes[0], xlabel, ylabel, ylim, xlim, xscale, yscale, legend)
        self.X, self.Y, self.fmts = None, None, fmts

    def add(self, x, y):
        if not hasattr(y, "__len__"):
            y = [y]
        n = len(y)
        if not hasattr(x, "__len__"):
            x = [x] * n
        if not self.X:
            self.X = [[] for _ in range(n)]
        if not self.Y:
            self.Y = [[] for _ in range(n)]
        for i, (a, b) in enumerate(zip(x, y)):
            if a is not None and b is not None:
                self.X[i].append(a)
                self.Y[i].append(b)
        self.axes[0].cla()
        for x, y, fmt in zip(self.X, self.Y, self.fmts):
            self.axes[0].plot(x, y, fmt)
        self.config_axes()
        display.display(self.fig)
        display.clear_output(wait=True)


@wrong("Animator", "test_animator_shows_the_legend", hint="axes.legend(legend)")
class AnimatorWithoutLegend:
    """Never passes the legend on."""

    def __init__(self, xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None,
                 xscale='linear', yscale='linear', fmts=('-', 'm--', 'g-.', 'r:'), nrows=1,
                 ncols=1, figsize=(3.5, 2.5)):
        if legend is None:
            legend = []
        use_svg_display()
        self.fig, self.axes = plt.subplots(nrows, ncols, figsize=figsize)
        if nrows * ncols == 1:
            self.axes = [self.axes, ]
        self.config_axes = lambda: set_axes(
            self.axes[0], xlabel, ylabel, xlim, ylim, xscale, yscale, [])
        self.X, self.Y, self.fmts = None, None, fmts

    def add(self, x, y):
        if not hasattr(y, "__len__"):
            y = [y]
        n = len(y)
        if not hasattr(x, "__len__"):
            x = [x] * n
        if not self.X:
            self.X = [[] for _ in range(n)]
        if not self.Y:
            self.Y = [[] for _ in range(n)]
        for i, (a, b) in enumerate(zip(x, y)):
            if a is not None and b is not None:
                self.X[i].append(a)
                self.Y[i].append(b)
        self.axes[0].cla()
        for x, y, fmt in zip(self.X, self.Y, self.fmts):
            self.axes[0].plot(x, y, fmt)
        self.config_axes()
        display.display(self.fig)
        display.clear_output(wait=True)


@wrong("train_ch3", "test_train_ch3_returns_a_row_per_epoch")
def train_ch3_draws_without_test_accuracy(net, train_iter, test_iter, loss, num_epochs, updater):
    animator = Animator(xlabel='epoch', xlim=[1, num_epochs], ylim=[0.3, 0.9],
                        legend=['train loss', 'train acc'])
    for epoch in range(num_epochs):
        train_metrics = train_epoch_ch3(net, train_iter, loss, updater)
        animator.add(epoch + 1, train_metrics)


@wrong("linreg_concise", "test_linreg_concise_starts_from_small_normal_weights", hint="N(0, 0.01)")
def linreg_concise_default_init():
    return nn.Sequential(nn.Linear(2, 1))


@wrong("linreg_concise", "test_linreg_concise_starts_from_small_normal_weights", hint="bias")
def linreg_concise_keeps_default_bias():
    net = nn.Sequential(nn.Linear(2, 1))
    net[0].weight.data.normal_(0, 0.01)
    return net


@wrong("linreg_concise", "test_linreg_concise_has_the_books_layers", hint="nn.Sequential")
def linreg_concise_bare_linear():
    net = nn.Linear(2, 1)
    net.weight.data.normal_(0, 0.01)
    net.bias.data.fill_(0)
    return net


@wrong("linreg_concise", "test_linreg_concise_has_the_books_layers",
       "test_linreg_concise_trains_linear_regression")
def linreg_concise_with_relu():
    net = nn.Sequential(nn.Linear(2, 1), nn.ReLU())
    net[0].weight.data.normal_(0, 0.01)
    net[0].bias.data.fill_(0)
    return net


@wrong("softmax_concise", "test_softmax_concise_has_the_books_layers",
       "test_softmax_concise_trains_on_fashion_mnist", hint="nn.Flatten()")
def softmax_concise_without_flatten():
    net = nn.Sequential(nn.Linear(784, 10))
    nn.init.normal_(net[0].weight, std=0.01)
    return net


@wrong("softmax_concise", "test_softmax_concise_has_the_books_layers",
       "test_softmax_concise_trains_on_fashion_mnist", hint="without a softmax layer",
       zh="不要加 softmax 层")
def softmax_concise_with_a_softmax_layer():
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10), nn.Softmax(dim=1))
    nn.init.normal_(net[1].weight, std=0.01)
    return net


@wrong("softmax_concise", "test_softmax_concise_starts_from_small_normal_weights", hint="N(0, 0.01)")
def softmax_concise_default_init():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 10))


@wrong("softmax_concise", "test_softmax_concise_starts_from_small_normal_weights")
def softmax_concise_std_0_1():
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    nn.init.normal_(net[1].weight, std=0.1)
    return net


# --- load_array -------------------------------------------------------------------
# Spliced into a copy of concise.py, which imports torch.utils.data as data.


@wrong("load_array", "test_load_array_returns_a_dataloader", hint="can be iterated over again",
       zh="可以在每个迭代周期里重新遍历")
def load_array_as_a_generator(data_arrays, batch_size, is_train=True):
    n = len(data_arrays[0])
    indices = torch.randperm(n) if is_train else torch.arange(n)
    for i in range(0, n, batch_size):
        yield [a[indices[i:i + batch_size]] for a in data_arrays]


@wrong("load_array", "test_load_array_returns_a_dataloader", hint="data.DataLoader")
def load_array_returns_the_dataset(data_arrays, batch_size, is_train=True):
    return data.TensorDataset(*data_arrays)


@wrong("load_array", "test_load_array_batch_sizes", hint="drop_last")
def load_array_drops_the_last_batch(data_arrays, batch_size, is_train=True):
    return data.DataLoader(data.TensorDataset(*data_arrays), batch_size, shuffle=is_train,
                           drop_last=True)


@wrong("load_array", "test_load_array_visits_every_example_once", hint="with replacement",
       zh="有放回抽样")
def load_array_draws_with_replacement(data_arrays, batch_size, is_train=True):
    dataset = data.TensorDataset(*data_arrays)
    sampler = data.RandomSampler(dataset, replacement=True)
    return data.DataLoader(dataset, batch_size, sampler=sampler)


@wrong("load_array", "test_load_array_keeps_features_and_labels_aligned",
       "test_load_array_keeps_order_when_not_training", hint="one TensorDataset",
       zh="用一个 TensorDataset(*data_arrays)")
def load_array_shuffles_features_alone(data_arrays, batch_size, is_train=True):
    features, labels = data_arrays
    dataset = data.TensorDataset(features[torch.randperm(len(features))], labels)
    return data.DataLoader(dataset, batch_size, shuffle=is_train)


@wrong("load_array", "test_load_array_keeps_order_when_not_training", hint="shuffle=is_train")
def load_array_always_shuffles(data_arrays, batch_size, is_train=True):
    return data.DataLoader(data.TensorDataset(*data_arrays), batch_size, shuffle=True)


@wrong("load_array", "test_load_array_shuffles_when_training",
       "test_load_array_reshuffles_every_pass", hint="shuffle=is_train")
def load_array_never_shuffles(data_arrays, batch_size, is_train=True):
    return data.DataLoader(data.TensorDataset(*data_arrays), batch_size)


@wrong("load_array", "test_load_array_reshuffles_every_pass", hint="shuffling the tensors once",
       zh="只把张量打乱一次")
def load_array_shuffles_once(data_arrays, batch_size, is_train=True):
    if is_train:
        order = torch.randperm(len(data_arrays[0]))
        data_arrays = [a[order] for a in data_arrays]
    return data.DataLoader(data.TensorDataset(*data_arrays), batch_size)
