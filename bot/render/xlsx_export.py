"""The owner's workbook: 采购单, 分拣单, 团员对账 and 订单明细 in one XLSX.

Each sheet is one bot/export.py Table: a bold header row that stays frozen and
repeats on every printed page, money as numbers with a ¥ format (so Excel can
sum them), a totals row, column widths from the content, and a print setup
that fits the page width (landscape when the sheet is wide).

XlsxWriter writes the file. Every cell goes through a typed call (write_string,
write_number, write_datetime) with one of a few formats made once per workbook,
so text is only ever text: a member's 接龙 line that starts with "=" or "http"
is never a formula or a link. Only XlsxWriter's public calls, and the garbage
collector is left alone (README "Performance" says what that costs). Columns
that would repeat the one campaign on every row are left out (sheet_table), and
订单明细 is a grid of members and products, so a 10,000-order campaign is ~240k
cells rather than ~460k, nearly all of the time inside XlsxWriter
(bench/export_cost.py); the bot writes in a thread, off the event loop.
tests/reports/test_xlsx_export.py reads the workbooks back with openpyxl.
"""

from __future__ import annotations

import asyncio
import os
import re
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from xlsxwriter import Workbook  # type: ignore[import-untyped]

from bot.domain.reports import Reports, load_reports
from bot.render.export import TABLES, Kind, Table, Value, order_grid_table, without_owner_columns
from storage.db import Database

SHEETS = ("supplier", "packing", "members", "orders")  # the workbook's order: what the owner does first
# What each sheet shows: the CSV's tables, but 订单明细 as a grid of members and products (a person reads it).
WORKBOOK_TABLES = {**TABLES, "orders": order_grid_table}

_OPTIONS = {
    # The sheets' XML is built in memory, not in temporary files: nothing but the .part file is ever on disk.
    # Not "constant_memory": its cells' text is written inline and escaped cell by cell, 30% slower on
    # 10,000 orders than the shared-strings table, which escapes each distinct text once (and makes a
    # smaller file).
    "in_memory": True,
    # The typed write calls never look at these; they are off so that nothing can ever turn text into
    # a number, a formula or a link.
    "strings_to_numbers": False,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "default_date_format": "yyyy-mm-dd hh:mm",  # a time in a column not made for one still reads as a time
}
_FORMATS = {Kind.MONEY: '"¥"#,##0.00', Kind.PERCENT: "0.00%", Kind.TIME: "yyyy-mm-dd hh:mm", Kind.INT: "0"}
_GREY = "#808080"
_HEADER = {"bold": True, "pattern": 1, "bg_color": "#DDEBF7", "bottom": 1, "bottom_color": _GREY,
           "align": "center", "valign": "vcenter", "text_wrap": True}
_TOTAL = {"bold": True, "top": 1, "top_color": _GREY, "bottom": 6, "bottom_color": _GREY}  # 6: a double rule
_SCALE = {Kind.MONEY: 100, Kind.PERCENT: 10_000}  # integer cents and basis points, shown as ¥ and %
# Past this many characters of columns a portrait A4 page would shrink the text too far.
_PORTRAIT_WIDTH = 95
_A4 = 9
_LIMIT = 32_767  # UTF-16 units in a cell: Excel would cut the rest, so it is cut here
_HEADER_LIMIT = 255  # UTF-16 units in a page header, codes included
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]")  # what XML 1.0 cannot carry


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


def _is_rich_xml(text: str) -> bool:
    # XlsxWriter takes a string that starts with <r> and ends with </r> for rich-text XML it made
    # itself and writes it unescaped (worksheet.py, sharedstrings.py): a member's text must not be.
    return text.startswith("<r>") and text.endswith("</r>")


def _utf16_cut(text: str, limit: int) -> str:
    if len(text) <= limit // 2:  # cannot be over: each character is at most two units
        return text
    return text.encode("utf-16-le")[: 2 * limit].decode("utf-16-le", "ignore")


def sheet_table(table: Table) -> Table:
    """The table less its campaign columns (export.Column.campaign) that hold one value on every row."""
    keep = [i for i, column in enumerate(table.columns)
            if not (column.campaign and len({row[i] for row in table.rows}) <= 1)]
    if len(keep) == len(table.columns):
        return table
    rows = tuple(tuple(row[i] for i in keep) for row in table.rows)
    totals = table.totals
    if totals is not None:
        label = totals[0]  # "合计": it moves to the first column that is left, when that one is free
        totals = tuple(totals[i] for i in keep)
        if totals and totals[0] is None:
            totals = (label, *totals[1:])
    return replace(table, columns=tuple(table.columns[i] for i in keep), rows=rows, totals=totals)


