"""The concise models, built with torch.nn: reference solutions (d2l 3.3 and 3.7).
Here the point is to use torch.nn: nothing is to be built from scratch."""
from torch import nn
from torch.utils import data


def load_array(data_arrays, batch_size, is_train=True):
    """A PyTorch data iterator over tensors that hold one example per row.

    Args:
        data_arrays: a tuple of tensors with the same first dimension n, such
            as (features, labels).
        batch_size: int, examples per batch.
        is_train: bool; shuffle the examples (in a new order on every pass)
            when True, keep them in order when False.

    Returns:
        A torch.utils.data.DataLoader over a TensorDataset(*data_arrays):
        each pass yields [X_batch, y_batch, ...] of batch_size rows (the last
        batch holds the rest), every example exactly once, rows aligned.

    Hint: data.DataLoader(data.TensorDataset(*data_arrays), batch_size, shuffle=is_train).

    d2l: 3.3.2 (reading the dataset)
    """
    dataset = data.TensorDataset(*data_arrays)
    return data.DataLoader(dataset, batch_size, shuffle=is_train)


def linreg_concise():
    """A new linear-regression model for two features.

    Returns:
        nn.Sequential(nn.Linear(2, 1)), its weight drawn from N(0, 0.01)
        and its bias 0.

    Hint: net[0].weight.data.normal_(0, 0.01) and net[0].bias.data.fill_(0).

    d2l: 3.3.3 (defining the model), 3.3.4 (initializing model parameters)
    """
    net = nn.Sequential(nn.Linear(2, 1))
    net[0].weight.data.normal_(0, 0.01)
    net[0].bias.data.fill_(0)
    return net


def softmax_concise():
    """A new softmax-regression model for 28 x 28 images and 10 classes.

    Returns:
        nn.Sequential(nn.Flatten(), nn.Linear(784, 10)), its weight drawn
        from N(0, 0.01); the bias 0 or left at PyTorch's default (as the
        book's init_weights leaves it). No softmax layer: the book's
        nn.CrossEntropyLoss takes the logits (3.7.2).

    Hint: nn.Flatten() before nn.Linear(784, 10); nn.init.normal_(weight, std=0.01).

    d2l: 3.7.1 (initializing model parameters)
    """
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))

    def init_weights(m):
        if type(m) == nn.Linear:
            nn.init.normal_(m.weight, std=0.01)

    net.apply(init_weights)
    return net
