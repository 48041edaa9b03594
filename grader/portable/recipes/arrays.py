"""Recipes of the book's array helpers: the normal density (3.1) and
load_array (3.3)."""
import torch

from .plain import is_list_of, is_number, is_tensor, is_text


def evaluate_normal(fns, x, mu, sigma, *, as_numpy):
    """fns.normal(x, mu, sigma), x a float tensor, passed as a numpy array when
    as_numpy. Returns (the result's kind: "ndarray", "Tensor" or its type's name,
    its dtype's name, its shape, its values as a float64 tensor (None if it has
    none), whether x was left unchanged)."""
    import numpy as np
    given = x.numpy().copy() if as_numpy else x.clone()
    result = fns.normal(given, mu, sigma)
    unchanged = bool(np.array_equal(given, x.numpy())) if as_numpy else torch.equal(given, x)
    if isinstance(result, np.ndarray):
        kind, dtype, values = "ndarray", str(result.dtype), torch.from_numpy(
            np.asarray(result, dtype=np.float64).copy())
    elif isinstance(result, torch.Tensor):
        kind, dtype, values = "Tensor", str(result.dtype).removeprefix("torch."), \
            result.detach().to(torch.float64).clone()
    else:
        return type(result).__name__, "", [], None, unchanged
    return kind, dtype, list(values.shape), values, unchanged


def is_normal_result(result):
    """What evaluate_normal returns."""
    return (isinstance(result, tuple) and len(result) == 5 and is_text(result[0])
            and is_text(result[1]) and is_list_of(result[2], is_number)
            and (result[3] is None or (isinstance(result[3], torch.Tensor)
                                       and result[3].dtype == torch.float64))
            and isinstance(result[4], bool))


def iterate_load_array(fns, *, n, d, batch_size, is_train, passes):
    """fns.load_array((features, labels), batch_size, is_train) over an indexed
    data set (features[i] = i + j/10, labels[i] = [1000 + i]), iterated `passes`
    times. Returns (whether it is a torch.utils.data.DataLoader, its type's name,
    for each pass a list of [X_batch, y_batch] float32 tensors, or text saying what a
    batch was instead)."""
    from torch.utils.data import DataLoader
    ids = torch.arange(n, dtype=torch.float32).unsqueeze(1)
    features, labels = ids + torch.arange(d, dtype=torch.float32) / 10, 1000 + ids
    loader = fns.load_array((features, labels), batch_size, is_train)
    seen = []
    for _ in range(passes):
        batches = []
        for batch in loader:
            if isinstance(batch, (list, tuple)) and len(batch) == 2 and all(
                    isinstance(t, torch.Tensor) and t.dtype == torch.float32 for t in batch):
                batches.append([t.detach().clone() for t in batch])
            else:
                batches.append(f"{type(batch).__name__}: {batch!r:.120}")
            if len(batches) > n:
                break  # a batch holds at least one example: more never end
        seen.append(batches)
    return isinstance(loader, DataLoader), type(loader).__name__, seen


def is_load_array_run(result):
    """What iterate_load_array returns."""
    def batch(value):
        return is_text(value) or (is_list_of(value, is_tensor) and len(value) == 2)
    return (isinstance(result, tuple) and len(result) == 3 and isinstance(result[0], bool)
            and is_text(result[1])
            and is_list_of(result[2], lambda one_pass: is_list_of(one_pass, batch)))


# What each recipe here returns, as a test of a worker's reply (grader.classroom.remote).
RESULTS = {"evaluate_normal": is_normal_result, "iterate_load_array": is_load_array_run}
