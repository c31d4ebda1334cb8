"""One plotting style for the whole book, and the few plot shapes the chapters share."""

from __future__ import annotations

from typing import Any, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from me_core.companion import paper
from me_core.stats import p_text

PALETTE = ["#1f5fa8", "#d1495b", "#2e933c", "#edae49", "#6c4f9c", "#00798c", "#8d6a3b"]


def use_style() -> None:
    """Apply the book's matplotlib style (readable at page width, colour-blind-safe cycle)."""
    mpl.rcParams.update({
        "figure.figsize": (6.4, 3.8),
        "figure.dpi": 110,
        "savefig.dpi": 110,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.prop_cycle": mpl.cycler(color=PALETTE),
        "legend.frameon": False,
        "font.size": 10,
    })


def mean_band(
    ax: plt.Axes, frame: pd.DataFrame, x: str, y: str, group: str, *,
    labels: dict | None = None, band: str = "minmax",
) -> plt.Axes:
    """Mean of ``y`` against ``x`` per ``group`` with a band over the remaining rows (seeds).

    ``band`` is ``minmax`` (range over seeds) or ``std`` (mean +- one standard deviation).
    """
    for color, (key, part) in zip(PALETTE, frame.groupby(group, sort=True)):
        stats = part.groupby(x)[y].agg(["mean", "min", "max", "std", "count"])
        label = (labels or {}).get(key, f"{group} = {key}")
        ax.plot(stats.index, stats["mean"], color=color,
                label=f"{label} (n = {stats['count'].max()})")
        if stats["count"].max() > 1:
            lo, hi = ((stats["min"], stats["max"]) if band == "minmax"
                      else (stats["mean"] - stats["std"], stats["mean"] + stats["std"]))
            ax.fill_between(stats.index, lo, hi, color=color, alpha=0.2, linewidth=0)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.legend()
    return ax


def caption(ax: plt.Axes, text: str) -> None:
    """Title naming the paper's figure."""
    ax.set_title(text, fontsize=10, loc="left")


def spectrum(ax: plt.Axes, sigma_normalized: Sequence[float], **kwargs) -> None:
    s = np.asarray(sigma_normalized)
    ax.plot(np.arange(1, len(s) + 1), s, **kwargs)
    ax.set_xlabel("singular value index k")
    ax.set_ylabel(r"$\sigma_k / \sigma_{\max}$")


def scale_curves(ax: plt.Axes, frame: pd.DataFrame, y: str = "test_auc", group: str = "embedding",
                 *, label_prefix: str = "", linestyle: str = "-", markers: str = "o") -> None:
    """Mean of ``y`` against scale per ``group`` with one-std error bars over seeds
    (Fig. 1a, 8a, 12, 13)."""
    for color, (key, part) in zip(PALETTE, frame.groupby(group, sort=True)):
        stats = part.groupby("scale")[y].agg(["mean", "std", "count"])
        ax.errorbar(stats.index, stats["mean"], yerr=stats["std"].fillna(0), color=color,
                    marker=markers, linestyle=linestyle, capsize=3,
                    label=f"{label_prefix}{key} (n = {int(stats['count'].max())})")
    ax.set_xlabel("model size (x base embedding size)")
    ax.set_xticks(sorted(frame.scale.unique()))
    ax.legend()


def panel(title: str, xlabel: str = "", ylabel: str = "", *, size=(7, 3.8),
          ax: plt.Axes | None = None) -> plt.Axes:
    """One titled, labelled axes (a new figure of ``size`` unless ``ax`` is given)."""
    ax = ax if ax is not None else plt.subplots(figsize=size)[1]
    caption(ax, title)
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    return ax


