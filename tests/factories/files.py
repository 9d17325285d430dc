"""Files people upload: CSV text in a separator and an encoding, Excel workbooks."""

from __future__ import annotations

import codecs
import csv
import io

from openpyxl import Workbook


def csv_bytes(
    rows: list[list[str]], sep: str = ";", encoding: str = "utf-8", bom: bytes | bool = b""
) -> bytes:
    """`rows` as a CSV file; `bom` is the bytes put first (True: the UTF-8 one, as Excel does)."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=sep, lineterminator="\r\n").writerows(rows)
    prefix = codecs.BOM_UTF8 if bom is True else (bom or b"")
    return prefix + buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    """`rows` on the first sheet of an Excel workbook."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
