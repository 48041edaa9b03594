"""Fashion-MNIST in the submission's process: the worker maps the judge's cache
file (bound read-only in the sandbox) instead of being sent the images, and is
sent them when it cannot map it."""
import pytest

from grader import fashion_mnist, remote
from tests.conftest import make_impl, run

CHECK = "test_softmax_trains_on_fashion_mnist"


@pytest.fixture
def sent(monkeypatch):
    """The size of each message the judge sends to a worker."""
    sizes, encode = [], remote.wire.encode

    def measured(message):
        data = encode(message)
        sizes.append(len(data))
        return data
    monkeypatch.setattr(remote.wire, "encode", measured)
    return sizes


def test_a_training_run_sends_no_images_to_a_worker_that_maps_the_cache(tmp_path, request,
                                                                        sent):
    learner = make_impl(tmp_path / "impl", {}, request)
    request.getfixturevalue("fashion_mnist")
    assert learner.link.data_file == fashion_mnist.cache_file() is not None
    assert run(CHECK, learner, request) == ("passed", "")
    assert max(sent) < 1 << 20


def test_a_worker_that_cannot_map_the_cache_is_sent_the_images(tmp_path, request, sent,
                                                               monkeypatch):
    unreadable = tmp_path / "fashion-mnist.pt"
    unreadable.write_bytes(b"not a torch file")
    monkeypatch.setattr(remote.fashion_mnist, "cache_file", lambda: str(unreadable))
    learner = make_impl(tmp_path / "impl", {}, request)
    assert learner.link.data_file is None
    assert run(CHECK, learner, request) == ("passed", "")
    assert max(sent) > 47_000_000  # the 60,000 training images, 784 bytes each