def row(count: int, *, width: float = 5.5, height: float = 3.8, cols: int | None = None,
        **kwargs) -> np.ndarray:
    """``count`` axes side by side (wrapping after ``cols``); unused cells are hidden."""
    cols = cols or count
    rows = int(np.ceil(count / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False,
                             **kwargs)
    for ax in axes.flat[count:]:
        ax.set_visible(False)
    return axes.flat[:count]


def scale_panels(frame: pd.DataFrame, panels: Sequence, *, title: str = "",
                 by: str = "model", y: str = "test_auc", ylabel: str = "test AUC",
                 group: str = "embedding", cols: int | None = None) -> plt.Figure:
    """One :func:`scale_curves` panel per value of ``by`` (Fig. 8a, 12, 13, 17b)."""
    axes = row(len(panels), width=13 / 3 if cols else 5.5, height=3.4, cols=cols)
    for ax, name in zip(axes, panels):
        scale_curves(ax, frame[frame[by] == name], y, group=group)
        panel(f"{title}{name}", ylabel=ylabel, ax=ax)
    fig = axes[0].figure
    fig.tight_layout()
    return fig


def model_vs_paper(frame: pd.DataFrame, model: str, paper_data: str,
                   data_name: str = "") -> plt.Figure:
    """Our SE/ME curves of one model (on ``data_name``) beside the paper's Table 1 row on
    ``paper_data``, with the paper's standard deviations of 3 runs (Tables 5/6)."""
    ours, theirs = row(2, width=5, height=3.4)
    mine = frame[frame.model == model]
    if mine.empty:
        ours.text(0.5, 0.5, f"{model} was not run on {data_name or 'this data set'}",
                  ha="center")
    else:
        scale_curves(ours, mine)
    panel(f"ours{f' ({data_name})' if data_name else ''}: {model}", ylabel="test AUC",
          ax=ours)
    reported = paper.table1_frame(paper_data)
    reported = reported[reported.model == model]
    for color, (kind, part) in zip(PALETTE, reported.groupby("embedding")):
        theirs.errorbar(part.scale, part.auc, yerr=part.auc_std, marker="o", color=color,
                        capsize=3, label=kind)
    if reported.empty:
        theirs.text(0.5, 0.5, "not in the paper's Table 1", ha="center")
    else:
        theirs.legend()
    panel(f"reported in the paper: {paper_data}", "model size (x base)", ax=theirs)
    return ours.figure


def metric_panels(frame: pd.DataFrame, metrics: dict[str, tuple[str, str]], *,
                  group: str, extra: int = 0) -> np.ndarray:
    """One :func:`scale_curves` panel per metric (``column -> (y label, title)``): the same
    runs' AUC and IA side by side (Fig. 5, 6); ``extra`` empty panels follow for the caller."""
    axes = row(len(metrics) + extra, width=4.4 if extra else 5.5)
    for ax, (column, (ylabel, title)) in zip(axes, metrics.items()):
        scale_curves(ax, frame, column, group=group)
        panel(title, ylabel=ylabel, ax=ax)
    axes[0].figure.tight_layout()
    return axes


def field_bars(labels: Sequence, series: dict[str, Sequence[float]], *, title: str,
               xlabel: str = "field (by cardinality $D_i$)",
               ylabel: str = "information abundance", size=(7, 3.8)) -> plt.Axes:
    """Grouped bars, one group per field and one bar per series (Fig. 2, 8b)."""
    ax = panel(title, xlabel, ylabel, size=size)
    width = 0.8 / len(series)
    x = np.arange(len(labels))
    for i, (name, values) in enumerate(series.items()):
        ax.bar(x + (i - (len(series) - 1) / 2) * width, values, width, label=name,
               color=PALETTE[i % len(PALETTE)])
    ax.set_xticks(x, [f"{d:,}" if isinstance(d, (int, np.integer)) else str(d)
                      for d in labels], rotation=60 if len(labels) > 12 else 0, fontsize=7)
    ax.legend(fontsize=8)
    return ax


def mean_sd_bars(ax: plt.Axes, arms: dict[str, Sequence[float]]) -> None:
    """One bar per arm: its mean over seeds with one standard deviation (Fig. 10a, 10d)."""
    ax.bar(list(arms), [np.mean(v) for v in arms.values()], color=PALETTE[:len(arms)],
           yerr=[np.std(v, ddof=1) if len(v) > 1 else 0 for v in arms.values()], capsize=4)


def field_spectra(ax: plt.Axes, spectra: pd.DataFrame, dims: Sequence[int]) -> None:
    """One normalised spectrum per field, darker for fields with more values (Fig. 1b);
    ``spectra`` has columns field, k and sigma."""
    cmap = plt.get_cmap("viridis_r")
    rank = np.argsort(np.argsort(dims))
    for field, part in spectra.groupby("field"):
        ax.plot(part.k, part.sigma, color=cmap(rank[field] / max(len(dims) - 1, 1)), lw=1)
    ax.set_xlabel("singular value index k")
    ax.set_ylabel(r"$\sigma_k / \sigma_{\max}$")


def spectra_compare(curves: dict[str, pd.DataFrame], title: str, size=(5.5, 3.2)) -> plt.Figure:
    """Several spectra of one field (``label -> frame with k, sigma``), e.g. learned vs a
    random table of the same shape."""
    ax = panel(title, "singular value index k", r"$\sigma_k / \sigma_{\max}$", size=size)
    for label, spectrum_ in curves.items():
        ax.plot(spectrum_.k, spectrum_.sigma, label=label)
    ax.legend()
    return ax.figure


def errorbar_lines(ax: plt.Axes, tidy: pd.DataFrame, x: str, y: str, group: str) -> None:
    """Mean of ``y`` against ``x`` per ``group`` with one-standard-deviation bars over the
    remaining rows (seeds) (Fig. 15, Table 2 as a plot)."""
    for key, part in tidy.groupby(group, sort=True):
        stats = part.groupby(x)[y].agg(["mean", "std"])
        ax.errorbar(stats.index, stats["mean"], yerr=stats["std"].fillna(0).values, marker="o",
                    capsize=3, label=str(key))
    ax.legend()


def heatmaps(matrices: dict[str, np.ndarray], *, label: str, suptitle: str = "",
             xlabel: str = "target field j", ylabel: str = "source field i",
             **scale) -> np.ndarray:
    """Matrices side by side with one colour bar each (Fig. 10b, 16)."""
    axes = row(len(matrices), width=3.3 if len(matrices) > 2 else 4.4, height=3.2)
    for ax, (title, matrix) in zip(axes, matrices.items()):
        heatmap(ax, matrix, label=label, **scale)
        panel(title, xlabel, ylabel, ax=ax)
    if suptitle:
        axes[0].figure.suptitle(suptitle, x=0.01, ha="left")
    axes[0].figure.tight_layout()
    return axes


def partner_scatter(ax: plt.Axes, read: dict, title: str) -> None:
    """The partner effect of every (field, partner) against the partner's IA, with its
    row-centred correlation in the title (Fig. 3c, 9, 14)."""
    ax.axhline(0, color="0.6", lw=0.8)
    ax.scatter(read["field_ia"], read["partner_effect"], color=PALETTE[1])
    panel(f"{title}r = {read['pearson_partner']:+.2f} ({p_text(read['p_value'])})",
          "IA of the partner field $E_j$", "partner effect (row-centred)", ax=ax)


def training_dynamics(ax: plt.Axes, runs: pd.DataFrame, label: str = "variant") -> None:
    """Training BCE (solid, left axis) and validation AUC (dashed, right axis) per epoch of
    each run (rows with a ``history``), one colour per run (Fig. 5c)."""
    right = ax.twinx()
    for color, (name, history) in zip(PALETTE, zip(runs[label], runs.history)):
        epochs = [h["epoch"] for h in history]
        ax.plot(epochs, [h["train_loss"] for h in history], color=color, marker="o",
                label=f"{name}: training BCE")
        right.plot(epochs, [h["valid_auc"] for h in history], color=color, marker="s",
                   linestyle="--", label=f"{name}: validation AUC")
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
    ax.set_ylabel("training BCE (solid)")
    right.set_ylabel("validation AUC (dashed)")
    right.grid(False)
    handles = [h for axis in (ax, right) for h in axis.get_legend_handles_labels()[0]]
    ax.legend(handles, [h.get_label() for h in handles], fontsize=7, loc="center right")


def co_influence_panels(read: dict, title: str) -> plt.Figure:
    """Evidence I for one model and seed (a partner read, Fig. 3 and 14): (a) the sub-embedding
    IA matrix, (b) its row sums against the fields sorted by IA, (c) the partner scatter."""
    matrix, sums, scatter = row(3, width=4, gridspec_kw={"width_ratios": [1.3, 1, 1]})
    heatmap(matrix, read["matrix"], label=r"IA($E_i^{\to j}$)")
    panel("a", "partner field j (sorted by IA)", "field i (sorted by IA)", ax=matrix)
    sums.plot(np.arange(len(read["row_sums"])), read["row_sums"], marker="o")
    panel(f"b: r = {read['pearson_self']:.2f}", "field i (sorted by IA)",
          r"$\sum_j$ IA($E_i^{\to j}$)", ax=sums)
    partner_scatter(scatter, read, "c: ")
    matrix.figure.suptitle(title, x=0.01, ha="left")
    matrix.figure.tight_layout()
    return matrix.figure


def ia_against_data(ax: plt.Axes, frame: pd.DataFrame, random_ia: dict[int, Any]) -> None:
    """Table 2 as a plot: mean field IA against the training fraction per (size, SE/ME), mean ±
    sd over seeds, with a dotted line at a random table's IA of each size (``random_ia``: size
    -> IA, or size -> seed -> IA, averaged over the seeds)."""
    random_ia = {k: float(np.mean(list(v.values()))) if isinstance(v, dict) else float(v)
                 for k, v in random_ia.items()}
    cells = frame.groupby(["scale", "embedding", "fraction"]).mean_field_ia.agg(["mean", "std"])
    color = {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(sorted(random_ia))}
    for (scale, kind), part in cells.groupby(level=["scale", "embedding"]):
        part = part.droplevel(["scale", "embedding"])
        ax.errorbar(part.index, part["mean"], yerr=part["std"], capsize=3, color=color[scale],
                    marker="o" if kind == "SE" else "s", linestyle="-" if kind == "SE" else "--",
                    label=f"{kind} {scale}x")
    for scale, ia in random_ia.items():
        ax.axhline(ia, color=color[scale], linestyle=":", linewidth=1)
    ax.set_xscale("log")
    ax.set_xlabel("fraction of the training data")
    ax.set_ylabel("mean IA over fields")
    ax.legend(ncol=2)


def spectra_against_width(ax: plt.Axes, spectra: pd.DataFrame, dims: Sequence[int], K: int,
                          other: Sequence[float], label: str, other_label: str) -> None:
    """Fig. 11: the normalised spectra of a CTR model's fields with more than K values (grey)
    and their median (``label``) against another table's spectrum, both over k / K."""
    curves = []
    for field in [f for f, d in enumerate(dims) if d > K]:
        part = spectra[spectra.field == field]
        ax.plot(part.k / K, part.sigma, color="0.75", lw=0.8)
        curves.append(part.sigma.to_numpy())
    ax.plot(np.arange(1, K + 1) / K, np.median(np.vstack(curves), axis=0), color=PALETTE[0],
            lw=2, label=label)
    ax.plot(np.arange(1, len(other) + 1) / len(other), other, color=PALETTE[1], lw=2,
            label=other_label)
    ax.set_xlabel("singular value index / K")
    ax.set_ylabel(r"$\sigma_k / \sigma_{\max}$")
    ax.legend()


def heatmap(ax: plt.Axes, matrix: np.ndarray, *, label: str, cmap: str = "viridis",
            vmin: float | None = None, vmax: float | None = None):
    """A matrix with a colour bar (Fig. 3a, 10b, 14, 16)."""
    image = ax.imshow(matrix, cmap=cmap, vmin=vmin, vmax=vmax, aspect="equal")
    ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
    ax.yaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
    ax.figure.colorbar(image, ax=ax, label=label, fraction=0.046, pad=0.04)
    ax.grid(False)
    return image


def figure_png(fig) -> bytes:
    """A matplotlib figure as PNG bytes (the figure is closed)."""
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def control_values(control) -> list:
    """The values a selection control (Dropdown, ToggleButtons, SelectionSlider) can take, in
    the order of its options (``(label, value)`` pairs give their value)."""
    return _option_values(control.options)


def _option_values(options) -> list:
    return [option[1] if isinstance(option, tuple) and len(option) == 2 else option
            for option in options]


def choice(description: str, options, preferred=None, buttons: bool = False):
    """A selection control for :func:`figure_widget`: a Dropdown (or ToggleButtons) over
    ``options`` (values, or ``(label, value)`` pairs) starting at ``preferred`` when it is one of
    them, else at the first."""
    import ipywidgets as widgets

    values = _option_values(options)
    value = preferred if preferred in values else values[0]
    kind = widgets.ToggleButtons if buttons else widgets.Dropdown
    return kind(options=list(options), value=value, description=description)


#: where a book build keeps the widgets' figures: a folder of the staged book that Sphinx copies
#: to the HTML root (``html_extra_path``), so a page at ``<html>/<folder>/<page>.html`` loads them
#: from ``../figures/``
BOOK_FIGURES = ("book", "_assets", "figures")


def _book_figure_folder():
    """The staged book's figure folder during a book build (None outside one: live notebooks,
    papermill and nbconvert keep each figure inside its widget)."""

    from me_core.companion.report import in_book_build, summary_dir

    if not in_book_build():
        return None
    assets = summary_dir().parent.joinpath("src", *BOOK_FIGURES[:-1])
    return assets / BOOK_FIGURES[-1] if assets.is_dir() else None


def _figure_view(png: bytes):
    """A widget showing ``png``: in a book build an ``<img>`` that loads a file of the built book
    when it is shown (``loading="lazy"``: a grid of figures behind controls does not weigh on
    the page), elsewhere an Image widget holding the bytes."""
    import hashlib
    import struct

    import ipywidgets as widgets

    from me_core.files import atomic_target

    folder = _book_figure_folder()
    if folder is None:
        return widgets.Image(value=png, format="png")
    name = hashlib.sha256(png).hexdigest()[:24] + ".png"
    path = folder / name
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        with atomic_target(path) as tmp:
            tmp.write_bytes(png)
    width, height = struct.unpack(">II", png[16:24])  # the PNG header's IHDR size: the page
    # keeps the figure's box before the file arrives (no layout shift, and it counts as shown)
    return widgets.HTML(f'<img src="../{BOOK_FIGURES[-1]}/{name}" loading="lazy" alt="figure" '
                        f'width="{width}" height="{height}" style="max-width:100%;height:auto">')


def figure_widget(render, controls: dict):
    """Controls above a figure that works without a kernel: ``render(**values)`` (returning a
    matplotlib figure) is drawn once for every combination of the controls' values, at build
    time, and the browser switches between the drawings.

    ``controls`` maps ``render``'s argument names to selection widgets (Dropdown,
    ToggleButtons, SelectionSlider: anything with ``options`` and ``index``). Each control's
    ``index`` is linked in the browser (``jslink``) to the selected child of a ``Stack`` of
    ``Image`` widgets, nested one level per control, so the static book and a live notebook
    behave the same. The grid is the product of the controls' option counts: keep it small.
    Figures travel as PNG bytes in the widget state (an ``Output`` widget updated during
    headless execution can stall nbclient; jupyter/nbclient#312), except in a book build, where
    each is a file of the book that the page loads when the figure is shown.
    """
    import ipywidgets as widgets

    names = list(controls)
    for name, control in controls.items():
        if not hasattr(control, "index") or not hasattr(control, "options"):
            raise TypeError(f"control {name!r}: a selection widget with options is needed, "
                            f"not {type(control).__name__}")

    def level(depth: int, chosen: dict):
        if depth == len(names):
            return _figure_view(figure_png(render(**chosen)))
        control = controls[names[depth]]
        stack = widgets.Stack([level(depth + 1, {**chosen, names[depth]: value})
                               for value in control_values(control)],
                              selected_index=control.index)
        widgets.jslink((control, "index"), (stack, "selected_index"))
        return stack

    return widgets.VBox([widgets.HBox(list(controls.values())), level(0, {})])
