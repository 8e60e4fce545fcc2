"""Reading a sweep back: best trials, a rich summary table, and a plot of the objective.

Configurations trained with several seeds are summarised by the mean (and the spread) of the
objective over their seeds: a difference between two configurations is only worth believing when it
is larger than the seed-to-seed spread of each.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

SHORT = {
    "final_val_accuracy": "final val acc",
    "best_val_accuracy": "best val acc",
    "final_val_loss": "final val loss",
    "best_val_loss": "best val loss",
    "final_accuracy": "train acc",
    "final_loss": "train loss",
    "best_epoch": "best epoch",
    "epochs_run": "epochs",
    "n_params": "params",
    "train_time": "time (s)",
}


def _fmt(v):
    if v is None:
        return "-"
    if isinstance(v, float):
        if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e5):
            return f"{v:.2e}"
        return f"{v:.4g}" if abs(v) < 1 else f"{v:.3g}"
    return str(v)


class SweepResult:
    """The rows of a sweep plus the spec that made them.

    Attributes
    ----------
    rows : list of dict
        One per trial (``status`` "ok" or "error"), in the spec's trial order.
    computed, skipped : list of str
        Trial ids trained by this run / found already finished in the results file.
    path : Path
        The results file. ``plot_path`` is beside it (same name, ``.png``).
    wall_time : float
        Seconds this run spent training (0 when everything was resumed).
    """

    def __init__(self, spec, rows, path, computed=(), skipped=(), wall_time=0.0):
        from .spec import expand

        order = {t["id"]: i for i, t in enumerate(expand(spec))}
        self.spec = spec
        self.rows = sorted(rows, key=lambda r: order.get(r["trial_id"], len(order)))
        self.path = Path(path)
        self.computed = list(computed)
        self.skipped = list(skipped)
        self.wall_time = float(wall_time)
        self.objective = spec["metrics"]["objective"]
        self.mode = spec["metrics"]["mode"]

    @property
    def plot_path(self):
        return self.path.with_suffix(".png")

    @property
    def keys(self):
        """The searched fields."""
        return list(self.spec["search"]["space"])

    @property
    def ok(self):
        return [
            r for r in self.rows if r.get("status") == "ok" and r.get(self.objective) is not None
        ]

    @property
    def failed(self):
        return [r for r in self.rows if r.get("status") != "ok"]

    def _score(self, v):
        return v if self.mode == "max" else -v

    def best(self, k=1):
        """The ``k`` best trials (single runs) by the objective."""
        return sorted(self.ok, key=lambda r: -self._score(r[self.objective]))[:k]

    def configs(self):
        """One entry per configuration (seeds pooled), best first.

        Returns
        -------
        list of dict
            ``params``, ``n_seeds``, ``mean``, ``std`` (0 for one seed), ``best``, ``trial_ids``,
            and the mean of every other recorded metric.
        """
        groups = {}
        for r in self.ok:
            key = json.dumps(r.get("params") or {}, sort_keys=True)
            groups.setdefault(key, []).append(r)
        out = []
        for key, rs in groups.items():
            vals = np.array([r[self.objective] for r in rs], dtype=float)
            entry = {
                "params": json.loads(key),
                "n_seeds": len(rs),
                "mean": float(vals.mean()),
                "std": float(vals.std(ddof=1)) if len(rs) > 1 else 0.0,
                "best": float(vals.max() if self.mode == "max" else vals.min()),
                "trial_ids": [r["trial_id"] for r in rs],
            }
            for m in self.spec["metrics"]["record"]:
                xs = [r.get(m) for r in rs if isinstance(r.get(m), (int, float))]
                entry[m] = float(np.mean(xs)) if xs else None
            out.append(entry)
        out.sort(key=lambda e: -self._score(e["mean"]))
        return out

    def table(self, k=10):
        """A rich ``Table`` of the ``k`` best configurations (mean +- std over seeds)."""
        from rich.table import Table

        n_ok, n_fail = len(self.ok), len(self.failed)
        t = Table(
            title=f"sweep {self.spec['name']}: best {min(k, len(self.configs()))} of "
            f"{len(self.configs())} configurations ({n_ok} trials ok, {n_fail} failed), ranked "
            f"by {self.objective} ({self.mode}; mean ± std over seeds)",
        )
        t.add_column("#", justify="right")
        for key in self.keys:
            t.add_column(key, justify="right", no_wrap=True)
        t.add_column(SHORT.get(self.objective, self.objective), justify="right", no_wrap=True)
        t.add_column("seeds", justify="right")
        others = [m for m in self.spec["metrics"]["record"] if m != self.objective]
        for m in others:
            t.add_column(SHORT.get(m, m), justify="right")
        for i, e in enumerate(self.configs()[:k], 1):
            cells = [str(i)] + [_fmt(e["params"].get(key)) for key in self.keys]
            cells.append(
                f"{e['mean']:.4f} ± {e['std']:.4f}" if e["n_seeds"] > 1 else f"{e['mean']:.4f}"
            )
            cells.append(str(e["n_seeds"]))
            cells += [_fmt(e[m]) for m in others]
            t.add_row(*cells)
        return t

    def markdown(self, k=10):
        """The summary table as Markdown (for docs and reports)."""
        others = [m for m in self.spec["metrics"]["record"] if m != self.objective]
        head = ["#", *self.keys, f"{self.objective} (mean ± std)", "seeds", *others]
        lines = ["| " + " | ".join(head) + " |", "|" + "---:|" * len(head)]
        for i, e in enumerate(self.configs()[:k], 1):
            cells = [str(i)] + [_fmt(e["params"].get(key)) for key in self.keys]
            cells.append(
                f"{e['mean']:.4f} ± {e['std']:.4f}" if e["n_seeds"] > 1 else f"{e['mean']:.4f}"
            )
            cells.append(str(e["n_seeds"]))
            cells += [_fmt(e[m]) for m in others]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def failures_text(self):
        return "\n".join(
            f"{r['trial_id']} {r.get('params')} seed {r.get('seed')}: {r.get('error')}"
            for r in self.failed
        )

    def plot(self, path=None):
        """Save the objective against each searched field (one panel per field); return the path.

        Numeric fields spanning more than a decade get a log axis; others are categories. Each
        dot is one trial (colour = seed); the line joins the per-value means on grids.
        """
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        path = Path(path) if path is not None else self.plot_path
        keys = self.keys or ["seed"]
        fig, axes = plt.subplots(1, len(keys), figsize=(3.6 * len(keys) + 0.6, 3.4), squeeze=False)
        rows = self.ok
        seeds = sorted({r["seed"] for r in rows})
        cmap = plt.get_cmap("viridis", max(2, len(seeds)))
        n_configs = len({json.dumps(r.get("params") or {}, sort_keys=True) for r in rows})
        best_row = self.best(1)
        for ax, key in zip(axes[0], keys):
            vals = [r["seed"] if key == "seed" else (r.get("params") or {}).get(key) for r in rows]
            ys = [r[self.objective] for r in rows]
            numeric = all(_isnum(v) for v in vals)
            uniq_vals = sorted({json.dumps(v) for v in vals})
            # few values shared by several configurations (a grid, or a choice): equally spaced
            # labelled positions and a line through the means; a continuous draw: a plain axis
            discrete = len(uniq_vals) <= 8 and len(uniq_vals) < n_configs
            if numeric and not discrete:
                xs = np.array(vals, dtype=float)
                if xs.min() > 0 and xs.max() / xs.min() > 10:
                    ax.set_xscale("log")
            else:
                if numeric:
                    uniq_vals.sort(key=lambda v: float(json.loads(v)))
                xs = np.array([uniq_vals.index(json.dumps(v)) for v in vals], dtype=float)
                labels = [u.strip('"') for u in uniq_vals]
                ax.set_xticks(range(len(uniq_vals)), labels, rotation=30 if not numeric else 0)
                ax.set_xlim(-0.5, len(uniq_vals) - 0.5)
            colors = [cmap(seeds.index(r["seed"])) for r in rows]
            ax.scatter(xs, ys, c=colors, s=22, alpha=0.85, edgecolors="none")
            if discrete or not numeric:
                uniq = np.unique(xs)
                means = [np.mean([y for x, y in zip(xs, ys) if x == u]) for u in uniq]
                ax.plot(uniq, means, "-", color="0.4", lw=1, zorder=0, label="mean")
            if best_row:
                i = next(i for i, r in enumerate(rows) if r["trial_id"] == best_row[0]["trial_id"])
                ax.scatter([xs[i]], [ys[i]], s=90, facecolors="none", edgecolors="red", lw=1.2)
            ax.set_xlabel(key)
            ax.grid(alpha=0.3)
        axes[0][0].set_ylabel(self.objective)
        best = self.best(1)
        title = f"{self.spec['name']}: {self.objective} vs searched fields"
        if best:
            title += f" (best {best[0][self.objective]:.4f})"
        fig.suptitle(title, fontsize=10)
        if len(seeds) > 1:
            from matplotlib.lines import Line2D

            handles = [
                Line2D([], [], marker="o", ls="", color=cmap(i), label=f"seed {s}")
                for i, s in enumerate(seeds)
            ]
            axes[0][-1].legend(handles=handles, fontsize=7, loc="best")
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110)
        plt.close(fig)
        return path


def _isnum(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
