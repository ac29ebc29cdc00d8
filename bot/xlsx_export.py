"""The owner's workbook: 采购单, 分拣单, 团员对账 and 订单明细 in one XLSX.

Each sheet is one bot/export.py Table: a bold header row that stays frozen and
repeats on every printed page, money as numbers with a ¥ format (so Excel can
sum them), a totals row, column widths from the content, and a print setup
that fits the page width (landscape when the sheet is wide).

openpyxl's write-only mode streams rows straight to the file. Its XML writer
is pure Python here (no lxml), about 9 µs a cell: a 10,000-order campaign takes
seconds (bench/export_cost.py), so the bot writes in a thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import os
import re
import threading
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]
from openpyxl.worksheet.pagebreak import Break  # type: ignore[import-untyped]

from bot.export import TABLES, Kind, Table, Value
from bot.reports import Reports, load_reports
from storage.db import Database

SHEETS = ("supplier", "packing", "members", "orders")  # the workbook's order: what the owner does first

_FORMATS = {Kind.MONEY: '"¥"#,##0.00', Kind.PERCENT: "0.00%", Kind.TIME: "yyyy-mm-dd hh:mm", Kind.INT: "0"}
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_THIN = Side(style="thin", color="808080")
_HEADER_BORDER = Border(bottom=_THIN)
_TOTAL_BORDER = Border(top=_THIN, bottom=Side(style="double", color="808080"))
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
# Past this many characters of columns a portrait A4 page would shrink the text too far.
_PORTRAIT_WIDTH = 95
_A4 = 9  # Worksheet.PAPERSIZE_A4, which the write-only sheet does not carry


def _text_width(text: str) -> int:
    # CJK characters are 3 bytes in UTF-8 and about two columns wide; ASCII is 1 and 1.
    return (len(text) + len(text.encode("utf-8"))) // 2


def _widths(table: Table) -> list[int]:
    # A spread of 2,000 rows sizes the columns as well as all of them would, at a fraction of the cost.
    sample = table.rows[:: max(1, len(table.rows) // 2000)]
    out = []
    for i, column in enumerate(table.columns):
        if column.kind is Kind.MONEY:
            width = 12
        elif column.kind is Kind.TIME:
            width = 17
        elif column.kind is Kind.PERCENT:
            width = 9
        else:
            width = max((_text_width(str(row[i])) for row in sample if row[i] is not None), default=0)
            width = min(width, column.max_width)
        out.append(max(width, _text_width(column.header), 4) + 2)
    return out


def _cell_value(value: Value, kind: Kind) -> Any:
    if value is None or value == "":
        return None  # an empty cell is no cell at all: nothing written
    if kind is Kind.MONEY and isinstance(value, int):
        return value / 100
    if kind is Kind.PERCENT and isinstance(value, int):
        return value / 10_000
    return value


class _SheetWriter:
    """Writes one Table into a write-only sheet."""

    def __init__(self, wb: Any, table: Table, heading: str) -> None:
        self.ws = wb.create_sheet(title=table.title)
        self.table = table
        self.heading = heading

    def _styled(self, value: Any, kind: Kind, total: bool) -> Any:
        cell = WriteOnlyCell(self.ws, value=value)
        if kind in _FORMATS:
            cell.number_format = _FORMATS[kind]
        if total:
            cell.font = _HEADER_FONT
            cell.border = _TOTAL_BORDER
        return cell

    def write(self) -> None:
        ws, table = self.ws, self.table
        widths = _widths(table)
        # A write-only sheet writes its properties, panes and columns with the first row:
        # all of them must be set before it (fit-to-page set later was silently lost).
        for i, width in enumerate(widths, 1):
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.freeze_panes = "A2"
        self._print_setup(widths)

        header = []
        for column in table.columns:
            cell = WriteOnlyCell(ws, value=column.header)
            cell.font, cell.fill, cell.border, cell.alignment = _HEADER_FONT, _HEADER_FILL, _HEADER_BORDER, _CENTER
            header.append(cell)
        ws.append(header)

        # Only money, percentages and times need a style of their own; plain cells stay plain values.
        styled = [c.kind in (Kind.MONEY, Kind.PERCENT, Kind.TIME) for c in table.columns]
        kinds = [c.kind for c in table.columns]
        append = ws.append
        for row in table.rows:
            append([
                None if (v := _cell_value(value, kind)) is None else self._styled(v, kind, False) if style else v
                for value, kind, style in zip(row, kinds, styled, strict=True)
            ])
        if table.totals is not None:
            append([self._styled(_cell_value(v, k), k, True) for v, k in zip(table.totals, kinds, strict=True)])
        if table.rows:
            # Filter the data, not the totals row under it.
            ws.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{len(table.rows) + 1}"
        self._page_breaks()

    def _page_breaks(self) -> None:
        # The packing list is carried to each pickup point separately: each starts on a new page.
        if self.table.name != "packing":
            return
        row_number = 1
        previous = None
        for row in self.table.rows:
            row_number += 1
            if previous is not None and row[0] != previous:
                self.ws.row_breaks.append(Break(id=row_number - 1))
            previous = row[0]

    def _print_setup(self, widths: Sequence[int]) -> None:
        ws = self.ws
        ws.print_title_rows = "1:1"
        ws.page_setup.paperSize = _A4
        ws.page_setup.orientation = "landscape" if sum(widths) > _PORTRAIT_WIDTH else "portrait"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0  # as many pages down as it takes
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.gridLines = True
        ws.print_options.horizontalCentered = True
        ws.page_margins.left = ws.page_margins.right = 0.4
        ws.page_margins.top = ws.page_margins.bottom = 0.6
        ws.oddHeader.center.text = f"{_escape(self.heading)} · {self.table.title}"
        ws.oddFooter.center.text = "第 &P 页 / 共 &N 页"


def _escape(text: str) -> str:
    # & starts a code in Excel's page header (&P, &N…).
    return text.replace("&", "&&")


def write_workbook(tables: Sequence[Table], target: Path, heading: str) -> None:
    """Writes the tables, one sheet each, to `target` (replaced whole: never a half-written file)."""
    # The file first: a folder that cannot be written fails here, before openpyxl has
    # half-built sheets whose clean-up would print tracebacks.
    # Not mkstemp: its file is private (0600), and the owner's workbook should get the usual permissions.
    tmp = target.with_name(f".{target.name}.{os.getpid()}-{threading.get_ident()}.part")
    try:
        with open(tmp, "wb") as f:
            wb = Workbook(write_only=True)
            for table in tables:
                _SheetWriter(wb, table, heading).write()
            wb.save(f)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_reports(reports: Reports, sheets: Sequence[str], target: Path, heading: str, make_folder: bool) -> None:
    # Laying out and writing 10,000 orders takes seconds of CPU: off the event loop.
    if make_folder:
        target.parent.mkdir(parents=True, exist_ok=True)
    write_workbook([TABLES[name](reports) for name in sheets], target, heading)


def _heading(titles: Sequence[str]) -> str:
    return titles[0] if len(titles) == 1 else f"{len(titles)}个团"


async def export_xlsx(db: Database, target: Path, campaign_id: int | None = None,
                      sheets: Sequence[str] = SHEETS) -> None:
    """The workbook for one campaign (or all); UnknownCampaign when the id is not there."""
    reports = await load_reports(db, campaign_id)
    heading = _heading([c.title for c in reports.campaigns]) if reports.campaigns else "接龙团购"
    await asyncio.to_thread(_write_reports, reports, sheets, target, heading, False)


_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f\s]+')


def safe_name(title: str, limit: int = 40) -> str:
    """A file name part that every system (and WeChat's file sending) accepts."""
    name = _UNSAFE.sub("_", unicodedata.normalize("NFKC", title)).strip("._")
    return name[:limit].rstrip("._") or "团购"


async def write_exports(db: Database, campaign_id: int, folder: Path, now: datetime) -> Path:
    """Writes folder/<id>-<title>-<yyyymmdd-HHMM>.xlsx with every sheet, for the /导出 command; returns its path.

    Raises bot.reports.UnknownCampaign when there is no such campaign.
    """
    reports = await load_reports(db, campaign_id)
    (campaign,) = reports.campaigns
    target = folder / f"{campaign.id}-{safe_name(campaign.title)}-{now:%Y%m%d-%H%M}.xlsx"
    await asyncio.to_thread(_write_reports, reports, SHEETS, target, campaign.title, True)
    return target

