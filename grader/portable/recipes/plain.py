"""Plain data: what every recipe returns (numbers, text, booleans, float32
tensors and lists of them), the sanitisers that make it of a learner
function's result, and the tests of it that the judge applies to a worker's
reply (grader.classroom.remote): a worker cannot make the judge fail."""
import torch


def number(value):
    """A result that should be a plain number, as a float; anything else (a
    tensor that holds a graph, a list, None) as text saying what it is."""
    if not (isinstance(value, torch.Tensor) and value.requires_grad):
        try:
            return float(value)
        except (TypeError, ValueError, RuntimeError):
            pass
    return f"{type(value).__name__}: {value!r:.120}"


def numbers(value):
    """A result that should be a tuple or list of numbers, as a list of number()s;
    anything else as number() of it."""
    if isinstance(value, (tuple, list)):
        return [number(v) for v in value]
    return number(value)


def texts(value):
    """A result that should be a sequence (list, tuple) of strings, as a list;
    anything else as text."""
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return [str(v) for v in value]
    return f"{type(value).__name__}: {value!r:.120}"


def is_tensor(value, shape=None):
    return isinstance(value, torch.Tensor) and value.dtype == torch.float32 and (
        shape is None or value.shape == shape)


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_text(value):
    return isinstance(value, str)


def is_number_or_text(value):
    return is_number(value) or is_text(value)


def is_list_of(value, test):
    return isinstance(value, list) and all(test(v) for v in value)


def is_numbers(value):
    """What numbers() gives."""
    return is_number_or_text(value) or is_list_of(value, is_number_or_text)


def is_texts(value):
    """What texts() gives."""
    return is_text(value) or is_list_of(value, is_text)


def is_plain(value, depth=0):
    """Numbers, text, booleans, None, float32 tensors, and lists of them: what
    the drawing and loading recipes return."""
    if value is None or isinstance(value, (bool, int, float, str)) or is_tensor(value):
        return True
    return depth < 8 and isinstance(value, list) and all(is_plain(v, depth + 1) for v in value)
