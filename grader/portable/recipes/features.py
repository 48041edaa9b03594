"""Fashion-MNIST's images as the float features the from-scratch models read.

The judge keeps the images as uint8 (grader.grading.data); the training
recipes see them through ScaledImages, also in the submission's process,
which maps the same cache file (grader.classroom.remote).
"""
import torch

# Fashion-MNIST's files, as torchvision names them, and the fields of the
# kit's cache that hold their contents (grader.grading.data).
RAW_FIELDS = {"train-images-idx3-ubyte": "train_images", "train-labels-idx1-ubyte": "train_labels",
              "t10k-images-idx3-ubyte": "test_images", "t10k-labels-idx1-ubyte": "test_labels"}


def as_float_features(images) -> torch.Tensor:
    """uint8 (n, 28, 28) -> float32 (n, 784) in [0, 1], as ToTensor() then flattening."""
    return images.reshape(len(images), -1).to(torch.float32).div_(255)


class ScaledImages:
    """uint8 images (n, 28, 28) that read as float32 features (n, 784) in [0, 1]:
    indexing with a slice, an index tensor or a mask gives as_float_features of those
    images, the same values as indexing the converted whole, without holding the whole as floats
    (four times the bytes of the images: much of a grading platform's memory).

    `source`: the (cache file, field) the images were mapped from, if any: the
    submission's process maps the same file rather than being sent the rows
    (grader.classroom.remote), so both read one copy of the pages."""

    def __init__(self, images, source=None):
        self.rows = images.reshape(len(images), -1)
        self.shape = tuple(self.rows.shape)
        self.source = source

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, index):
        """index: a slice, an int64 tensor of row numbers, or a bool mask of the
        rows. Read with index_select, which copies rows faster than indexing
        (tests/benchmarks/bench_fashion_mnist.py)."""
        if isinstance(index, slice):
            return as_float_features(self.rows[index])
        if index.dtype == torch.bool:
            index = index.nonzero().squeeze(1)
        return as_float_features(self.rows.index_select(0, index))

    def __matmul__(self, other):
        """The float features @ `other`, a block of rows at a time."""
        return torch.cat([as_float_features(rows) @ other for rows in self.rows.split(1024)])
