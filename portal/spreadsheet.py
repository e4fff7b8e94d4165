"""Spreadsheets (xlsx) of tables for the staff's exports: one sheet per table with its header
row bold and frozen, text that is never read as a formula, and a sheet of notes. Knows no
domain part (the report and the accountability rounds use it).

Written with XlsxWriter, in memory: a workbook of the exports' sizes takes about a third
of the time openpyxl's write-only mode took (which wrote each sheet to a temporary file
first). Text is always written as text (no formulas, numbers or links read from it).
"""
from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import xlsxwriter

MAX_WIDTH = 60
DATE_FORMAT = "dd-mm-yyyy"


class Spreadsheet:
    def __init__(self, title: str | None = None) -> None:
        self._out = io.BytesIO()
        self._book = xlsxwriter.Workbook(self._out, {
            "in_memory": True,
            # A name such as "=SOM(...)" or "0612345678" stays the text it is.
            "strings_to_formulas": False, "strings_to_numbers": False,
            "strings_to_urls": False, "default_date_format": DATE_FORMAT,
        })
        if title:
            self._book.set_properties({"title": title})
        self._bold = self._book.add_format({"bold": True})
        self._number_formats: dict[str, object] = {}

    def table(self, title: str, headers: list[str], rows: list[list], *,
              fit_columns: bool = False, decimal_format: str | None = None) -> None:
        """A sheet ``title`` (at most 31 characters, Excel's limit) with ``headers`` in bold
        above ``rows``. ``fit_columns``: each column as wide as its longest value (at most
        MAX_WIDTH); ``decimal_format``: the number format of Decimal values."""
        sheet = self._book.add_worksheet(title[:31])
        sheet.freeze_panes(1, 0)
        if fit_columns:
            for index, header in enumerate(headers):
                width = max([len(str(header))]
                            + [len(str(row[index])) for row in rows if index < len(row)])
                sheet.set_column(index, index, min(MAX_WIDTH, width + 2))
        for column, header in enumerate(headers):
            sheet.write_string(0, column, str(header), self._bold)
        decimal = self._number_format(decimal_format)
        for number, row in enumerate(rows, start=1):
            for column, value in enumerate(row):
                self._write(sheet, number, column, value, decimal)

    def notes(self, title: str, lines: list[tuple[str, bool] | str], *,
              width: int | None = None) -> None:
        """A sheet ``title`` with one line of text per row: a line is a string, or (text,
        bold); an empty string leaves a row empty. ``width``: of the text's column."""
        sheet = self._book.add_worksheet(title[:31])
        if width:
            sheet.set_column(0, 0, width)
        for number, line in enumerate(lines):
            text, bold = (line, False) if isinstance(line, str) else line
            if text:
                sheet.write_string(number, 0, text, self._bold if bold else None)

    def bytes(self) -> bytes:
        self._book.close()
        return self._out.getvalue()

    def _number_format(self, pattern: str | None):
        if pattern is None:
            return None
        if pattern not in self._number_formats:
            self._number_formats[pattern] = self._book.add_format({"num_format": pattern})
        return self._number_formats[pattern]

    @staticmethod
    def _write(sheet, row: int, column: int, value, decimal) -> None:
        if value is None or value == "":
            return
        if isinstance(value, str):
            sheet.write_string(row, column, value)
        elif isinstance(value, bool):
            sheet.write_boolean(row, column, value)
        elif isinstance(value, Decimal):
            sheet.write_number(row, column, value, decimal)
        elif isinstance(value, int | float):
            sheet.write_number(row, column, value)
        elif isinstance(value, date | datetime):
            sheet.write_datetime(row, column, value)
        else:
            sheet.write_string(row, column, str(value))
