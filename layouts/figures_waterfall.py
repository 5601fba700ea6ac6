"""The measures' waterfall (pure: it renders the bars it is given and reads nothing else).

One figure per direction, in percentage points of the mean clearance time: what changed between
the two periods without any measure, a bar per measure on (each with its 95 % interval over the
seeds as an error bar), the model's total, and — with every measure on — what is left
unexplained between that total and the port's published figure, which is a dashed reference
line. Negative is faster: green; a change that slows clearance is vermilion.
"""

from __future__ import annotations

import plotly.graph_objects as go

from layouts.figures import GREEN, GREY, INK, PAPER, SKY, VERMILION, YELLOW
from layouts.i18n import text

TOTAL = "total"


def pp(value: float | None) -> str:
    """Percentage points with a true minus: `−3.1 pp`."""
    if value is None:
        return "—"
    return f"{value:+.1f}".replace("-", "−") + " pp"


def bar_ci(bar: dict, direction: str) -> float | None:
    """A bar's 95 % half-interval in pp, however the report spells it."""
    for key in (f"{direction}_ci95_pp", f"{direction}_ci95"):
        if bar.get(key) is not None:
            return float(bar[key])
    nested = bar.get("ci95_pp") or bar.get("ci95")
    if isinstance(nested, dict) and nested.get(direction) is not None:
        return float(nested[direction])
    return None


def split(rows: list[dict]) -> tuple[list[dict], dict | None]:
    """waterfall_for's rows → (the bars: the change between the periods and each measure's, the
    total row or None)."""
    bars = [row for row in rows if row.get("measure") != TOTAL]
    totals = [row for row in rows if row.get("measure") == TOTAL]
    return bars, (totals[0] if totals else None)


def label(row: dict, lang: str) -> str:
    title = row.get("title")
    return title.get(lang) or row["measure"] if isinstance(title, dict) else str(title or row["measure"])


def waterfall(rows: list[dict], direction: str, lang: str, *, unexplained: float | None = None,
              published: float | None = None, height: int = 340) -> go.Figure:
    """`rows`: simulator.reconstruction.waterfall_for's ([{"measure", "title": {zh, en},
    "<direction>_pp", "<direction>_ci95_pp"}], the total last, `measure` "total"), bars summing
    to the total; `unexplained`: pp from the total to the published figure (the report's, with
    every measure on); `published`: the port's published change in %."""
    bars, total = split(rows)
    labels = [label(bar, lang) for bar in bars]
    values = [float(bar.get(f"{direction}_pp") or 0.0) for bar in bars]
    errors = [bar_ci(bar, direction) for bar in bars]
    measure = ["relative"] * len(bars)
    total_value = float(total[f"{direction}_pp"]) if total and total.get(f"{direction}_pp") is not None \
        else sum(values)
    labels.append(text("whatif_total", lang))
    values.append(total_value)
    errors.append(bar_ci(total, direction) if total else None)
    measure.append("absolute")
    if unexplained is not None:
        labels.append(text("whatif_unexplained", lang))
        values.append(float(unexplained))
        errors.append(None)
        measure.append("relative")
    figure = go.Figure(go.Waterfall(
        x=labels, y=values, measure=measure, text=[pp(v) for v in values], textposition="outside",
        decreasing=dict(marker=dict(color=GREEN)), increasing=dict(marker=dict(color=VERMILION)),
        totals=dict(marker=dict(color=SKY)), connector=dict(line=dict(color=GREY, width=1)),
        hovertemplate="%{x}: %{text}<extra></extra>", cliponaxis=False))
    _error_bars(figure, labels, values, measure, errors)
    if published is not None:
        figure.add_hline(y=published, line=dict(color=YELLOW, dash="dash", width=2),
                         annotation=dict(text=text("whatif_published", lang, value=percent(published)),
                                         font=dict(color=YELLOW, size=14)),
                         annotation_position="top left")
    figure.update_layout(height=height, margin=dict(l=56, r=16, t=40, b=90), paper_bgcolor=PAPER,
                         plot_bgcolor=PAPER, font=dict(color=INK, size=14), showlegend=False,
                         title=dict(text=text(f"whatif_{direction}", lang), x=0, font=dict(size=17)))
    figure.update_yaxes(title_text=text("whatif_axis", lang), gridcolor="#223049", zeroline=True,
                        zerolinecolor=GREY)
    figure.update_xaxes(tickangle=-20, automargin=True)
    return figure


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:+.2f}".replace("-", "−") + " %"


def _error_bars(figure: go.Figure, labels: list, values: list, measure: list, errors: list) -> None:
    """Each bar's interval around where the bar ends (a waterfall trace has no error bars)."""
    ends, running = [], 0.0
    for value, kind in zip(values, measure):
        running = value if kind == "absolute" else running + value
        ends.append(running)
    shown = [i for i, error in enumerate(errors) if error is not None]
    if not shown:
        return
    figure.add_scatter(x=[labels[i] for i in shown], y=[ends[i] for i in shown], mode="markers",
                       marker=dict(size=1, color=INK), hoverinfo="skip",
                       error_y=dict(type="data", array=[errors[i] for i in shown], color=INK, thickness=2, width=6))
