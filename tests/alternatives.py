"""Valid implementations that differ from the reference: all must be accepted."""
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

from tests.catalogue import alternative


@alternative("synthetic_data")
def synthetic_data_randn(w, b, num_examples):
    X = torch.randn(num_examples, len(w))
    y = (X @ w + b).unsqueeze(1)
    return X, y + 0.01 * torch.randn_like(y)


@alternative("data_iter")
def data_iter_randperm(batch_size, features, labels):
    indices = torch.randperm(len(features))
    for i in range(0, len(features), batch_size):
        batch = indices[i:i + batch_size]
        yield features[batch], labels[batch]


@alternative("data_iter")
def data_iter_returns_a_list(batch_size, features, labels):
    indices = np.random.permutation(len(features))
    return [(features[indices[i:i + batch_size]], labels[indices[i:i + batch_size]])
            for i in range(0, len(features), batch_size)]


@alternative("linreg")
def linreg_addmm(X, w, b):
    return torch.addmm(b, X, w)


@alternative("squared_loss")
def squared_loss_view_as(y_hat, y):
    return 0.5 * (y.view_as(y_hat) - y_hat).pow(2)


@alternative("sgd")
def sgd_data_update_and_grad_none(params, lr, batch_size):
    for param in params:
        param.data -= lr * param.grad.data / batch_size
        param.grad = None


