"""Pure figure builders: each renders the data it is given, reads no clock and no store."""

from __future__ import annotations

from datetime import datetime

import plotly.graph_objects as go


# Okabe–Ito, safe for the common colour-blindnesses.
BLUE, ORANGE, SKY, GREEN, YELLOW, VERMILION, GREY = ("#0072B2", "#E69F00", "#56B4E9", "#009E73",
                                                     "#F0E442", "#D55E00", "#8a94a6")
INK, PAPER = "#e6edf3", "rgba(0,0,0,0)"


def _base(height: int) -> dict:
    return dict(height=height, margin=dict(l=90, r=16, t=8, b=36), paper_bgcolor=PAPER, plot_bgcolor=PAPER,
                font=dict(color=INK, size=18), showlegend=False)


def berth_gantt(rows: list[dict], start: datetime, end: datetime, now: datetime, height: int = 400) -> go.Figure:
    """Per berth: the plan (outline) and the actual stay (filled); a delayed call is vermilion
    and marked ⚠. Each bar carries the ship's IMO in `customdata`, for the drill-down."""
    figure = go.Figure()
    for planned in (True, False):
        shown = [r for r in rows if (r["planned_start"] if planned else r["actual_start"]) is not None]
        if not shown:
            continue
        begins = [r["planned_start"] if planned else r["actual_start"] for r in shown]
        ends = [(r["planned_end"] if planned else r["actual_end"]) or now for r in shown]
        figure.add_bar(
            orientation="h", y=[r["berth"] for r in shown], base=begins,
            x=[(e - b).total_seconds() * 1000 for b, e in zip(begins, ends)],
            customdata=[r["imo"] for r in shown], name="planned" if planned else "actual",
            marker=dict(color=PAPER if planned else [VERMILION if r["delayed"] else SKY for r in shown],
                        line=dict(color=GREY if planned else INK, width=2 if planned else 0)),
            text=None if planned else [("⚠ " if r["delayed"] else "") + (r["name"] or r["imo"]) for r in shown],
            textposition="inside", insidetextanchor="start", width=0.8 if planned else 0.5,
            textfont=dict(size=14, color="#0b1220"), constraintext="none",
            hovertemplate="%{customdata}<extra></extra>")
    figure.add_vline(x=now, line=dict(color=YELLOW, width=3))
    figure.update_layout(**_base(height), barmode="overlay", bargap=0.2)
    figure.update_xaxes(type="date", range=[start, end], gridcolor="#223049")
    figure.update_yaxes(categoryorder="category descending", type="category")
    return figure


def trend(points: list[tuple[datetime, float | None]], colour: str = SKY, baseline: float | None = None) -> go.Figure:
    """A sparkline of hourly values, with the baseline as a dotted line."""
    figure = go.Figure(go.Scatter(x=[p[0] for p in points], y=[p[1] for p in points], mode="lines",
                                  line=dict(color=colour, width=3), connectgaps=True, hoverinfo="skip"))
    if baseline is not None:
        figure.add_hline(y=baseline, line=dict(color=GREY, dash="dot", width=2))
    figure.update_layout(**{**_base(34), "margin": dict(l=0, r=0, t=2, b=2)})
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    return figure
