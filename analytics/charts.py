"""Plotly figures built from query rows: pure functions, no database, no request."""
import json
from itertools import accumulate

import plotly.graph_objects as go
from flask_babel import gettext as _
from plotly.utils import PlotlyJSONEncoder

RED, GREY, GREEN = "#b71c1c", "#9e9e9e", "#2e7d32"
# Margins are a floor: automargin on every axis grows them to fit tick labels and titles, so no text
# leaves its card at 390 px. Charts stretch to their card's width (dashboard.js: responsive).
LAYOUT = dict(margin=dict(l=40, r=20, t=30, b=40), height=340, font=dict(family="system-ui, sans-serif"),
              paper_bgcolor="#ffffff", plot_bgcolor="#ffffff", xaxis=dict(automargin=True),
              yaxis=dict(automargin=True))

# No template: plotly.js's own defaults are the look (grey grid on white). Plotly's Python default
# template (6.5 KB) would travel in every page and only draws white grid lines on our white background.
_NO_TEMPLATE = go.layout.Template()


def _figure(data, **layout) -> go.Figure:
    # The layout goes to the constructor: update_layout() validates the same keys three times slower,
    # and a dashboard page builds eight figures (2.6 -> 0.8 ms for one bar chart).
    for axis in ("xaxis", "yaxis"):
        layout[axis] = {**LAYOUT[axis], **_names_axis(data, axis[0]), **layout.get(axis, {})}
    return go.Figure(data=data, layout={**LAYOUT, **layout, "template": _NO_TEMPLATE})


def _names_axis(data, letter) -> dict:
    """An axis whose values are all text (branch names, "#12", "2026-12") is a category axis. Left to
    guess, plotly.js reads "#12" or a branch named "2024" as a number and "2026-12" as a date, and draws
    0.6, 0.8, 1, ... or "00:00:00 十二 1, 2026" under a single bar. A date axis says so (type "date")."""
    values = [value for trace in data for value in (getattr(trace, letter, None) or ())]
    return {"type": "category"} if values and all(isinstance(value, str) for value in values) else {}


def figure_json(figure: go.Figure) -> str:
    """The figure as compact JSON for the page: no empty template, floats to one decimal place
    (rates and hours are shown to one), Chinese as UTF-8 rather than \\u escapes."""
    plain = figure.to_plotly_json()
    plain["layout"].pop("template", None)
    return json.dumps(_rounded(plain), cls=PlotlyJSONEncoder, ensure_ascii=False, separators=(",", ":"))


def _rounded(value):
    if isinstance(value, float):
        return round(value, 1)
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_rounded(item) for item in value]
    return value


def completion_by_child(children, totals) -> go.Figure:
    """Sorted bars of completion rate per child node; customdata carries the node id for drill-down."""
    rows = sorted(((node, totals[node.id]) for node in children if totals[node.id].assigned),
                  key=lambda item: item[1].completion_rate)
    return _figure([go.Bar(x=[f.completion_rate for _n, f in rows], y=[n.name for n, _f in rows], orientation="h",
                           customdata=[n.id for n, _f in rows], marker_color=RED,
                           hovertemplate="%{y}: %{x}%<extra></extra>")],
                   xaxis=dict(title=_("Completion rate (%)"), range=[0, 100]), yaxis=dict(automargin=True),
                   height=max(240, 28 * len(rows) + 80))


def subtree_treemap(nodes, totals, root) -> go.Figure:
    shown = [n for n in nodes if totals[n.id].members]
    return _figure([go.Treemap(
        ids=[str(n.id) for n in shown], labels=[n.name for n in shown],
        parents=["" if n.id == root.id else str(n.parent_id) for n in shown],
        values=[totals[n.id].members for n in shown], branchvalues="total",
        marker=dict(colors=[totals[n.id].completion_rate or 0 for n in shown], colorscale="RdYlGn",
                    cmin=0, cmax=100, colorbar=dict(title="%")),
        hovertemplate="%{label}<br>" + _("Members") + ": %{value}<br>" + _("Completion rate") +
                      ": %{color:.1f}%<extra></extra>")], height=420)


def _vertical_line(x, color):
    return dict(type="line", x0=x, x1=x, xref="x", y0=0, y1=1, yref="y domain", line=dict(color=color, dash="dash"))


