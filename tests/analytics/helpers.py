"""Plain helpers for the analytics page tests: figure JSON from a page, the text of an export."""
import csv
import io
import json
import re

from openpyxl import load_workbook

CHARTS = ("completion", "treemap", "timeline", "funnel", "scores", "difficulty", "hours", "hours_share",
          "attendance")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def chart_json(html: str, chart: str) -> dict:
    match = re.search(rf'<script type="application/json" id="{re.escape(chart)}-data">(.*?)</script>', html, re.S)
    assert match, f"no figure JSON for {chart}"
    return json.loads(match.group(1))


def drawn_charts(html: str) -> set[str]:
    return {name[: -len("-data")] for name in re.findall(r'data-figure="([^"]+)"', html)}


def empty_charts(html: str) -> int:
    return len(re.findall(r'class="[^"]*\bchart-empty\b', html))


def xlsx_rows(data: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(data)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "CSV for Excel starts with a BOM"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def response_text(response) -> str:
    """Everything a response shows: a page's HTML, every cell of a workbook, a CSV's text."""
    if response.mimetype == XLSX:
        return "\n".join("\t".join("" if v is None else str(v) for v in row) for row in xlsx_rows(response.data))
    if response.mimetype == "text/csv":
        return response.data.decode("utf-8-sig")
    return response.get_data(as_text=True)


def breadcrumb(html: str) -> str:
    match = re.search(r'<ol class="breadcrumb">(.*?)</ol>', html, re.S)  # the nav's label is translated
    assert match, "no breadcrumb"
    return match.group(1)
