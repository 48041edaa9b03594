"""Checks of the drawing helpers of d2l 3.5.1 and 3.6.6 (show_images, Animator).

Each runs a recipe of grader.training where the learner's code runs: it draws
headless (matplotlib's Agg backend, nothing shown) and describes the figure as
plain data, which is compared with the same recipe run on the oracle's
version. Each check looks at one property of that description.
"""
import torch

from grader import training
from grader.checks.common import Called
from grader.checks.training import run_against_oracle

# --- show_images --------------------------------------------------------------

IMAGE_CALLS = {
    "tensors": "show_images(imgs, 2, 3, titles, 1.5)  # five 28 x 28 float tensors,"
               " titles 'image 0\\nlabel 0' to 'image 4\\nlabel 4'",
    "pil": "show_images(imgs, 1, 4, None, 2)  # four 28 x 28 PIL images, no titles",
}


def _images(learner, case):
    """(Called, the learner's draw_images, the oracle's) for image_case(case)."""
    call = IMAGE_CALLS[case]
    got, expected = run_against_oracle(learner, "show_images", training.draw_images, call,
                                       case=case)
    return Called("show_images", call), got, expected


def _figure(c, got):
    """The figure part of a draw_images result; fails if nothing was drawn."""
    if isinstance(got[1], str):
        c.fail("draws no figure", expected="a figure of num_rows x num_cols axes", got=got[1],
               hint="make the grid with plt.subplots(num_rows, num_cols, figsize=...)")
    return got[1]


def check_show_images_returns_the_axes(learner, case):
    """It returns the num_rows * num_cols axes as one flat sequence."""
    c, got, expected = _images(learner, case)
    kind, length, all_axes = got[0]
    if not all_axes:
        c.fail("must return the axes", expected=f"a flat array of {expected[0][1]} matplotlib axes",
               got=kind, hint="_, axes = plt.subplots(...); axes = axes.flatten(); draw on them;"
                              " return axes")
    if length != expected[0][1]:
        c.fail("returns the wrong number of axes",
               expected=f"{expected[0][1]} axes (num_rows x num_cols) in one flat array",
               got=f"{kind} of length {length}",
               hint="plt.subplots(num_rows, num_cols, ...) makes the whole grid;"
                    " axes.flatten() makes it one flat array of num_rows * num_cols axes")


def check_show_images_sizes_the_figure(learner, case):
    """The figure is (num_cols * scale, num_rows * scale) inches."""
    c, got, expected = _images(learner, case)
    size = _figure(c, got)[0]
    if size != expected[1][0]:
        c.fail("the figure has the wrong size", expected=f"{expected[1][0]} inches (width, height)",
               got=f"{size} inches",
               hint="figsize is (width, height) = (num_cols * scale, num_rows * scale)")


def check_show_images_draws_one_axes_per_cell(learner, case):
    """The figure holds num_rows * num_cols axes."""
    c, got, expected = _images(learner, case)
    axes = _figure(c, got)[1]
    if len(axes) != len(expected[1][1]):
        c.fail("the figure has the wrong number of axes",
               expected=f"{len(expected[1][1])} axes (num_rows x num_cols)",
               got=f"{len(axes)} axes",
               hint="one plt.subplots(num_rows, num_cols, ...) call makes the whole grid")


def check_show_images_shows_each_image(learner, case):
    """Axes i shows image i as it is (a tensor through .numpy(), a PIL image as
    such); the axes beyond the images show nothing."""
    c, got, expected = _images(learner, case)
    axes = _figure(c, got)[1]
    for i, (g, e) in enumerate(zip(axes, expected[1][1])):
        if e[0] is None and g[0] is None:
            continue
        if g[0] is None or e[0] is None or g[0].shape != e[0].shape or \
                not torch.allclose(g[0], e[0], atol=1e-6):
            c.fail(f"axes {i} shows the wrong image",
                   expected="nothing" if e[0] is None else
                   f"image {i}, of shape {tuple(e[0].shape)}",
                   got=_shown(g[0], e[0]),
                   hint="ax.imshow(img.numpy()) for a tensor and ax.imshow(img) for a PIL"
                        " image, the i-th image on the i-th axes of the flattened grid")


def _shown(got, expected):
    """What an axes shows instead of `expected`, in words."""
    if got is None:
        return "nothing"
    if expected is not None and got.shape == expected.shape:
        return f"an image of shape {tuple(got.shape)} with other values"
    return f"an image of shape {tuple(got.shape)}"


def check_show_images_titles_each_image(learner, case):
    """With titles, axes i has titles[i]; without, no title."""
    c, got, expected = _images(learner, case)
    titles = [a[1] for a in _figure(c, got)[1]]
    wanted = [a[1] for a in expected[1][1]]
    if titles != wanted:
        c.fail("wrong titles", expected=repr(wanted), got=repr(titles),
               hint="if titles: ax.set_title(titles[i]) for the i-th image")


