"""Reading uploaded text files, and writing CSV that spreadsheet programs open safely."""
import csv
import io

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Neutralise text a spreadsheet would run as a formula (CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_sheet_cell(value):
    """safe_cell for an Excel sheet, which cannot hold C0 control characters (openpyxl refuses them): the
    web forms refuse them, but a name read from an imported file may carry one, and failed every export."""
    value = safe_cell(value)
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def csv_bytes(header: list[str], rows) -> bytes:
    """UTF-8 with BOM so that Excel on Chinese Windows shows the characters right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def decode_text(data: bytes) -> str:
    """The text of an uploaded file: UTF-8 with or without BOM, else GB18030.

    GB18030 is a superset of GBK, which Excel and Notepad on Chinese Windows still
    write by default. Raises ValueError when neither encoding fits.
    """
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError("The data is neither UTF-8 nor GB18030 encoded.")
