"""One plotting style for the whole book, and the few plot shapes the chapters share."""

from __future__ import annotations

from typing import Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

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


def heatmap(ax: plt.Axes, matrix: np.ndarray, *, label: str, cmap: str = "viridis",
            vmin: float | None = None, vmax: float | None = None):
    """A matrix with a colour bar (Fig. 3a, 10b, 14, 16)."""
    image = ax.imshow(matrix, cmap=cmap, vmin=vmin, vmax=vmax, aspect="equal")
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
    return [option[1] if isinstance(option, tuple) and len(option) == 2 else option
            for option in control.options]


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
    headless execution can stall nbclient; jupyter/nbclient#312).
    """
    import ipywidgets as widgets

    names = list(controls)
    for name, control in controls.items():
        if not hasattr(control, "index") or not hasattr(control, "options"):
            raise TypeError(f"control {name!r}: a selection widget with options is needed, "
                            f"not {type(control).__name__}")

    def level(depth: int, chosen: dict):
        if depth == len(names):
            return widgets.Image(value=figure_png(render(**chosen)), format="png")
        control = controls[names[depth]]
        stack = widgets.Stack([level(depth + 1, {**chosen, names[depth]: value})
                               for value in control_values(control)],
                              selected_index=control.index)
        widgets.jslink((control, "index"), (stack, "selected_index"))
        return stack

    return widgets.VBox([widgets.HBox(list(controls.values())), level(0, {})])
