"""Checks of the drawing helpers of d2l 3.5.1 and 3.6.6 (show_images, Animator).

Each runs a recipe of grader.portable.recipes where the learner's code runs: it draws
headless (matplotlib's Agg backend, nothing shown) and describes the figure as
plain data, which is compared with the same recipe run on the oracle's version
(grader.grading.drawings, which keeps those). Each check looks at one property
of that description.
"""
import torch

from grader.portable.recipes.figures import draw_images, drive_animator
from grader.grading.checks.common import Called, names_text
from grader.grading.checks.convergence import run_against_oracle
from grader.i18n import N_, _
from grader.grading.drawings import expected as oracle_drawing

# --- show_images --------------------------------------------------------------

# The call of each case and, for its comment, what it passes.
IMAGE_CALLS = {
    "tensors": ("show_images(imgs, 2, 3, titles, 1.5)",
                N_("five 28 x 28 float tensors, titles 'image 0\\nlabel 0' to"
                   " 'image 4\\nlabel 4'")),
    "pil": ("show_images(imgs, 1, 4, None, 2)", N_("four 28 x 28 PIL images, no titles")),
}


def _images(learner, case):
    """(Called, the learner's draw_images, the oracle's) for image_case(case)."""
    code, comment = IMAGE_CALLS[case]
    call = f"{code}  # {_(comment)}"
    got, expected = run_against_oracle(
        learner, "show_images", draw_images, call,
        lambda: oracle_drawing(draw_images, case), case=case)
    return Called("show_images", call), got, expected


def _figure(c, got):
    """The figure part of a draw_images result; fails if nothing was drawn."""
    if got[1] is None:
        c.fail(_("draws no figure"), expected=_("a figure of num_rows x num_cols axes"),
               got=_("no figure was drawn"),
               hint=_("make the grid with plt.subplots(num_rows, num_cols, figsize=...)"))
    return got[1]


def check_show_images_returns_the_axes(learner, case):
    """It returns the num_rows * num_cols axes as one flat sequence."""
    c, got, expected = _images(learner, case)
    kind, length, all_axes = got[0]
    if not all_axes:
        c.fail(_("must return the axes"),
               expected=_("a flat array of {n} matplotlib axes").format(n=expected[0][1]),
               got=kind, hint=_("_, axes = plt.subplots(...); axes = axes.flatten(); draw on"
                                " them; return axes"))
    if length != expected[0][1]:
        c.fail(_("returns the wrong number of axes"),
               expected=_("{n} axes (num_rows x num_cols) in one flat array").format(
                   n=expected[0][1]),
               got=_("{kind} of length {length}").format(kind=kind, length=length),
               hint=_("plt.subplots(num_rows, num_cols, ...) makes the whole grid;"
                      " axes.flatten() makes it one flat array of num_rows * num_cols axes"))


def check_show_images_sizes_the_figure(learner, case):
    """The figure is (num_cols * scale, num_rows * scale) inches."""
    c, got, expected = _images(learner, case)
    size = _figure(c, got)[0]
    if size != expected[1][0]:
        c.fail(_("the figure has the wrong size"),
               expected=_("{size} inches (width, height)").format(size=expected[1][0]),
               got=_("{size} inches").format(size=size),
               hint=_("figsize is (width, height) = (num_cols * scale, num_rows * scale)"))


def check_show_images_draws_one_axes_per_cell(learner, case):
    """The figure holds num_rows * num_cols axes."""
    c, got, expected = _images(learner, case)
    axes = _figure(c, got)[1]
    if len(axes) != len(expected[1][1]):
        c.fail(_("the figure has the wrong number of axes"),
               expected=_("{n} axes (num_rows x num_cols)").format(n=len(expected[1][1])),
               got=_("{n} axes").format(n=len(axes)),
               hint=_("one plt.subplots(num_rows, num_cols, ...) call makes the whole grid"))


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
            c.fail(_("axes {i} shows the wrong image").format(i=i),
                   expected=_("nothing") if e[0] is None else
                   _("image {i}, of shape {shape}").format(i=i, shape=tuple(e[0].shape)),
                   got=_shown(g[0], e[0]),
                   hint=_("ax.imshow(img.numpy()) for a tensor and ax.imshow(img) for a PIL"
                          " image, the i-th image on the i-th axes of the flattened grid"))


def _shown(got, expected):
    """What an axes shows instead of `expected`, in words."""
    if got is None:
        return _("nothing")
    if expected is not None and got.shape == expected.shape:
        return _("an image of shape {shape} with other values").format(shape=tuple(got.shape))
    return _("an image of shape {shape}").format(shape=tuple(got.shape))


