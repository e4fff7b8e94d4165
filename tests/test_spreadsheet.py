"""The staff's xlsx exports (portal.spreadsheet): read back with openpyxl as Excel would."""
import io
from decimal import Decimal

from openpyxl import load_workbook

from portal.spreadsheet import MAX_WIDTH, Spreadsheet


def _read(data: bytes):
    return load_workbook(io.BytesIO(data))


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
    assert sheet.column_dimensions["A"].width == len('=HYPERLINK("http://x")') + 2
    assert sheet.column_dimensions["B"].width == len("Dagen") + 2
    notes = workbook["Toelichting"]
    assert [row[0].value if row else None for row in notes.iter_rows()] == [
        "Kop", "Eerste regel", None, "=1+1"]
    assert notes["A1"].font.b and not notes["A2"].font.b and notes["A4"].data_type == "s"
    assert notes.column_dimensions["A"].width == 100


def test_a_wide_column_stops_at_the_maximum_width():
    book = Spreadsheet()
    book.table("Cijfers", ["Toelichting"], [["x" * 500]], fit_columns=True)
    assert _read(book.bytes())["Cijfers"].column_dimensions["A"].width == MAX_WIDTH