class _SheetWriter:
    """Writes one Table into a worksheet."""

    def __init__(self, wb: Any, formats: dict[str, Any], table: Table, heading: str) -> None:
        self.ws = wb.add_worksheet(table.title)
        self.formats = formats
        self.table = sheet_table(table)
        self.heading = heading

    def _text(self, row: int, col: int, text: str, fmt: Any) -> None:
        """Text that XlsxWriter's write_string would take for rich-text XML, written as the same text in
        three runs of the cell's own font (XlsxWriter escapes each run, and wants at least three): it
        reads back and shows exactly as typed."""
        runs = [text[:1], text[1:2], text[2:]]  # "<", "r", ">…</r>": none is empty
        args: list[Any] = runs if fmt is None else [*(x for run in runs for x in (fmt, run)), fmt]
        if self.ws.write_rich_string(row, col, *args) != 0:
            raise ValueError(f"XlsxWriter refused the text {text[:20]!r}…")

    def _cell(self, row: int, col: int, value: Value, kind: Kind, fmt: Any) -> None:
        """One cell, any value (the loop in write() does the common ones itself)."""
        if value is None or value == "":
            if fmt is not None:
                self.ws.write_blank(row, col, None, fmt)
        elif isinstance(value, str):
            # Cut here, not by XlsxWriter: before 3.3.1 it counts characters, not UTF-16 units as Excel does.
            value = _utf16_cut(value, _LIMIT)
            if _is_rich_xml(value):
                self._text(row, col, value, fmt)
            else:
                self.ws.write_string(row, col, value, fmt)
        elif isinstance(value, datetime):
            self.ws.write_datetime(row, col, value, fmt)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            scaled = kind in _SCALE and isinstance(value, int)
            self.ws.write_number(row, col, value / _SCALE[kind] if scaled else value, fmt)
        else:
            raise TypeError(f"no cell for {type(value).__name__}: {value!r}")

    def write(self) -> None:
        ws, table, formats = self.ws, self.table, self.formats
        widths = _widths(table)
        for i, width in enumerate(widths):
            ws.set_column(i, i, width)
        ws.freeze_panes(1, 0)
        self._print_setup(widths)

        for col, column in enumerate(table.columns):
            self._cell(0, col, column.header, Kind.TEXT, formats["header"])

        # The hot loop: ~460k cells for 10,000 orders. What a column's cells share is found once.
        kinds = [c.kind for c in table.columns]
        fmts = [formats.get(k.value) for k in kinds]
        scales = [_SCALE.get(k, 0) for k in kinds]
        columns = list(enumerate(zip(kinds, fmts, scales, strict=True)))
        write_string, write_number = ws.write_string, ws.write_number
        for r, row in enumerate(table.rows, 1):
            for (c, (kind, fmt, scale)), value in zip(columns, row, strict=True):
                if isinstance(value, str):
                    if not value:
                        continue  # an empty cell is no cell at all: nothing written
                    if value.startswith("<r>") or len(value) > _LIMIT // 2:
                        self._cell(r, c, value, kind, fmt)
                    else:
                        write_string(r, c, value, fmt)
                elif value is None:
                    continue
                elif type(value) is int:
                    write_number(r, c, value / scale if scale else value, fmt)
                else:
                    self._cell(r, c, value, kind, fmt)

        if table.totals is not None:
            # Its empty cells are styled too: the rules run under the whole row.
            r = len(table.rows) + 1
            for c, (value, kind) in enumerate(zip(table.totals, kinds, strict=True)):
                self._cell(r, c, value, kind, formats[f"total-{kind.value}"])
        if table.rows:
            # Filter the data, not the totals row under it.
            ws.autofilter(0, 0, len(table.rows), len(table.columns) - 1)
        self._page_breaks()

    def _page_breaks(self) -> None:
        # The packing list is carried to each pickup point separately: each starts on a new page.
        if self.table.name != "packing":
            return
        breaks = []
        previous = None
        for row_number, row in enumerate(self.table.rows, 2):
            if previous is not None and row[0] != previous:
                breaks.append(row_number - 1)  # under the last row of the point before
            previous = row[0]
        self.ws.set_h_pagebreaks(breaks)

    def _print_setup(self, widths: Sequence[int]) -> None:
        ws = self.ws
        ws.repeat_rows(0)  # the header row on every printed page
        ws.set_paper(_A4)
        if sum(widths) > _PORTRAIT_WIDTH:
            ws.set_landscape()
        else:
            ws.set_portrait()
        ws.fit_to_pages(1, 0)  # one page wide, as many pages down as it takes
        ws.hide_gridlines(0)  # printed too
        ws.center_horizontally()
        ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        ws.set_header("&C" + _header_text(f"{self.heading} · {self.table.title}", _HEADER_LIMIT - 2))
        ws.set_footer("&C第 &P 页 / 共 &N 页")


