"""Fashion-MNIST in the submission's process: the worker maps the judge's cache
file (bound read-only in the sandbox) instead of being sent the images, and is
sent them when it cannot map it."""
import psutil
import pytest

from grader.grading import session as batch
from grader.grading import data as fashion_mnist
from grader.classroom import remote, zygote
from grader.classroom.submission import read_submission
from grader.portable import wire
from grader.exercises import DEFAULT_POINTS, seam_spec
from tests.conftest import KIT_ROOT, make_impl, run

CHECK = "test_softmax_trains_on_fashion_mnist"


@pytest.fixture
def sent(monkeypatch):
    """The size of each message the judge sends to a worker."""
    sizes, encode = [], wire.encode

    def measured(message):
        data = encode(message)
        sizes.append(len(data))
        return data
    monkeypatch.setattr(wire, "encode", measured)
    return sizes


def test_a_training_run_sends_no_images_to_a_worker_that_maps_the_cache(tmp_path, request,
                                                                        sent):
    learner = make_impl(tmp_path / "impl", {}, request)
    request.getfixturevalue("fashion_mnist")
    assert learner.sandbox.mapped == fashion_mnist.cache_file() is not None
    assert run(CHECK, learner, request) == ("passed", "")
    assert max(sent) < 1 << 20


def test_a_worker_that_cannot_map_the_cache_is_sent_the_images(tmp_path, request, sent,
                                                               monkeypatch):
    unreadable = tmp_path / "fashion-mnist.pt"
    unreadable.write_bytes(b"not a torch file")
    monkeypatch.setattr(fashion_mnist, "cache_file", lambda: str(unreadable))
    box = zygote.Sandbox()  # a sandbox of its own: it starts with the unreadable cache
    request.addfinalizer(box.kill)
    learner = remote.RemoteLearner(read_submission(KIT_ROOT / "solutions"), seam_spec(),
                                   box, call_timeout=5.0)
    request.addfinalizer(learner.close)
    assert learner.sandbox.mapped is None
    assert run(CHECK, learner, request) == ("passed", "")
    assert max(sent) > 47_000_000  # the 60,000 training images, 784 bytes each


# The book's load_data_fashion_mnist, whose loaders read one example if the data
# set's images are in the process's memory and two if they are mapped from a file.
COUNTS_ITS_MAPPING = '''
import torchvision
from torch.utils import data
from torchvision import transforms


def load_data_fashion_mnist(batch_size, resize=None):
    def mapped(tensor):
        with open("/proc/self/maps") as f:
            spans = [line.split()[0].split("-") for line in f if line.rstrip().endswith(".pt")]
        return any(int(low, 16) <= tensor.data_ptr() < int(high, 16) for low, high in spans)
    sets = [torchvision.datasets.FashionMNIST(root="../data", train=train, download=True,
                                              transform=transforms.ToTensor())
            for train in (True, False)]
    return tuple(data.DataLoader(data.Subset(s, range(1 + mapped(s.data))), batch_size)
                 for s in sets)
'''


def test_the_book_s_data_sets_in_the_sandbox_map_their_images_from_the_cache(tmp_path,
                                                                             request):
    learner = make_impl(tmp_path / "impl", {"load_data_fashion_mnist": COUNTS_ITS_MAPPING},
                        request)
    raw = fashion_mnist.raw_folder()
    loaders = learner.run_recipe("load_fashion", ("load_data_fashion_mnist",), raw=str(raw),
                                 cache=fashion_mnist.cache_file(raw.parents[1]), batch_size=1)
    assert [size for _, _, size, _ in loaders] == [2, 2]


def test_the_worker_has_no_gpu_compiler_to_load(tmp_path, request):
    """triton, which torchvision's import of torch._dynamo loads when installed
    (PyPI's CUDA build of torch brings it), is not importable in the worker."""
    learner = make_impl(tmp_path / "impl", {}, request)
    worker = psutil.Process(learner.sandbox.proc.pid)
    for proc in [worker, *worker.children(recursive=True)]:
        maps = [m.path for m in proc.memory_maps()]
        assert not [path for path in maps if "triton" in path]
    assert run("test_load_data_fashion_mnist_returns_two_data_loaders", learner, request) == \
        ("passed", "")


def test_the_loading_checks_run_before_any_check_has_read_the_data(tmp_path):
    """Their DataLoader processes then never come on top of Fashion-MNIST's
    pages, which the training checks bring into the judge and the worker."""
    learner = make_impl(tmp_path / "impl", {"softmax": "def softmax(X):\n    raise ValueError\n"})
    ran = []
    batch.grade(learner, DEFAULT_POINTS, exercises=["softmax", "load_data_fashion_mnist"],
                report=lambda exercise, result: ran.append(exercise))
    assert ran.index("softmax") == ran.count("load_data_fashion_mnist") > 0
    assert "softmax_trains_on_fashion_mnist" in " ".join(batch.suite_tests_of("softmax"))
