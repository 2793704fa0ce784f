"""What the dashboard's charts draw besides their data: the lines and labels a supervisor reads."""
import json
from datetime import date

from analytics import charts


def layout_of(figure):
    return json.loads(figure.to_json())["layout"]


def test_completion_line_marks_the_assigned_total_and_the_deadline(app):
    with app.test_request_context():
        layout = layout_of(charts.completion_line([(date(2026, 3, 1), 4), (date(2026, 3, 2), 3)], 40,
                                                  date(2026, 4, 30)))
    assigned, deadline = layout["shapes"]
    # Across the whole plot at the assigned total, dotted; down the whole plot at the deadline, dashed.
    assert (assigned["xref"], assigned["x0"], assigned["x1"]) == ("x domain", 0, 1)
    assert (assigned["y0"], assigned["y1"], assigned["line"]["dash"]) == (40, 40, "dot")
    assert (deadline["x0"], deadline["x1"], deadline["yref"]) == ("2026-04-30", "2026-04-30", "y domain")
    assert deadline["line"] == {"color": charts.RED, "dash": "dash"}
    labels = {note["text"]: note for note in layout["annotations"]}
    assert labels["指派学习"]["y"] == 40 and labels["截止日期"]["x"] == "2026-04-30"
    # Both labels inside the plot: room above the assigned line, the deadline's label at the top.
    assert labels["截止日期"]["yref"] == "y domain" and labels["截止日期"]["yanchor"] == "top"
    assert labels["指派学习"]["yanchor"] == "bottom" and layout["yaxis"]["range"] == [0, 48]
    # The base layout still applies under the chart's own settings.
    assert layout["paper_bgcolor"] == "#ffffff" and layout["yaxis"]["automargin"] is True


def test_completion_line_without_deadline_draws_no_deadline(app):
    with app.test_request_context():
        layout = layout_of(charts.completion_line([], 0, None))
    assert len(layout["shapes"]) == 1 and [note["text"] for note in layout["annotations"]] == ["指派学习"]
    assert layout["yaxis"]["range"] == [0, 1.2]


def test_hours_histogram_marks_the_yearly_requirement(app):
    with app.test_request_context():
        layout = layout_of(charts.hours_histogram([(0, 3), (32, 5)], 32))
    (requirement,) = layout["shapes"]
    assert (requirement["x0"], requirement["x1"], requirement["line"]["color"]) == (32, 32, charts.GREEN)
    (label,) = layout["annotations"]
    assert label["text"] == "应修要求" and label["x"] == 32 and label["yref"] == "y domain"
    # Inside the plot, on the side of the line with more room (32 of 40 hours: to its left).
    assert (label["y"], label["yanchor"], label["xanchor"]) == (1, "top", "right")


def test_axes_of_names_are_category_axes_whatever_the_names_look_like(app):
    """plotly.js guesses an axis's type from its values: "#1" and a branch named "2024" look like numbers,
    "2026-12" like a date. Every chart of names says its axis holds categories."""
    with app.test_request_context():
        difficulty = layout_of(charts.difficulty_bars([{"question_id": 1, "correct_rate": 40.0, "stem": "题干"}]))
        attendance = layout_of(charts.attendance_bars([("2026-12", 3, 1)]))
        scores = layout_of(charts.score_histogram([(90, 1)]))
        hours = layout_of(charts.hours_histogram([(0, 3), (32, 5)], 32))
    assert difficulty["yaxis"]["type"] == "category" and difficulty["yaxis"]["autorange"] == "reversed"
    assert attendance["xaxis"]["type"] == "category" and scores["xaxis"]["type"] == "category"
    # Numbers stay a number axis, and days a date axis.
    assert "type" not in hours["xaxis"] and "type" not in difficulty["xaxis"]
    with app.test_request_context():
        timeline = layout_of(charts.completion_line([(date(2026, 3, 1), 4)], 40, None))
    assert timeline["xaxis"]["type"] == "date"
