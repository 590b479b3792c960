"""Printing and writing the results of ``decide demo`` (tables, PNG plots, report.md)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from decide.cli._report import markdown_table, save_figure, versions, write_json

__all__ = ["SHOWN", "uncertainty_table", "write_demo_outputs"]

SHOWN = ["spend[A]", "spend[B]", "mean", "sd", "cvar_10", "prob_loss", "regret", "optimism",
         "held_out"]


def uncertainty_table(splits: dict[str, Any]) -> pd.DataFrame:
    """One row per policy: variance, its epistemic share, and the CVaR with and without noise."""
    rows = {
        name: {
            "mean": d.mean, "variance": d.total, "epistemic": d.epistemic,
            "aleatoric": d.aleatoric, "epistemic_share": d.epistemic_share,
            "cvar": d.cvar, "cvar_without_noise": d.cvar_epistemic,
        }
        for name, d in splits.items()
    }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("policy")


def _plots(result: dict[str, Any], out: Path) -> dict[str, Path]:
    import matplotlib

    matplotlib.use("Agg")
    from decide.plots import plot_outcomes, plot_sweep, plot_uncertainty

    outcome, table = result["outcome"], result["table"]
    files = {}
    fig, ax = plot_outcomes(table, outcome=outcome, alpha=0.1)
    ax.set_title("next week's incremental sales per policy (all draws)")
    files["outcomes"] = save_figure(fig, out / "outcomes.png")
    fig, ax = plot_sweep(result["sweep"])
    ax.set_title("budget split as the CARA risk aversion grows")
    files["sweep"] = save_figure(fig, out / "sweep.png")
    fig, ax = plot_uncertainty(result["decompositions"])
    ax.set_title("epistemic vs aleatoric variance per policy")
    files["uncertainty"] = save_figure(fig, out / "uncertainty.png")
    return files


def _report(result: dict[str, Any], files: dict[str, Path], random_seed: int) -> str:
    table, voi = result["table"], result["evpi"]
    shares = result["shares"]
    pbest = result["prob_best"]
    lines = [
        "# decide demo: two marketing channels",
        "",
        "Channel **A** ran for 8 of 156 weeks and looks strong but uncertain; channel **B** ran",
        "every week and its smaller effect is well known. A weekly budget of 10 is split between",
        "them; the outcome is next week's incremental sales (a reward: higher is better),",
        f"simulated under `do(spend)` for every posterior draw ({result['source']}).",
        "",
        "## Policies (judged on held-out posterior draws)",
        "",
        markdown_table(table[SHOWN]),
        "",
        "`cvar_10` is the mean of the worst 10% of outcomes; `regret` the expected loss against",
        "perfect information; `optimism` the in-sample minus held-out objective (optimizer's curse),",
        "empty for a fixed action (`held_out` no): compare did not choose it, so it may have seen",
        "the held-out draws.",
        "",
        "Share of the budget on A: "
        + ", ".join(f"{k} {v:.0%}" for k, v in shares.items()) + ".",
        "",
        "## What the uncertainty is made of",
        "",
        markdown_table(uncertainty_table(result["decompositions"])),
        "",
        "Epistemic variance is ignorance more data would remove (mostly A's effect); aleatoric",
        "variance is weekly noise no experiment removes.",
        "",
        f"EVPI over the 11 splits A=0%..100%: **{voi.value:.3g}** (+- {voi.standard_error:.2g}) sales",
        f"units; P(best) of putting everything on A: {pbest.get('A=100%', float('nan')):.2f}.",
        "",
        "## Figures and data",
        "",
        *[_embed(name, path) for name, path in files.items()],
        "",
        "## Reproduce",
        "",
        f"`decide demo --seed {random_seed}` (versions: "
        + ", ".join(f"{k} {v}" for k, v in versions().items()) + ").",
        "",
    ]
    return "\n".join(lines)


def _embed(name: str, path: Path) -> str:
    """Markdown for an output file: an image for a figure, a link for data (CSV, JSON)."""
    if path.suffix.lower() in (".png", ".svg", ".jpg", ".jpeg"):
        return f"![{name}]({path.name})\n"
    return f"[{name}: {path.name}]({path.name})\n"


def write_demo_outputs(
    result: dict[str, Any], out: Path, *, random_seed: int, echo: Callable[[str], None]
) -> dict[str, Path]:
    """Print the tables, write the plots, ``comparison.csv``, ``demo.json`` and ``report.md``."""
    table = result["table"]
    with pd.option_context("display.width", 120, "display.float_format", "{:.3f}".format):
        echo("\nPolicy comparison (held-out draws; rewards, higher is better):")
        echo(table[SHOWN].to_string())
        echo("\nUncertainty split at each policy's action:")
        echo(uncertainty_table(result["decompositions"]).to_string())
    voi = result["evpi"]
    echo(f"\nEVPI over 11 budget splits: {voi.value:.3f} +- {voi.standard_error:.3f}")
    files = _plots(result, out)
    files["comparison"] = out / "comparison.csv"
    table.to_csv(files["comparison"])
    files["json"] = write_json(out / "demo.json", {
        "source": result["source"], "random_seed": random_seed,
        "share_on_A": result["shares"], "evpi": voi.value,
        "prob_best": result["prob_best"].to_dict(), "versions": versions(),
    })
    files["report"] = out / "report.md"
    files["report"].write_text(_report(result, files, random_seed), encoding="utf-8")
    echo(f"\nwrote {', '.join(p.name for p in files.values())} to {out}/")
    return files
