"""Excel and CSV exports (Chinese headers, organisation path, formula-safe cells) and report periods."""
import io
from dataclasses import dataclass
from datetime import date, timedelta

from openpyxl import Workbook

from learning_app.spreadsheets import csv_bytes, safe_sheet_cell
from learning_app.timezones import local_today

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LIST_TITLES = {"not_started": "未开始学习", "overdue": "逾期未完成", "below_hours": "学时未达标"}


def _file(title: str, header: list[str], rows: list[list], fmt: str) -> tuple[bytes, str]:
    if fmt == "csv":
        return csv_bytes(header, rows), "text/csv"
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append(header)
    for row in rows:
        sheet.append([safe_sheet_cell(value) for value in row])
    for column in sheet.columns:
        sheet.column_dimensions[column[0].column_letter].width = min(60, max(10, *(len(str(c.value or "")) * 1.6
                                                                                  for c in column)))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), XLSX


def action_list_file(kind: str, rows, labels: dict[int, str], fmt: str) -> tuple[bytes, str]:
    header = ["组织", "姓名", "登录号", "手机号", "课程", "截止日期", "本年学时", "应修学时"]
    body = [[labels.get(row.org_id, ""), row.real_name, row.login_id, row.phone or "", row.course or "",
             row.deadline.isoformat() if row.deadline else "",
             float(row.hours) if row.hours is not None else "", row.required if row.required is not None else ""]
            for row in rows]
    return _file(LIST_TITLES.get(kind, kind), header, body, fmt)


def branch_table_file(tree, labels: dict[int, str], fmt: str) -> tuple[bytes, str]:
    header = ["组织", "党员人数", "指派人次", "已开始", "已完成", "完成率(%)", "逾期", "学时达标人数", "学时达标率(%)"]
    body = []
    for node in tree.nodes:
        figures = tree.total[node.id]
        body.append([labels[node.id], figures.members, figures.assigned, figures.started, figures.completed,
                     figures.completion_rate if figures.completion_rate is not None else "",
                     figures.overdue, figures.meeting_hours,
                     figures.hours_rate if figures.hours_rate is not None else ""])
    return _file("各组织统计", header, body, fmt)


@dataclass(frozen=True)
class Period:
    kind: str  # month or quarter
    start: date
    end: date  # inclusive

    @classmethod
    def from_args(cls, args) -> "Period":
        today = local_today()
        year = year_from_args(args)
        if args.get("quarter", type=int) in (1, 2, 3, 4):
            quarter = args.get("quarter", type=int)
            start = date(year, 3 * quarter - 2, 1)
            return cls("quarter", start, _month_end(date(year, 3 * quarter, 1)))
        month = args.get("month", type=int) if args.get("month", type=int) in range(1, 13) else today.month
        start = date(year, month, 1)
        return cls("month", start, _month_end(start))

    @property
    def number(self) -> int:
        return (self.start.month - 1) // 3 + 1 if self.kind == "quarter" else self.start.month


def year_from_args(args) -> int:
    """The ?year= asked for, or this year when it is missing or outside what dates can hold."""
    year = args.get("year", type=int)
    return year if year is not None and 1 <= year < 9999 else local_today().year


def _month_end(first: date) -> date:
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return following - timedelta(days=1)