def _header_text(text: str, limit: int) -> str:
    """Text for a page header: & escaped, what XML cannot carry dropped, cut to Excel's limit."""
    text = _CONTROL.sub("", text)
    # & starts a code in a page header (&P, &N…): a literal one is doubled. But XlsxWriter counts "&G"
    # as a picture even in "&&G" (and reads "&[Picture]" as one), finds no picture and drops the whole
    # header: for these few titles a full-width ＆ rather than an escaped &.
    amp = "＆" if "&G" in text or "&[Picture]" in text else "&&"
    out, units = [], 0
    for char in text:
        piece = amp if char == "&" else char
        units += len(piece.encode("utf-16-le")) // 2
        if units > limit:
            break
        out.append(piece)
    return "".join(out)


def _formats(wb: Any) -> dict[str, Any]:
    """The workbook's few cell formats, made once: a cell never gets a format of its own."""
    formats = {"header": wb.add_format(_HEADER)}
    for kind in (Kind.MONEY, Kind.PERCENT, Kind.TIME):  # data cells: only these need a format
        formats[kind.value] = wb.add_format({"num_format": _FORMATS[kind]})
    for kind in Kind:
        number = {"num_format": _FORMATS[kind]} if kind in _FORMATS else {}
        formats[f"total-{kind.value}"] = wb.add_format({**_TOTAL, **number})
    return formats


def write_workbook(tables: Sequence[Table], target: Path, heading: str) -> None:
    """Writes the tables, one sheet each, to `target` (replaced whole: never a half-written file)."""
    # The file first: a folder that cannot be written fails here, before any sheet is laid out.
    # Not mkstemp: its file is private (0600), and the owner's workbook should get the usual permissions.
    tmp = target.with_name(f".{target.name}.{os.getpid()}-{threading.get_ident()}.part")
    try:
        with open(tmp, "wb") as f:
            wb = Workbook(f, _OPTIONS)
            formats = _formats(wb)
            for table in tables:
                _SheetWriter(wb, formats, table, heading).write()
            wb.close()
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_reports(reports: Reports, sheets: Sequence[str], target: Path, heading: str, tz: tzinfo,
                   make_folder: bool) -> None:
    # Laying out and writing 10,000 orders takes over a second of CPU: off the event loop.
    if make_folder:
        target.parent.mkdir(parents=True, exist_ok=True)
    tables = [WORKBOOK_TABLES[name](reports, tz) for name in sheets]
    if not reports.for_owner:
        tables = [without_owner_columns(t) for t in tables]
    write_workbook(tables, target, heading)


def _heading(titles: Sequence[str]) -> str:
    return titles[0] if len(titles) == 1 else f"{len(titles)}个团"


async def export_xlsx(db: Database, target: Path, tz: tzinfo, campaign_id: int | None = None,
                      sheets: Sequence[str] = SHEETS) -> None:
    """The workbook for one campaign (or all), times in `tz`; UnknownCampaign when the id is not there."""
    reports = await load_reports(db, campaign_id)
    heading = _heading([c.title for c in reports.campaigns]) if reports.campaigns else "接龙团购"
    await asyncio.to_thread(_write_reports, reports, sheets, target, heading, tz, False)


_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f\s]+')


def safe_name(title: str, limit: int = 40) -> str:
    """A file name part that every system (and WeChat's file sending) accepts."""
    name = _UNSAFE.sub("_", unicodedata.normalize("NFKC", title)).strip("._")
    return name[:limit].rstrip("._") or "团购"


async def write_exports(db: Database, campaign_id: int, folder: Path, now: datetime,
                        seen_by: str | None = None) -> Path:
    """Writes folder/<id>-<title>-<yyyymmdd-HHMM>.xlsx with every sheet, for the /导出 command; returns its path.
    Times are shown in `now`'s zone: the bot's clock, on its --tz. `seen_by`: made for this admin or
    partner, not the owner: no commission, only her own share.

    Raises bot.domain.reports.UnknownCampaign when there is no such campaign.
    """
    reports = await load_reports(db, campaign_id)
    if seen_by is not None:
        reports = reports.seen_by(seen_by)
    campaign = reports.campaigns[0]  # a drop sold in several groups: its first part names the file
    target = folder / f"{campaign.id}-{safe_name(campaign.title)}-{now:%Y%m%d-%H%M}.xlsx"
    tz = now.tzinfo
    if tz is None:
        raise ValueError("write_exports needs an aware time (the bot's clock)")
    sheets = (*SHEETS, "partners") if reports.partners else SHEETS  # 分润 only for an owner with partners
    if reports.aftersales:
        sheets = (*sheets, "aftersales")  # 售后 only when something was short, claimed or refunded
    await asyncio.to_thread(_write_reports, reports, sheets, target, campaign.title, tz, True)
    return target