def check_show_images_hides_the_axis_lines(learner, case):
    """Every axes that shows an image has its x and y axes hidden."""
    c, got, expected = _images(learner, case)
    axes = _figure(c, got)[1]
    for i, (g, e) in enumerate(zip(axes, expected[1][1])):
        if e[0] is not None and not (g[2] and g[3]):
            shown = " and ".join(n for n, h in (("x", g[2]), ("y", g[3])) if not h)
            c.fail(f"axes {i} still shows its {shown} axis",
                   expected="the x and y axes of each image hidden", got=f"the {shown} axis shown",
                   hint="ax.axes.get_xaxis().set_visible(False) and the same with get_yaxis()")


# --- Animator -----------------------------------------------------------------

ANIMATOR_CALLS = {
    "book": "animator = Animator(xlabel='epoch', xlim=[1, 3], ylim=[0.3, 0.9],"
            " legend=['train loss', 'train acc', 'test acc'])\n"
            "           animator.add(1, (0.9, 0.6, 0.65)); animator.add(2, (0.6, 0.75, 0.7));"
            " animator.add(3, (0.5, 0.8, 0.78))",
    "scales": "animator = Animator('x', 'loss', ['a', 'b'], None, None, 'log', 'log',"
              " ('g-.', 'r:'), 1, 2, (5, 2))\n"
              "           animator.add([1, 1], [2.0, 3.0]); animator.add([2, 2], [4.0, None]);"
              " animator.add([4, 4], [8.0, 1.5])",
}


def _animate(learner, case):
    """(Called, the learner's drive_animator, the oracle's) for ANIMATOR_CASES[case]."""
    call = ANIMATOR_CALLS[case]
    got, expected = run_against_oracle(learner, "Animator", training.drive_animator, call,
                                       case=case)
    c = Called("Animator", call)
    if isinstance(got, str) or not got[1]:
        c.fail("has no figure to draw on", expected="animator.fig, a matplotlib Figure with axes",
               got=got if isinstance(got, str) else "a figure without axes",
               hint="self.fig, self.axes = plt.subplots(nrows, ncols, figsize=figsize)")
    return c, got, expected


def _first_axes(got, expected):
    """The describe_axes of the learner's first axes and the oracle's."""
    return got[1][0], expected[1][0]


def check_animator_draws_each_line_s_points(learner, case):
    """After the add calls, line i holds the points (x[i], y[i]) added, in order,
    those with a None left out, and there is one line per value added."""
    c, got, expected = _animate(learner, case)
    g, e = _first_axes(got, expected)
    points, wanted = [line[:2] for line in g[7]], [line[:2] for line in e[7]]
    if points != wanted:
        c.fail("the lines do not hold the points added",
               expected=f"{len(wanted)} lines, [x values, y values] = {wanted}",
               got=f"{len(points)} lines: {points}", hint=_points_hint(points, wanted))


def _points_hint(points, wanted):
    """The hint for lines that differ from those expected: what the difference shows."""
    if len(points) > len(wanted):
        return ("call self.axes[0].cla() before plotting the lines again: without it, each"
                " add draws every line once more on top of the old ones")
    if any(v != v for line in points for values in line for v in values):  # nan: a None drawn
        return "skip a point whose x or y is None: if a is not None and b is not None"
    return ("add(x, y) appends y[i] (and x[i], or x when it is a single number) to line i;"
            " then plot every line again")


def check_animator_draws_each_line_in_its_format(learner, case):
    """Line i is drawn in fmts[i] (its line style and colour)."""
    c, got, expected = _animate(learner, case)
    g, e = _first_axes(got, expected)
    styles, wanted = [line[2:] for line in g[7]], [line[2:] for line in e[7]]
    if styles != wanted:
        c.fail("the lines are drawn in the wrong formats",
               expected=f"[line style, colour] = {wanted}", got=f"{styles}",
               hint="plot line i as self.axes[0].plot(x, y, fmts[i]): the default fmts are"
                    " ('-', 'm--', 'g-.', 'r:')")


def check_animator_sets_labels_limits_and_scales(learner, case):
    """The first axes has the labels, limits and scales given (set_axes)."""
    c, got, expected = _animate(learner, case)
    g, e = _first_axes(got, expected)
    names = ("xlabel", "ylabel", "xlim", "ylim", "xscale", "yscale")
    for name, got_value, wanted in zip(names, g[:6], e[:6]):
        if got_value != wanted:
            c.fail(f"the axes' {name} is wrong", expected=repr(wanted), got=repr(got_value),
                   hint="after drawing the lines, call set_axes(self.axes[0], xlabel, ylabel,"
                        " xlim, ylim, xscale, yscale, legend): cla() clears them, so set them"
                        " again after each add")


def check_animator_shows_the_legend(learner, case):
    """The first axes has a legend with the names given."""
    c, got, expected = _animate(learner, case)
    g, e = _first_axes(got, expected)
    if g[6] != e[6]:
        c.fail("wrong legend", expected=repr(e[6]), got=repr(g[6]),
               hint="pass legend to set_axes, which calls axes.legend(legend) when it is not"
                    " empty, after every redraw")