def completion_line(per_day, assigned, deadline) -> go.Figure:
    days = [day for day, _count in per_day]
    cumulative = list(accumulate(count for _day, count in per_day))
    # Lines and labels as layout shapes and annotations: what add_hline() and add_vline() produce, at a
    # fraction of their cost (each re-validates the whole layout). The range leaves room above the
    # assigned line, so both labels sit inside the plot, not in a margin no axis reserves.
    shapes = [dict(type="line", x0=0, x1=1, xref="x domain", y0=assigned, y1=assigned, yref="y",
                   line=dict(color=GREY, dash="dot"))]
    annotations = [dict(text=_("Assigned"), showarrow=False, x=0, xanchor="left", xref="x domain", y=assigned,
                        yanchor="bottom", yref="y")]
    if deadline:
        shapes.append(_vertical_line(str(deadline), RED))
        annotations.append(dict(text=_("Deadline"), showarrow=False, x=str(deadline), xanchor="right", xshift=-4,
                                y=1, yref="y domain", yanchor="top", font=dict(color=RED)))
    return _figure([go.Scatter(x=days, y=cumulative, mode="lines+markers", name=_("Completed"),
                               line=dict(color=RED))],
                   xaxis=dict(type="date", tickformat=_("%b %-d"), hoverformat=_("%b %-d, %Y")),
                   yaxis=dict(title=_("Completed"), range=[0, max(assigned, 1) * 1.2]), shapes=shapes,
                   annotations=annotations)


def funnel_figure(stages) -> go.Figure:
    labels = [_("Assigned"), _("Started"), _("All lessons done"), _("Final quiz passed"), _("Completed")]
    values = [stages["assigned"], stages["started"], stages["lessons_done"], stages["quiz_passed"],
              stages["completed"]]
    return _figure([go.Funnel(y=labels, x=values, marker_color=RED, textinfo="value+percent initial")])


def score_histogram(bands) -> go.Figure:
    return _figure([go.Bar(x=[f"{start}–{start + 10}%" for start, _n in bands], y=[n for _s, n in bands],
                           marker_color=RED)], xaxis=dict(title=_("Score")), yaxis=dict(title=_("Attempts")))


def difficulty_bars(rows) -> go.Figure:
    return _figure([go.Bar(x=[r["correct_rate"] for r in rows], y=[f"#{r['question_id']}" for r in rows],
                           orientation="h", marker_color=RED, text=[r["stem"][:30] for r in rows],
                           hovertemplate="%{text}: %{x}%<extra></extra>")],
                   xaxis=dict(title=_("Answered right (%)"), range=[0, 100]), yaxis=dict(autorange="reversed"))


def hours_histogram(bins, required) -> go.Figure:
    # The label goes on the side of the line with more room, inside the plot.
    widest = max([start + 8 for start, _n in bins] + [required])
    left_of_line = required > widest / 2
    label = dict(text=_("Requirement"), showarrow=False, x=required, xanchor="right" if left_of_line else "left",
                 xshift=-4 if left_of_line else 4, y=1, yref="y domain", yanchor="top", font=dict(color=GREEN))
    return _figure([go.Bar(x=[start for start, _n in bins], y=[n for _s, n in bins], marker_color=RED,
                           width=7)], xaxis=dict(title=_("Study hours this year")),
                   yaxis=dict(title=_("Members")), shapes=[_vertical_line(required, GREEN)], annotations=[label])


def hours_share_by_child(children, totals) -> go.Figure:
    rows = sorted(((n, totals[n.id]) for n in children if totals[n.id].members),
                  key=lambda item: item[1].hours_rate)
    return _figure([go.Bar(x=[f.hours_rate for _n, f in rows], y=[n.name for n, _f in rows], orientation="h",
                           customdata=[n.id for n, _f in rows], marker_color=GREEN)],
                   xaxis=dict(title=_("Members meeting the hours requirement (%)"), range=[0, 100]),
                   yaxis=dict(automargin=True), height=max(240, 28 * len(rows) + 80))


def attendance_bars(months) -> go.Figure:
    return _figure([go.Bar(x=[m for m, _b, _c in months], y=[b for _m, b, _c in months], name=_("Base sessions"),
                           marker_color=RED),
                    go.Bar(x=[m for m, _b, _c in months], y=[c for _m, _b, c in months],
                           name=_("Collective study"), marker_color=GREY)], barmode="group",
                   yaxis=dict(title=_("Attendances")))
