"""The book's own code for exercises/linear_regression.py, as d2l-zh 2.x prints it
(3.1.2, 3.1.3, 3.2), with its plots at the top level (3.1.3's d2l.plot and
3.2's scatter plot of the data, d2l. prefixes included). Where the book prints
no function, a minimal correct version stands in, and a comment says so."""
import math
import random
import time

import numpy as np
import torch
from d2l import torch as d2l


class Timer:  #@save
    """记录多次运行时间"""
    def __init__(self):
        self.times = []
        self.start()

    def start(self):
        """启动计时器"""
        self.tik = time.time()

    def stop(self):
        """停止计时器并将时间记录在列表中"""
        self.times.append(time.time() - self.tik)
        return self.times[-1]

    def avg(self):
        """返回平均时间"""
        return sum(self.times) / len(self.times)

    def sum(self):
        """返回时间总和"""
        return sum(self.times)

    def cumsum(self):
        """返回累计时间"""
        return np.array(self.times).cumsum().tolist()


def normal(x, mu, sigma):
    p = 1 / math.sqrt(2 * math.pi * sigma**2)
    return p * np.exp(-0.5 / sigma**2 * (x - mu)**2)


# 再次使用numpy进行可视化
x = np.arange(-7, 7, 0.01)

# 均值和标准差对
params = [(0, 1), (0, 2), (3, 1)]
d2l.plot(x, [normal(x, mu, sigma) for mu, sigma in params], xlabel='x',
         ylabel='p(x)', figsize=(4.5, 2.5),
         legend=[f'mean {mu}, std {sigma}' for mu, sigma in params])


# Not printed by the book (3.1's exercise 2 asks for it): a minimal correct version.
def linreg_closed_form(X, y):
    X_mean, y_mean = X.mean(dim=0, keepdim=True), y.reshape(-1, 1).mean()
    U, s, Vh = torch.linalg.svd(X - X_mean, full_matrices=False)
    s_inv = torch.where(s > s.max() * max(X.shape) * torch.finfo(X.dtype).eps, 1 / s,
                        torch.zeros_like(s))
    w = Vh.T @ (s_inv.reshape(-1, 1) * (U.T @ (y.reshape(-1, 1) - y_mean)))
    return w, (y_mean - X_mean @ w).reshape(1)


def synthetic_data(w, b, num_examples):  #@save
    """生成y=Xw+b+噪声"""
    X = torch.normal(0, 1, (num_examples, len(w)))
    y = torch.matmul(X, w) + b
    y += torch.normal(0, 0.01, y.shape)
    return X, y.reshape((-1, 1))


true_w = torch.tensor([2, -3.4])
true_b = 4.2
features, labels = synthetic_data(true_w, true_b, 1000)
d2l.set_figsize()
d2l.plt.scatter(features[:, (1)].detach().numpy(), labels.detach().numpy(), 1);


def data_iter(batch_size, features, labels):
    num_examples = len(features)
    indices = list(range(num_examples))
    # 这些样本是随机读取的，没有特定的顺序
    random.shuffle(indices)
    for i in range(0, num_examples, batch_size):
        batch_indices = torch.tensor(
            indices[i: min(i + batch_size, num_examples)])
        yield features[batch_indices], labels[batch_indices]


def linreg(X, w, b):  #@save
    """线性回归模型"""
    return torch.matmul(X, w) + b


def squared_loss(y_hat, y):  #@save
    """均方损失"""
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params, lr, batch_size):  #@save
    """小批量随机梯度下降"""
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


# Not printed by the book (3.3's exercise 2 asks for it): a minimal correct version.
def huber_loss(y_hat, y, delta=1.0):
    error = (y_hat - y.reshape(y_hat.shape)).abs()
    # d2l-zh 2.x 3.3 exercise 2's formula (PyTorch's SmoothL1Loss, beta=delta).
    return torch.where(error > delta, error - delta / 2, error ** 2 / (2 * delta))
