"""Reading uploaded text files, and writing CSV that spreadsheet programs open safely."""
import codecs
import csv
import io
from contextlib import contextmanager

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ENCODING_WINDOW = 64 * 1024


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


def binary_stream(data):
    """An uploaded file as a seekable binary stream: the stream itself, or its bytes wrapped."""
    return io.BytesIO(data) if isinstance(data, (bytes, bytearray)) else data


def text_encoding(stream) -> str:
    """The encoding of an uploaded text file: UTF-8 (with or without BOM), else GB18030; rewinds the stream.

    GB18030 is a superset of GBK, which Excel and Notepad on Chinese Windows still write by default.
    Only a bounded window is decoded: the first ENCODING_WINDOW bytes from the first non-ASCII byte,
    which starts a character in both encodings (all before it is ASCII, the same in both). The ASCII
    before it is skimmed in chunks and not kept. Raises ValueError when neither encoding fits.
    """
    start = stream.tell()
    try:
        while chunk := stream.read(ENCODING_WINDOW):
            if chunk.isascii():
                continue
            first = next(index for index, byte in enumerate(chunk) if byte >= 0x80)
            window = chunk[first:] + stream.read(first)
            for encoding, name in (("utf-8", "utf-8-sig"), ("gb18030", "gb18030")):
                try:
                    codecs.getincrementaldecoder(encoding)().decode(window, final=False)
                    return name
                except UnicodeDecodeError:
                    continue
            raise ValueError("The data is neither UTF-8 nor GB18030 encoded.")
        return "utf-8-sig"
    finally:
        stream.seek(start)


@contextmanager
def text_reader(stream, encoding: str):
    """The binary stream read as text, line ends left to the reader (csv wants them); the stream stays open."""
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    try:
        yield text
    finally:
        if not text.closed:  # a reader left unfinished may be dropped after its stream was closed
            text.detach()  # a TextIOWrapper closes its stream when it goes, and the caller may read it again
