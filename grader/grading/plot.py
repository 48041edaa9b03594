"""The book's training plot (train loss, train acc, test acc per epoch), as a PNG."""
from pathlib import Path


def plot_epochs(epochs, folder, function):
    """Write <folder>/fashion-mnist-<function>.png; needs matplotlib (extra `plot`)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        from matplotlib import pyplot as plt
    except ImportError as e:
        raise RuntimeError("--fashion-plot-dir needs matplotlib: pip install -e .[plot]") from e
    x = range(1, len(epochs) + 1)
    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    ax.plot(x, [e.train_loss for e in epochs], label="train loss")
    ax.plot(x, [e.train_acc for e in epochs], "m--", label="train acc")
    ax.plot(x, [e.test_acc for e in epochs], "g-.", label="test acc")
    ax.set(xlabel="epoch", xlim=(1, len(epochs)), ylim=(0.3, 0.9),
           title=f"Fashion-MNIST with your {function}")
    ax.grid(True)
    ax.legend()
    Path(folder).mkdir(parents=True, exist_ok=True)
    fig.savefig(Path(folder) / f"fashion-mnist-{function}.png", dpi=100, bbox_inches="tight")
    plt.close(fig)
