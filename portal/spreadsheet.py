"""Spreadsheets (xlsx) of tables for the staff's exports: one sheet per table with its header
row bold and frozen, text that is never read as a formula, and a sheet of notes. Knows no
domain part (the report and the accountability rounds use it).

Written in openpyxl's write-only mode: rows are streamed to the file instead of kept as
cell objects, about a third faster for the exports' sizes.
"""
from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

BOLD = Font(bold=True)
MAX_WIDTH = 60


class Spreadsheet:
    def __init__(self, title: str | None = None) -> None:
        self._book = Workbook(write_only=True)
        if title:
            self._book.properties.title = title

    def table(self, title: str, headers: list[str], rows: list[list], *,
              fit_columns: bool = False, decimal_format: str | None = None) -> None:
        """A sheet ``title`` (at most 31 characters, Excel's limit) with ``headers`` in bold
        above ``rows``. ``fit_columns``: each column as wide as its longest value (at most
        MAX_WIDTH); ``decimal_format``: the number format of Decimal values."""
        sheet = self._book.create_sheet(title[:31])
        sheet.freeze_panes = "A2"
        if fit_columns:  # before the rows: a write-only sheet writes its columns first
            for index, header in enumerate(headers):
                width = max([len(str(header))]
                            + [len(str(row[index])) for row in rows if index < len(row)])
                sheet.column_dimensions[get_column_letter(index + 1)].width = min(
                    MAX_WIDTH, width + 2)
        sheet.append([self._bold(sheet, header) for header in headers])
        for row in rows:
            sheet.append([self._cell(sheet, value, decimal_format) for value in row])

    def notes(self, title: str, lines: list[tuple[str, bool] | str], *,
              width: int | None = None) -> None:
        """A sheet ``title`` with one line of text per row: a line is a string, or (text,
        bold); an empty string leaves a row empty. ``width``: of the text's column."""
        sheet = self._book.create_sheet(title[:31])
        if width:
            sheet.column_dimensions["A"].width = width
        for line in lines:
            text, bold = (line, False) if isinstance(line, str) else line
            sheet.append([self._bold(sheet, text) if bold else self._cell(sheet, text, None)]
                         if text else [])

    def bytes(self) -> bytes:
        out = io.BytesIO()
        self._book.save(out)
        return out.getvalue()

    @staticmethod
    def _bold(sheet, value):
        cell = WriteOnlyCell(sheet, value=value)
        cell.font = BOLD
        if cell.data_type == "f":
            cell.data_type = "s"
        return cell

    @staticmethod
    def _cell(sheet, value, decimal_format):
        if isinstance(value, str) and value.startswith("="):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"  # text such as a name that starts with "=", never a formula
            return cell
        if decimal_format and isinstance(value, Decimal):
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = decimal_format
            return cell
        return value
