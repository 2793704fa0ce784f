"""The vendored plotly.js bundle holds every trace type the dashboard draws, and nothing is fetched
from elsewhere: a chart type added to analytics/charts.py without rebuilding the bundle would draw an
empty card (static/vendor/plotly/README.md says how to rebuild it)."""
import re
from pathlib import Path

import plotly.graph_objects as go

from analytics import charts

VENDOR = Path(__file__).resolve().parents[2] / "static" / "vendor" / "plotly"


def trace_types_in_charts() -> set[str]:
    source = Path(charts.__file__).read_text()
    names = set(re.findall(r"\bgo\.([A-Z]\w*)\(", source)) - {"Figure"}
    return {getattr(go, name)().type for name in names}


def test_the_bundle_registers_every_trace_type_the_dashboard_draws():
    bundle = (VENDOR / "plotly-dashboard.min.js").read_text()
    registered = set(re.findall(r'moduleType:"trace",name:"(\w+)"', bundle))
    used = trace_types_in_charts()
    assert used >= {"bar", "scatter", "treemap", "funnel"}
    assert used <= registered, f"rebuild the bundle with {sorted(used - registered)}"


def test_the_vendored_files_say_where_they_came_from():
    readme = (VENDOR / "README.md").read_text()
    for name in ("plotly-dashboard.min.js", "plotly.css", "plotly-locale-zh-cn.js", "LICENSE"):
        assert (VENDOR / name).is_file() and name in readme, name
    assert "MIT" in (VENDOR / "LICENSE").read_text()
    assert 'name:"zh-CN"' in (VENDOR / "plotly-locale-zh-cn.js").read_text()