def check_show_images_titles_each_image(learner, case):
    """With titles, axes i has titles[i]; without, no title."""
    c, got, expected = _images(learner, case)
    titles = [a[1] for a in _figure(c, got)[1]]
    wanted = [a[1] for a in expected[1][1]]
    if titles != wanted:
        c.fail(_("wrong titles"), expected=repr(wanted), got=repr(titles),
               hint=_("if titles: ax.set_title(titles[i]) for the i-th image"))


def check_show_images_hides_the_axis_lines(learner, case):
    """Every axes that shows an image has its x and y axes hidden."""
    c, got, expected = _images(learner, case)
    axes = _figure(c, got)[1]
    for i, (g, e) in enumerate(zip(axes, expected[1][1])):
        if e[0] is not None and not (g[2] and g[3]):
            shown = names_text([n for n, h in (("x", g[2]), ("y", g[3])) if not h])
            c.fail(_("axes {i} still shows its {shown} axis").format(i=i, shown=shown),
                   expected=_("the x and y axes of each image hidden"),
                   got=_("the {shown} axis shown").format(shown=shown),
                   hint=_("ax.axes.get_xaxis().set_visible(False) and the same with"
                          " get_yaxis()"))


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
    got, expected = run_against_oracle(
        learner, "Animator", drive_animator, call,
        lambda: oracle_drawing(drive_animator, case), case=case)
    c = Called("Animator", call)
    if isinstance(got, str) or not got[1]:
        c.fail(_("has no figure to draw on"),
               expected=_("animator.fig, a matplotlib Figure with axes"),
               got=_("animator.fig is {kind}, not a matplotlib Figure").format(kind=got)
               if isinstance(got, str) else _("a figure without axes"),
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
        c.fail(_("the lines do not hold the points added"),
               expected=_("{n} lines, [x values, y values] = {points}").format(
                   n=len(wanted), points=wanted),
               got=_("{n} lines: {points}").format(n=len(points), points=points),
               hint=_points_hint(points, wanted))


def _points_hint(points, wanted):
    """The hint for lines that differ from those expected: what the difference shows."""
    if len(points) > len(wanted):
        return _("call self.axes[0].cla() before plotting the lines again: without it, each"
                 " add draws every line once more on top of the old ones")
    if any(v != v for line in points for values in line for v in values):  # nan: a None drawn
        return _("skip a point whose x or y is None: if a is not None and b is not None")
    return _("add(x, y) appends y[i] (and x[i], or x when it is a single number) to line i;"
             " then plot every line again")


def check_animator_draws_each_line_in_its_format(learner, case):
    """Line i is drawn in fmts[i] (its line style and colour)."""
    c, got, expected = _animate(learner, case)
    g, e = _first_axes(got, expected)
    styles, wanted = [line[2:] for line in g[7]], [line[2:] for line in e[7]]
    if styles != wanted:
        c.fail(_("the lines are drawn in the wrong formats"),
               expected=_("[line style, colour] = {styles}").format(styles=wanted),
               got=f"{styles}",
               hint=_("plot line i as self.axes[0].plot(x, y, fmts[i]): the default fmts are"
                      " ('-', 'm--', 'g-.', 'r:')"))


def check_animator_sets_labels_limits_and_scales(learner, case):
    """The first axes has the labels, limits and scales given (set_axes)."""
    c, got, expected = _animate(learner, case)
    g, e = _first_axes(got, expected)
    names = ("xlabel", "ylabel", "xlim", "ylim", "xscale", "yscale")
    for name, got_value, wanted in zip(names, g[:6], e[:6]):
        if got_value != wanted:
            c.fail(_("the axes' {name} is wrong").format(name=name), expected=repr(wanted),
                   got=repr(got_value),
                   hint=_("after drawing the lines, call set_axes(self.axes[0], xlabel, ylabel,"
                          " xlim, ylim, xscale, yscale, legend): cla() clears them, so set them"
                          " again after each add"))


def check_animator_shows_the_legend(learner, case):
    """The first axes has a legend with the names given."""
    c, got, expected = _animate(learner, case)
    g, e = _first_axes(got, expected)
    if g[6] != e[6]:
        c.fail(_("wrong legend"), expected=repr(e[6]), got=repr(g[6]),
               hint=_("pass legend to set_axes, which calls axes.legend(legend) when it is not"
                      " empty, after every redraw"))
