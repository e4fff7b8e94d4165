"""The staff's xlsx exports (portal.spreadsheet): read back with openpyxl as Excel would."""
import io
from decimal import Decimal

from openpyxl import load_workbook

from portal.spreadsheet import MAX_WIDTH, Spreadsheet


def _read(data: bytes):
    return load_workbook(io.BytesIO(data))


def _width(sheet, column: str) -> int:
    """The width Excel shows: the file holds it with the cell padding added (a fraction)."""
    return int(sheet.column_dimensions[column].width)


def test_a_table_sheet_and_its_notes_read_back_as_written():
    book = Spreadsheet(title="Rapportage")
    rows = [["=HYPERLINK(\"http://x\")", Decimal("35.5"), 4],
            ["Gezinshuis De Linde", Decimal("2"), None]]
    book.table("Een titel die langer is dan eenendertig tekens", ["Naam", "Dagen", "Aantal"],
               rows, fit_columns=True, decimal_format="0.0")
    book.notes("Toelichting", [("Kop", True), "Eerste regel", "", "=1+1"], width=100)
    workbook = _read(book.bytes())
    assert workbook.sheetnames == ["Een titel die langer is dan een", "Toelichting"]
    assert workbook.properties.title == "Rapportage"
    sheet = workbook["Een titel die langer is dan een"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values == [["Naam", "Dagen", "Aantal"], ['=HYPERLINK("http://x")', 35.5, 4],
                      ["Gezinshuis De Linde", 2, None]]
    assert all(cell.font.b for cell in sheet[1]) and not sheet["A2"].font.b
    assert sheet.freeze_panes == "A2"
    # Text that starts with "=" stays text: never a formula a spreadsheet would run.
    assert sheet["A2"].data_type == "s"
    assert sheet["B2"].number_format == "0.0" and sheet["C2"].data_type == "n"
    assert _width(sheet, "A") == len('=HYPERLINK("http://x")') + 2
    assert _width(sheet, "B") == len("Dagen") + 2
    notes = workbook["Toelichting"]
    assert [row[0].value if row else None for row in notes.iter_rows()] == [
        "Kop", "Eerste regel", None, "=1+1"]
    assert notes["A1"].font.b and not notes["A2"].font.b and notes["A4"].data_type == "s"
    assert _width(notes, "A") == 100


def test_a_wide_column_stops_at_the_maximum_width():
    book = Spreadsheet()
    book.table("Cijfers", ["Toelichting"], [["x" * 500]], fit_columns=True)
    assert _width(_read(book.bytes())["Cijfers"], "A") == MAX_WIDTH


def test_text_stays_text_and_other_values_keep_their_type():
    """What XlsxWriter would otherwise read into text (a number, a link) is written as the
    text it is; numbers, dates and booleans as what they are."""
    from datetime import date

    book = Spreadsheet()
    book.table("Cijfers", ["A", "B", "C", "D", "E"],
               [["0612345678", "https://example.org", date(2027, 1, 1), True, 3.25]])
    sheet = _read(book.bytes())["Cijfers"]
    row = sheet[2]
    assert [cell.data_type for cell in row[:2]] == ["s", "s"]
    assert [cell.value for cell in row[:2]] == ["0612345678", "https://example.org"]
    assert row[2].value.date() == date(2027, 1, 1) and row[2].number_format == "dd-mm-yyyy"
    assert row[3].value is True and row[4].value == 3.25
    assert not sheet.merged_cells.ranges and sheet._hyperlinks == []
