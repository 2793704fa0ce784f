"""Plotly figures built from query rows: pure functions, no database, no request."""
import functools
import json
from itertools import accumulate

import plotly.graph_objects as go
import plotly.io as pio
from flask_babel import gettext as _
from plotly.utils import PlotlyJSONEncoder

RED, GREY, GREEN = "#b71c1c", "#9e9e9e", "#2e7d32"
LAYOUT = dict(margin=dict(l=40, r=10, t=30, b=40), height=340, font=dict(family="system-ui, sans-serif"),
              paper_bgcolor="#ffffff", plot_bgcolor="#ffffff")


# A figure carries no template of its own: the page sends Plotly's default once (template_json()),
# which dashboard.js gives every chart. Inside each figure it would be 6.5 KB of the page, nine
# times over, and copying it into each figure made building one four times slower (2.5 -> 0.6 ms).
_NO_TEMPLATE = go.layout.Template()


def _figure(data, **layout) -> go.Figure:
    # The layout goes to the constructor: update_layout() validates the same keys three times slower,
    # and a dashboard page builds eight figures (2.6 -> 0.8 ms for one bar chart).
    return go.Figure(data=data, layout={**LAYOUT, **layout, "template": _NO_TEMPLATE})


@functools.cache
def template_json() -> str:
    """Plotly's default template, the look every chart shares, as JSON."""
    return json.dumps(pio.templates[pio.templates.default].to_plotly_json(), cls=PlotlyJSONEncoder)


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
    # fraction of their cost (each re-validates the whole layout).
    shapes = [dict(type="line", x0=0, x1=1, xref="x domain", y0=assigned, y1=assigned, yref="y",
                   line=dict(color=GREY, dash="dot"))]
    annotations = [dict(text=_("Assigned"), showarrow=False, x=1, xanchor="right", xref="x domain", y=assigned,
                        yanchor="bottom", yref="y")]
    if deadline:
        shapes.append(_vertical_line(str(deadline), RED))
        annotations.append(dict(text=_("Deadline"), showarrow=False, x=str(deadline), y=assigned, yshift=10))
    return _figure([go.Scatter(x=days, y=cumulative, mode="lines+markers", name=_("Completed"),
                               line=dict(color=RED))],
                   yaxis=dict(title=_("Completed"), range=[0, max(assigned, 1)]), shapes=shapes,
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
    return _figure([go.Bar(x=[start for start, _n in bins], y=[n for _s, n in bins], marker_color=RED,
                           width=7)], xaxis=dict(title=_("Study hours this year")),
                   yaxis=dict(title=_("Members")), shapes=[_vertical_line(required, GREEN)],
                   annotations=[dict(text=_("Requirement"), showarrow=False, x=required, y=1, yref="paper")])


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
