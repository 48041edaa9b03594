"""The book's own code for exercises/concise.py, as d2l-zh 2.x prints it (3.3,
3.7), with only the `d2l.` prefixes removed. The book builds its models at top
level, not in functions: the two model functions below wrap the book's lines, as
a minimal correct version, and a comment says so."""
from torch import nn
from torch.utils import data


def load_array(data_arrays, batch_size, is_train=True):  #@save
    """构造一个PyTorch数据迭代器"""
    dataset = data.TensorDataset(*data_arrays)
    return data.DataLoader(dataset, batch_size, shuffle=is_train)


# Not a function in the book (3.3.3-3.3.4 build `net` at top level): its lines, wrapped.
def linreg_concise():
    net = nn.Sequential(nn.Linear(2, 1))
    net[0].weight.data.normal_(0, 0.01)
    net[0].bias.data.fill_(0)
    return net


# Not a function in the book (3.7.1 builds `net` at top level): its lines, wrapped.
def softmax_concise():
    # PyTorch不会隐式地调整输入的形状。因此，
    # 我们在线性层前定义了展平层（flatten），来调整网络输入的形状
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))

    def init_weights(m):
        if type(m) == nn.Linear:
            nn.init.normal_(m.weight, std=0.01)

    net.apply(init_weights)
    return net
