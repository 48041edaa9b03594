"""The book's own code for exercises/softmax_regression.py, as d2l-zh 2.x prints
it (3.6), with only the `d2l.` prefixes removed. Where the book prints no function,
a minimal correct version stands in, and a comment says so."""
import torch


# The book's 3.6.2 softmax, as printed. It is not numerically stable (exp of a
# large logit overflows), and the kit asks for the stable form of 3.7.2: this is
# the one deliberate difference, and its stability check fails here.
def softmax(X):
    X_exp = torch.exp(X)
    partition = X_exp.sum(1, keepdim=True)
    return X_exp / partition  # 这里应用了广播机制


num_inputs = 784
num_outputs = 10

W = torch.normal(0, 0.01, size=(num_inputs, num_outputs), requires_grad=True)
b = torch.zeros(num_outputs, requires_grad=True)


def net(X):
    return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)


def cross_entropy(y_hat, y):
    return - torch.log(y_hat[range(len(y_hat)), y])


def accuracy(y_hat, y):  #@save
    """计算预测正确的数量"""
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())


# Not printed by the book (3.7.2 explains it; its code calls nn.CrossEntropyLoss):
# a minimal correct version with the log-sum-exp trick.
def cross_entropy_from_logits(o, y):
    m = o.max(dim=1, keepdim=True).values
    log_sum_exp = m.squeeze(1) + torch.log(torch.exp(o - m).sum(dim=1))
    return log_sum_exp - o[range(len(o)), y]