@alternative("sgd")
def sgd_sub_(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param.sub_(param.grad, alpha=lr / batch_size)
            param.grad.zero_()


@alternative("softmax")
def softmax_logsumexp(X):
    return torch.exp(X - torch.logsumexp(X, dim=1, keepdim=True))


@alternative("softmax")
def softmax_detached_row_max(X):
    X_exp = torch.exp(X - X.amax(dim=1, keepdim=True).detach())
    return X_exp / X_exp.sum(dim=1, keepdim=True)


@alternative("cross_entropy")
def cross_entropy_gather(y_hat, y):
    return -y_hat.gather(1, y.unsqueeze(1)).squeeze(1).log()


@alternative("cross_entropy")
def cross_entropy_clamped_log(y_hat, y):
    return -torch.log(y_hat.clamp(min=1e-12))[torch.arange(len(y)), y]


@alternative("accuracy")
def accuracy_tensor_count(y_hat, y):
    if y_hat.dim() > 1:
        y_hat = y_hat.argmax(dim=1)
    return (y_hat == y).sum()


@alternative("accuracy")
def accuracy_python_loop(y_hat, y):
    predictions = y_hat.argmax(dim=1).tolist() if y_hat.dim() > 1 else y_hat.tolist()
    return sum(int(p == t) for p, t in zip(predictions, y.tolist()))


@alternative("data_iter")
def data_iter_random_sample(batch_size, features, labels):
    order = random.sample(range(len(features)), len(features))
    for start in range(0, len(order), batch_size):
        rows = order[start:start + batch_size]
        yield features[rows], labels[rows]


@alternative("huber_loss")
def huber_loss_by_clamping(y_hat, y, delta=1.0):
    # the error split into its squared part (up to delta) and its linear rest
    error = (y_hat - y.reshape(y_hat.shape)).abs()
    inner = error.clamp(max=delta)
    return inner ** 2 / (2 * delta) + (error - inner)


@alternative("huber_loss")
def huber_loss_with_a_mask(y_hat, y, delta=1.0):
    error = y_hat - y.reshape(y_hat.shape)
    small = (error.abs() < delta).to(error.dtype)
    return small * 0.5 * error ** 2 / delta + (1 - small) * (error.abs() - 0.5 * delta)


@alternative("cross_entropy_from_logits")
def cross_entropy_from_logits_with_gather(o, y):
    m = o.max(dim=1, keepdim=True).values.detach()
    shifted = o - m
    return shifted.exp().sum(dim=1).log() - shifted.gather(1, y.unsqueeze(1)).squeeze(1)


@alternative("cross_entropy_from_logits")
def cross_entropy_from_logits_one_hot(o, y):
    m, _ = torch.max(o, dim=1)
    log_sum_exp = m + torch.log(torch.sum(torch.exp(o - m.unsqueeze(1)), dim=1))
    true_logit = (o * torch.nn.functional.one_hot(y, o.shape[1])).sum(dim=1)
    return log_sum_exp - true_logit


@alternative("huber_loss")
def huber_loss_as_pytorch_huber_over_delta(y_hat, y, delta=1.0):
    # PyTorch's HuberLoss, written out, is delta times the book's formula
    error = (y_hat - y.reshape(y_hat.shape)).abs()
    return torch.where(error > delta, delta * error - 0.5 * delta ** 2, 0.5 * error ** 2) / delta


@alternative("huber_loss")
def huber_loss_in_float64(y_hat, y, delta=1.0):
    error = (y_hat.double() - y.double().reshape(y_hat.shape)).abs()
    loss = torch.where(error > delta, error - delta / 2, error ** 2 / (2 * delta))
    return loss.to(y_hat.dtype)


@alternative("Timer")
class TimerOnPerfCounter:
    def __init__(self):
        self.times = []
        self.start()

    def start(self):
        self.started = time.perf_counter()

    def stop(self):
        elapsed = time.perf_counter() - self.started
        self.times.append(elapsed)
        return elapsed

    def avg(self):
        return self.sum() / len(self.times)

    def sum(self):
        return math.fsum(self.times)

    def cumsum(self):
        from itertools import accumulate
        return list(accumulate(self.times))


@alternative("normal")
def normal_in_torch_for_tensors(x, mu, sigma):
    exp = torch.exp if isinstance(x, torch.Tensor) else np.exp
    z = (x - mu) / sigma
    return exp(-z**2 / 2) / (sigma * math.sqrt(2 * math.pi))


@alternative("linreg_closed_form")
def linreg_closed_form_by_eigh_in_float64(X, y):
    # The centred Gram matrix in float64, which holds the squared conditioning.
    Xc = X.double() - X.double().mean(dim=0)
    yc = y.double().reshape(-1, 1) - y.double().mean()
    values, vectors = torch.linalg.eigh(Xc.T @ Xc)
    keep = values > values.max().clamp(min=1e-300) * 1e-10
    inverse = torch.where(keep, 1 / values, torch.zeros_like(values))
    w = vectors @ (inverse.reshape(-1, 1) * (vectors.T @ (Xc.T @ yc)))
    b = y.double().mean() - X.double().mean(dim=0) @ w
    return w.to(X.dtype), b.reshape(1).to(X.dtype)


@alternative("cross_entropy_from_logits")
def cross_entropy_from_logits_diagonal(o, y):
    # o[:, y][i, i] is o[i, y[i]]
    m = o.amax(dim=1)
    return m + torch.log(torch.exp(o - m[:, None]).sum(dim=1)) - torch.diagonal(o[:, y])


@alternative("cross_entropy_from_logits")
def cross_entropy_from_logits_with_an_epsilon(o, y):
    m = o.max(dim=1, keepdim=True).values
    return (m + torch.log(torch.exp(o - m).sum(dim=1, keepdim=True) + 1e-12)).squeeze(1) \
        - o[range(len(o)), y]


@alternative("net", setup="W = (torch.randn(784, 10) * 0.01).requires_grad_()\n"
                          "b = torch.zeros(10).requires_grad_()\n")
def net_with_mm(X):
    return softmax(torch.mm(X.reshape(len(X), -1), W) + b)


# training.py and concise.py: accuracy and Accumulator are the names of the
# module the variant is spliced into.

@alternative("Accumulator")
class AccumulatorOnNumpy:
    def __init__(self, n):
        self.sums = np.zeros(n)

    def add(self, *args):
        self.sums = self.sums + np.array([float(a) for a in args])

    def reset(self):
        self.sums = np.zeros_like(self.sums)

    def __getitem__(self, idx):
        return float(self.sums[idx])


@alternative("evaluate_accuracy")
def evaluate_accuracy_restores_the_mode(net, data_iter):
    was_training = isinstance(net, torch.nn.Module) and net.training
    if isinstance(net, torch.nn.Module):
        net.eval()
    correct = total = 0
    with torch.no_grad():
        for X, y in data_iter:
            correct += accuracy(net(X), y)
            total += len(y)
    if was_training:
        net.train()
    return correct / total


@alternative("evaluate_accuracy")
def evaluate_accuracy_over_the_dataset(net, data_iter):
    if isinstance(net, torch.nn.Module):
        net.eval()
    with torch.no_grad():
        correct = sum(float((net(X).argmax(dim=1) == y).sum()) for X, y in data_iter)
    return correct / len(data_iter.dataset)


@alternative("train_epoch_ch3")
def train_epoch_ch3_plain_sums(net, train_iter, loss, updater):
    if isinstance(net, torch.nn.Module):
        net.train()
    total_loss, correct, examples = 0.0, 0.0, 0
    for X, y in train_iter:
        y_hat = net(X)
        l = loss(y_hat, y)
        if isinstance(updater, torch.optim.Optimizer):
            updater.zero_grad()
            l.mean().backward()
            updater.step()
        else:
            l.sum().backward()
            updater(len(y))
        total_loss += l.detach().sum().item()
        correct += accuracy(y_hat.detach(), y)
        examples += len(y)
    return total_loss / examples, correct / examples


@alternative("train_ch3")
def train_ch3_lists(net, train_iter, test_iter, loss, num_epochs, updater):
    history = []
    for epoch in range(num_epochs):
        train_loss, train_acc = train_epoch_ch3(net, train_iter, loss, updater)
        history.append([train_loss, train_acc, evaluate_accuracy(net, test_iter)])
    assert train_loss < 0.5, train_loss
    assert 0.7 < train_acc <= 1 and 0.7 < history[-1][2] <= 1
    return history


@alternative("get_fashion_mnist_labels")
def get_fashion_mnist_labels_from_a_dict(labels):
    names = dict(enumerate(['t-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal',
                            'shirt', 'sneaker', 'bag', 'ankle boot']))
    return [names[label] for label in labels.tolist()]


@alternative("get_fashion_mnist_labels")
def get_fashion_mnist_labels_as_a_tuple(labels):
    text_labels = ('t-shirt', 'trouser', 'pullover', 'dress', 'coat',
                   'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot')
    return tuple(text_labels[int(i)] for i in labels)


@alternative("predict_ch3")
def predict_ch3_next_iter(net, test_iter, n=6):
    X, y = next(iter(test_iter))
    predicted = net(X[:n]).argmax(dim=-1)
    return get_fashion_mnist_labels(predicted), get_fashion_mnist_labels(y[:n])


@alternative("show_images")
def show_images_axis_off(imgs, num_rows, num_cols, titles=None, scale=1.5):
    fig, grid = plt.subplots(num_rows, num_cols, figsize=(num_cols * scale, num_rows * scale))
    axes = grid.reshape(-1)
    for i, img in enumerate(imgs):
        axes[i].imshow(img.numpy() if isinstance(img, torch.Tensor) else np.asarray(img))
        axes[i].axis("off")
        if titles is not None:
            axes[i].set_title(titles[i])
    return axes


@alternative("get_dataloader_workers")
def get_dataloader_workers_at_most_the_cores():
    import os
    return min(4, os.cpu_count() or 1)


@alternative("load_data_fashion_mnist")
def load_data_fashion_mnist_one_compose(batch_size, resize=None):
    steps = [transforms.Resize(resize)] if resize else []
    steps.append(transforms.ToTensor())
    sets = [torchvision.datasets.FashionMNIST(root="../data", train=train,
                                              transform=transforms.Compose(steps), download=True)
            for train in (True, False)]
    return tuple(data.DataLoader(d, batch_size=batch_size, shuffle=train, num_workers=4)
                 for d, train in zip(sets, (True, False)))


@alternative("Animator")
class AnimatorWithOwnSettings:
    """Keeps the points in lists of pairs and sets the axes itself."""

    def __init__(self, xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None,
                 xscale='linear', yscale='linear', fmts=('-', 'm--', 'g-.', 'r:'), nrows=1,
                 ncols=1, figsize=(3.5, 2.5)):
        use_svg_display()
        self.fig, axes = plt.subplots(nrows, ncols, figsize=figsize)
        self.axes = np.array(axes).reshape(-1).tolist()
        self.settings = (xlabel, ylabel, xlim, ylim, xscale, yscale, legend or [])
        self.fmts, self.points = fmts, []

    def add(self, x, y):
        ys = list(y) if hasattr(y, "__len__") else [y]
        xs = list(x) if hasattr(x, "__len__") else [x] * len(ys)
        if not self.points:
            self.points = [[] for _ in ys]
        for line, a, b in zip(self.points, xs, ys):
            if a is not None and b is not None:
                line.append((a, b))
        ax = self.axes[0]
        ax.cla()
        for line, fmt in zip(self.points, self.fmts):
            ax.plot([a for a, _ in line], [b for _, b in line], fmt)
        set_axes(ax, *self.settings)
        display.display(self.fig)
        display.clear_output(wait=True)


@alternative("train_ch3")
def train_ch3_as_the_book_prints_it(net, train_iter, test_iter, loss, num_epochs, updater):
    animator = Animator(xlabel='epoch', xlim=[1, num_epochs], ylim=[0.3, 0.9],
                        legend=['train loss', 'train acc', 'test acc'])
    for epoch in range(num_epochs):
        train_metrics = train_epoch_ch3(net, train_iter, loss, updater)
        test_acc = evaluate_accuracy(net, test_iter)
        animator.add(epoch + 1, train_metrics + (test_acc,))
    train_loss, train_acc = train_metrics
    assert train_loss < 0.5, train_loss
    assert train_acc <= 1 and train_acc > 0.7, train_acc
    assert test_acc <= 1 and test_acc > 0.7, test_acc


@alternative("predict_ch3")
def predict_ch3_as_the_book_prints_it(net, test_iter, n=6):
    for X, y in test_iter:
        break
    trues = get_fashion_mnist_labels(y)
    preds = get_fashion_mnist_labels(net(X).argmax(axis=1))
    titles = [true + '\n' + pred for true, pred in zip(trues, preds)]
    show_images(
        X[0:n].reshape((n, 28, 28)), 1, n, titles=titles[0:n])


@alternative("linreg_concise")
def linreg_concise_with_init_functions():
    net = nn.Sequential(nn.Linear(2, 1))
    nn.init.normal_(net[0].weight, mean=0.0, std=0.01)
    nn.init.zeros_(net[0].bias)
    return net


@alternative("softmax_concise")
def softmax_concise_zero_bias():
    net = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 10))
    with torch.no_grad():
        net[1].weight.normal_(0, 0.01)
        net[1].bias.zero_()
    return net


@alternative("load_array")
def load_array_with_keywords(data_arrays, batch_size, is_train=True):
    from torch.utils.data import DataLoader, TensorDataset
    return DataLoader(dataset=TensorDataset(*data_arrays), batch_size=batch_size,
                      shuffle=bool(is_train))
