"""Recipes for drawing (3.5.1, 3.6.6): the learner's show_images and Animator
drive matplotlib, and the figures they make come back described as plain data."""
import torch

from .plain import is_plain


class new_figures_closed:  # noqa: N801 - a context manager, used as a function
    """Closes the matplotlib figures made inside the block (none is shown)."""

    def __enter__(self):
        self.before = set(_pyplot().get_fignums()) if _pyplot() else set()
        return self

    def __exit__(self, *exc):
        for num in set(_pyplot().get_fignums()) - self.before if _pyplot() else ():
            _pyplot().close(num)


def _pyplot():
    """matplotlib.pyplot if something imported it (no figure exists without it), else None."""
    import sys
    return sys.modules.get("matplotlib.pyplot")


IMAGE_CASES = ("tensors", "pil")  # the cases of image_case


def image_case(case):
    """(imgs, num_rows, num_cols, titles, scale) of a show_images check: "tensors",
    five (28, 28) float tensors on 2 x 3 axes with titles; "pil", four PIL images
    on 1 x 4 axes, no titles, scale 2."""
    gen = torch.Generator().manual_seed(5)
    if case == "tensors":
        imgs = torch.rand(5, 28, 28, generator=gen)
        return imgs, 2, 3, [f"image {i}\nlabel {i}" for i in range(5)], 1.5
    from PIL import Image
    pixels = torch.randint(256, (4, 28, 28), generator=gen, dtype=torch.uint8)
    return [Image.fromarray(p.numpy(), mode="L") for p in pixels], 1, 4, None, 2


def _array(image):
    """An AxesImage's data as a float32 tensor."""
    import numpy as np
    return torch.from_numpy(np.array(image.get_array(), dtype=np.float32))


def _hidden(axis, ax):
    return not axis.get_visible() or not ax.axison


def draw_images(fns, *, case):
    """fns.show_images on image_case(case): [what it returned, as [type name, its
    length or None, whether every item is an Axes]; the figure it drew on (that of
    the first axes returned, else the last new one), as [[width, height] in
    inches, one [image data or None, title, x axis hidden, y axis hidden] per
    axes]] (None where there is none)."""
    imgs, num_rows, num_cols, titles, scale = image_case(case)
    with new_figures_closed() as made:
        result = fns.show_images(imgs, num_rows, num_cols, titles, scale)
        import matplotlib.pyplot as plt  # after the learner's call: a stub's needs none
        from matplotlib.axes import Axes
        items = list(result.flatten() if hasattr(result, "flatten") else result) \
            if hasattr(result, "__len__") else []
        returned = [type(result).__name__, len(result) if hasattr(result, "__len__") else None,
                    bool(items) and all(isinstance(ax, Axes) for ax in items)]
        new = sorted(set(plt.get_fignums()) - made.before)
        fig = items[0].figure if returned[2] else plt.figure(new[-1]) if new else None
        if fig is None:
            return [returned, None]
        axes = [[_array(ax.images[-1]) if ax.images else None, ax.get_title(),
                 _hidden(ax.xaxis, ax), _hidden(ax.yaxis, ax)] for ax in fig.axes]
        return [returned, [[float(v) for v in fig.get_size_inches()], axes]]


# Animator(*args) and its add(x, y) calls, for the Animator checks: the book's
# use in train_ch3, and one with every argument set and points missing (None).
ANIMATOR_CASES = {
    "book": (("epoch", None, ["train loss", "train acc", "test acc"], [1, 3], [0.3, 0.9]),
             [(1, (0.9, 0.6, 0.65)), (2, (0.6, 0.75, 0.7)), (3, (0.5, 0.8, 0.78))]),
    "scales": (("x", "loss", ["a", "b"], None, None, "log", "log", ("g-.", "r:"), 1, 2, (5, 2)),
               [([1, 1], [2.0, 3.0]), ([2, 2], [4.0, None]), ([4, 4], [8.0, 1.5])]),
}


def _color(line):
    from matplotlib.colors import to_hex
    return to_hex(line.get_color())


def _floats(values):
    """A line's data as floats, a missing point (None) as nan."""
    return [float("nan") if v is None else float(v) for v in values]


def describe_axes(ax):
    """[xlabel, ylabel, [xlim], [ylim], xscale, yscale, legend texts or None,
    lines as [x data, y data, line style, colour]] of one matplotlib axes."""
    legend = ax.get_legend()
    lines = [[_floats(line.get_xdata()), _floats(line.get_ydata()), line.get_linestyle(),
              _color(line)] for line in ax.get_lines()]
    return [ax.get_xlabel(), ax.get_ylabel(), [float(v) for v in ax.get_xlim()],
            [float(v) for v in ax.get_ylim()], ax.get_xscale(), ax.get_yscale(),
            None if legend is None else [t.get_text() for t in legend.get_texts()], lines]


def drive_animator(fns, *, case):
    """fns.Animator(*args) then its add(x, y) calls, of ANIMATOR_CASES[case]:
    [the figure's size in inches, describe_axes of each of its axes] (the type's
    name of its `fig` if that is no Figure)."""
    args, adds = ANIMATOR_CASES[case]
    with new_figures_closed():
        animator = fns.Animator(*args)
        from matplotlib.figure import Figure  # after the learner's call: a stub's needs none
        for x, y in adds:
            animator.add(x, y)
        fig = getattr(animator, "fig", None)
        if not isinstance(fig, Figure):
            return type(fig).__name__
        return [[float(v) for v in fig.get_size_inches()], [describe_axes(ax) for ax in fig.axes]]


# What each recipe here returns, as a test of a worker's reply (grader.classroom.remote).
RESULTS = {"draw_images": is_plain, "drive_animator": is_plain}
