"""The order book as JSON, and the after-the-drop reports (bot/domain/reports.py) laid out
as tables: one layout for the CSV (Excel opens it as UTF-8 thanks to its BOM) and the
workbook. Times are shown in the zone the caller gives (the bot's --tz), never a default."""

from __future__ import annotations

import csv
import enum
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from typing import Any

from bot.domain.reports import Reports, items_text, pickup_point
from storage.book import BookRepo
from storage.db import Database
from storage.records import BookOrder, Campaign, OrderItem, Product, priced_item


async def order_book(db: Database, campaign_id: int | None = None) -> dict[str, Any]:
    """The live order book (one campaign, or all) in the shape scripts and the corpus check read.
    A drop sold in several groups is listed once, under its first part, with its "rooms"; each of
    its orders carries its "room"."""
    book = await BookRepo(db).read(campaign_id)
    products_of: dict[int, list[Product]] = {}
    for p in book.products:
        products_of.setdefault(p.campaign_id, []).append(p)
    by_id = {p.id: p for p in book.products}
    orders_of: dict[int, list[BookOrder]] = {}
    for o in book.orders:
        orders_of.setdefault(o.campaign_id, []).append(o)
    parts_of: dict[int, list[Campaign]] = {}
    for campaign in book.campaigns:
        if campaign.drop_id is not None:
            parts_of.setdefault(campaign.drop_id, []).append(campaign)
    out = []
    for campaign in book.campaigns:
        if campaign.drop_id is not None and campaign.drop_id != campaign.id:
            continue  # listed under the drop's first part
        parts = parts_of.get(campaign.id, [campaign]) if campaign.drop_id is not None else [campaign]
        orders = []
        for part in parts:
            for o in orders_of.get(part.id, []):
                kept = book.kept.get((o.campaign_id, o.member_id), ())
                items = sorted((priced_item(by_id[i.product_id], i.qty, kept) for i in o.items),
                               key=lambda pq: pq[0].position)
                order: dict[str, Any] = {"member": o.member_id, "name": o.name, "label": o.label}
                if campaign.drop_id is not None:
                    order["room"] = part.room_id
                order["amount"] = sum(item.amount_cents for item in items) / 100
                order["items"] = [{"product": p.name, "qty": q} for p, q in items]
                orders.append(order)
        entry: dict[str, Any] = {"id": campaign.id, "room": campaign.room_id}
        if campaign.drop_id is not None:
            entry["rooms"] = [part.room_id for part in parts]
        entry.update({
            "title": campaign.title,
            "status": "open" if any(part.is_open for part in parts) else campaign.status,
            "opened_at": campaign.opened_at.isoformat(),
            "close_at": campaign.close_at.isoformat() if campaign.close_at else None,
            "pickup": campaign.pickup,
            "products": [
                {"name": p.name, "price": p.price_cents / 100 if p.price_cents is not None else None,
                 "unit": p.unit, "code": p.code, "stock": p.stock}
                for p in products_of.get(campaign.id, [])
            ],
            "orders": orders,
        })
        out.append(entry)
    return {"campaigns": out}


def to_json(book: dict[str, Any]) -> str:
    return json.dumps(book, ensure_ascii=False, indent=2) + "\n"


# --- the after-the-drop reports: one table per report, laid out once for CSV and XLSX ---

class Kind(enum.Enum):
    TEXT = "text"
    INT = "int"
    MONEY = "money"  # integer cents
    PERCENT = "percent"  # basis points
    TIME = "time"  # local wall time, naive (Excel has no time zones)


Value = str | int | datetime | None


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind = Kind.TEXT
    max_width: int = 30  # characters; longer text is cut on screen, not in the cell
    # Names the campaign (its id, title, state, group). A workbook of one campaign says that once, in its
    # file name and on every printed page, so such a column is left out of a sheet where every row has
    # the same value: on paper it is width the packing list needs, and in a 10,000-order workbook it is
    # a fifth of the cells. The CSV keeps every column: programs read it row by row.
    campaign: bool = False
    # The owner's own figure (commission): left out of what anyone else gets (Reports.for_owner).
    owner: bool = False


@dataclass(frozen=True)
class Table:
    name: str  # the report, as --report names it
    title: str  # what a person sees: the sheet's name
    columns: tuple[Column, ...]
    rows: tuple[tuple[Value, ...], ...]
    totals: tuple[Value, ...] | None = None  # the row under the data, in XLSX only


_CAMPAIGN_ID = Column("团ID", Kind.INT, campaign=True)
_TITLE = Column("团名", campaign=True)
_STATUS = Column("状态", campaign=True)
_GROUP = Column("群", max_width=20, campaign=True)


def _local(value: datetime | None, tz: tzinfo) -> datetime | None:
    return value.astimezone(tz).replace(tzinfo=None) if value is not None else None


def status_text(campaign: Campaign) -> str:
    return "进行中" if campaign.is_open else "已截单"


def _note(campaign: Campaign) -> str:
    return "未成团，不发货" if not campaign.counts else ""


def orders_table(reports: Reports, tz: tzinfo) -> Table:
    """One row per order item: the orders CSV, and the 订单明细 of a workbook of several campaigns."""
    columns = (_CAMPAIGN_ID, _GROUP, _TITLE, _STATUS,
               Column("成员ID", max_width=20), Column("昵称", max_width=16), Column("接龙标注"),
               Column("商品", max_width=20), Column("数量", Kind.INT), Column("单位", max_width=6),
               Column("单价", Kind.MONEY), Column("金额", Kind.MONEY))
    rows = []
    qty = amount = 0
    for o in reports.orders:
        c = o.campaign
        for item in o.items:
            p = item.product
            rows.append((c.id, c.room_id, c.title, status_text(c), o.member_id, o.name, o.label, p.name, item.qty,
                         p.unit or "", p.price_cents, None if p.price_cents is None else item.amount_cents))
            qty += item.qty
            amount += item.amount_cents
    totals = ("合计", None, None, None, None, None, None, None, qty, None, None, amount)
    return Table("orders", "订单明细", columns, tuple(rows), totals)


def _product_header(p: Product, *, with_price: bool) -> str:
    details = [p.unit or ""] + ([f"¥{p.price_cents / 100:g}"] if with_price and p.price_cents is not None else [])
    shown = "，".join(d for d in details if d)
    return f"{p.name}（{shown}）" if shown else p.name


def order_grid_table(reports: Reports, tz: tzinfo) -> Table:
    """The workbook's 订单明细 for one campaign (or one drop across groups): a row per member, a column
    per product with her quantity — the 接龙统计表 an owner would otherwise make by hand, to sort and
    filter by product; its totals row is what the supplier list orders. Several campaigns, whose
    products differ: the CSV's rows, one per order item (orders_table)."""
    if len({c.drop_id if c.drop_id is not None else c.id for c in reports.campaigns}) > 1:
        return orders_table(reports, tz)
    # A product's column, by its place in the list, name and unit: a drop's groups sell the same list.
    column_of: dict[tuple[int, str, str], int] = {}
    listed: list[Product] = []  # each column's product (the first group's, in a drop)
    for r in reports.supplier.rows:
        key = (r.product.position, r.product.name, r.product.unit or "")
        if key not in column_of:
            column_of[key] = len(listed)
            listed.append(r.product)
    plain = [_product_header(p, with_price=False) for p in listed]
    # Two sizes of one product, both by the box: told apart by price.
    headers = [_product_header(p, with_price=plain.count(h) > 1) for p, h in zip(listed, plain, strict=True)]
    products = [Column(header, Kind.INT, max_width=12) for header in headers]
    columns = (_CAMPAIGN_ID, _GROUP, _TITLE, _STATUS, Column("成员ID", max_width=20), Column("昵称", max_width=16),
               Column("接龙标注", max_width=36), *products, Column("金额", Kind.MONEY))
    rows = []
    totals = [0] * len(products)
    for o in reports.orders:
        c = o.campaign
        qty: list[int | None] = [None] * len(products)
        for item in o.items:
            k = column_of[(item.product.position, item.product.name, item.product.unit or "")]
            qty[k] = (qty[k] or 0) + item.qty
            totals[k] += item.qty
        priced = any(i.product.price_cents is not None for i in o.items)
        rows.append((c.id, reports.group_of(c) or c.room_id, c.title, status_text(c), o.member_id, o.name, o.label,
                     *qty, o.amount_cents if priced else None))
    amount = sum(o.amount_cents for o in reports.orders)
    return Table("orders", "订单明细", columns, tuple(rows),
                 ("合计", None, None, None, None, None, None, *totals, amount))


def supplier_table(reports: Reports, tz: tzinfo) -> Table:
    s = reports.supplier
    columns: tuple[Column, ...] = (_CAMPAIGN_ID, _TITLE, Column("商品", max_width=24), Column("单位", max_width=6),
               Column("单价", Kind.MONEY), Column("下单数量", Kind.INT), Column("采购数量", Kind.INT),
               Column("采购金额", Kind.MONEY), Column("下单人数", Kind.INT),
               Column("佣金比例", Kind.PERCENT, owner=True), Column("佣金", Kind.MONEY, owner=True), Column("备注"),
               Column("候补（超出限量）", Kind.INT))
    rows: tuple[tuple[Value, ...], ...] = tuple(
        (r.campaign.id, r.campaign.title, r.product.name, r.product.unit or "", r.product.price_cents, r.ordered_qty,
         r.qty, r.amount_cents, r.buyers, r.commission_bp, r.commission_cents, _note(r.campaign), r.waiting)
        for r in s.rows
    )
    totals: tuple[Value, ...] = ("合计", None, None, None, None, sum(r.ordered_qty for r in s.rows), s.qty,
                                 s.amount_cents, None, None, s.commission_cents, None, sum(r.waiting for r in s.rows))
    if any(r.short for r in s.rows):
        # 缺货: 下单数量 is what was ordered, 采购数量 what really arrived (the book was cut to it).
        columns += (Column("缺货", Kind.INT),)
        rows = tuple((*row, r.short) for row, r in zip(rows, s.rows, strict=True))
        totals += (sum(r.short for r in s.rows),)
    return Table("supplier", "采购单", columns, rows, totals)


def packing_table(reports: Reports, tz: tzinfo) -> Table:
    p = reports.packing
    columns = (Column("自提点", max_width=16), Column("楼栋", Kind.INT), Column("房号", Kind.INT),
               Column("接龙标注", max_width=36), Column("昵称", max_width=16), Column("商品", max_width=40),
               Column("件数", Kind.INT), Column("取货码", max_width=10), _CAMPAIGN_ID, _TITLE,
               Column("备注"), Column("签收", max_width=8))
    rows = tuple(
        (r.point, r.house.building if r.house else None, r.house.room if r.house else None, r.order.label,
         r.order.name, items_text(r.order.items), r.order.pieces, r.pickup_code or "", r.order.campaign.id,
         r.order.campaign.title,
         "；".join(n for n in (_note(r.order.campaign) or ("已取货" if r.collected_at else ""), r.handed) if n), "")
        for r in p.rows
    )
    totals = ("合计", None, None, f"{p.orders}单", None, None, p.pieces, None, None, None, None, None)
    return Table("packing", "分拣单", columns, rows, totals)


def members_table(reports: Reports, tz: tzinfo) -> Table:
    m = reports.members
    columns: tuple[Column, ...] = (
        _CAMPAIGN_ID, _TITLE, Column("成员ID", max_width=20), Column("昵称", max_width=16),
        Column("接龙标注", max_width=36), Column("商品", max_width=40), Column("件数", Kind.INT),
        Column("金额", Kind.MONEY), Column("应付", Kind.MONEY), Column("已付", Kind.MONEY),
        Column("待收(负数待退)", Kind.MONEY), Column("取货码", max_width=10), Column("取货时间", Kind.TIME),
        Column("佣金", Kind.MONEY, owner=True), Column("备注"))
    rows: tuple[tuple[Value, ...], ...] = tuple(
        (r.campaign.id, r.campaign.title, r.member_id, r.name, r.label, items_text(r.items), r.pieces,
         r.amount_cents, r.owed_cents, r.paid_cents, r.balance_cents, r.pickup_code or "", _local(r.collected_at, tz),
         r.commission_cents, _note(r.campaign))
        for r in m.rows
    )
    totals: tuple[Value, ...] = (
        "合计", None, None, f"{len(m.rows)}人", None, None, m.pieces, m.amount_cents, m.owed_cents, m.paid_cents,
        m.balance_cents, None, f"{m.collected}人已取", m.commission_cents, None)
    if m.refund_cents or m.refunded_cents:
        # The refund ledger: owed to her (缺货, 售后, 下架) and handed back; 待收 already counts both.
        columns += (Column("退款", Kind.MONEY), Column("已退", Kind.MONEY))
        rows = tuple((*row, r.refunds.owed_cents, r.refunds.paid_back_cents)
                     for row, r in zip(rows, m.rows, strict=True))
        totals += (m.refund_cents, m.refunded_cents)
    if any(r.campaign.drop_id is not None for r in m.rows):
        # A drop sold in several groups: the group each member ordered in (one row per group she ordered in).
        columns += (_GROUP,)
        rows = tuple((*row, reports.group_of(r.campaign)) for row, r in zip(rows, m.rows, strict=True))
        totals += (None,)
    return Table("members", "团员对账", columns, rows, totals)


def partners_table(reports: Reports, tz: tzinfo) -> Table:
    """分润: each partner's rate on her group's sales, per campaign."""
    # Its 群 is the partner's own group, not the campaign's: it stays.
    columns = (_CAMPAIGN_ID, _TITLE, Column("群", max_width=20), Column("合伙人", max_width=16),
               Column("成员ID", max_width=20), Column("分润比例", Kind.PERCENT), Column("本群销售额", Kind.MONEY),
               Column("分润", Kind.MONEY), Column("备注"))
    rows = tuple(
        (r.campaign.id, r.campaign.title, reports.group_of(r.campaign) or r.campaign.room_id, r.name, r.member_id,
         r.commission_bp, r.sales_cents, r.commission_cents, _note(r.campaign))
        for r in reports.partners
    )
    totals = ("合计", None, None, None, None, None, sum(r.sales_cents for r in reports.partners),
              sum(r.commission_cents for r in reports.partners), None)
    return Table("partners", "分润", columns, rows, totals)


def without_owner_columns(table: Table) -> Table:
    """The table less the owner's own columns (commission), for an admin or partner."""
    keep = [i for i, column in enumerate(table.columns) if not column.owner]
    if len(keep) == len(table.columns):
        return table
    return replace(table, columns=tuple(table.columns[i] for i in keep),
                   rows=tuple(tuple(row[i] for i in keep) for row in table.rows),
                   totals=None if table.totals is None else tuple(table.totals[i] for i in keep))


def aftersales_table(reports: Reports, tz: tzinfo) -> Table:
    """售后: every refund owed (缺货, 售后, 下架) and every claim, with its state."""
    columns = (_CAMPAIGN_ID, _TITLE, Column("群", max_width=20, campaign=True), Column("成员ID", max_width=20),
               Column("昵称", max_width=16), Column("商品", max_width=20), Column("原因", max_width=6),
               Column("情况", max_width=40), Column("退款", Kind.MONEY), Column("状态", max_width=24))
    rows = tuple(
        (r.campaign.id, r.campaign.title, reports.group_of(r.campaign), r.member_id, r.name,
         r.product.name if r.product else "", r.reason, r.detail, r.refund_cents, r.status)
        for r in reports.aftersales
    )
    totals = ("合计", None, None, None, None, None, None, None, sum(r.refund_cents for r in reports.aftersales), None)
    return Table("aftersales", "售后", columns, rows, totals)


# Each takes the reports and the zone their times are shown in.
TABLES: dict[str, Callable[[Reports, tzinfo], Table]] = {
    "supplier": supplier_table, "packing": packing_table, "members": members_table, "orders": orders_table,
    "partners": partners_table, "aftersales": aftersales_table,
}


# A text cell starting with one of these is a formula (or DDE) to Excel, LibreOffice and Google Sheets:
# a member's name "=HYPERLINK(...)" must stay her name. Escaped as OWASP advises, with a leading
# apostrophe, which the spreadsheet shows as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(text: str) -> str:
    """A text cell as spreadsheets must read it: never a formula."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv_value(value: Value, kind: Kind) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return csv_text(value)
    if kind is Kind.MONEY and isinstance(value, int):
        return f"{value / 100:.2f}"
    if kind is Kind.PERCENT and isinstance(value, int):
        return f"{value / 100:.2f}%"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def table_csv(table: Table) -> str:
    """The table's rows under its header (no totals row: a CSV stays data a program can read back)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([c.header for c in table.columns])
    kinds = [c.kind for c in table.columns]
    for row in table.rows:
        writer.writerow([_csv_value(v, k) for v, k in zip(row, kinds, strict=True)])
    return buf.getvalue()


def _campaign_json(c: Campaign) -> dict[str, Any]:
    return {"id": c.id, "room": c.room_id, "title": c.title, "status": c.status, "pickup": c.pickup,
            "point": pickup_point(c.pickup), "fulfilled": c.fulfilled, "commission_bp": c.commission_bp}


def _items_json(items: tuple[OrderItem, ...]) -> list[dict[str, Any]]:
    return [{"product": i.product.name, "qty": i.qty, "unit": i.product.unit, "amount_cents": i.amount_cents}
            for i in items]


def _time_json(value: datetime | None, tz: tzinfo) -> str | None:
    return value.astimezone(tz).isoformat() if value is not None else None


def report_json(reports: Reports, name: str, tz: tzinfo) -> dict[str, Any]:
    """One report for programs: money in integer cents, rates in basis points."""
    out: dict[str, Any] = {"report": name, "campaigns": [_campaign_json(c) for c in reports.campaigns]}
    if name == "supplier":
        s = reports.supplier
        out["rows"] = [
            {"campaign": r.campaign.id, "product": r.product.name, "code": r.product.code, "unit": r.product.unit,
             "price_cents": r.product.price_cents, "ordered_qty": r.ordered_qty, "qty": r.qty,
             "amount_cents": r.amount_cents, "buyers": r.buyers, "commission_bp": r.commission_bp,
             "commission_cents": r.commission_cents, "waiting_qty": r.waiting}
            for r in s.rows
        ]
        out["totals"] = {"qty": s.qty, "amount_cents": s.amount_cents, "commission_cents": s.commission_cents}
    elif name == "packing":
        p = reports.packing
        out["rows"] = [
            {"point": r.point, "building": r.house.building if r.house else None,
             "room": r.house.room if r.house else None, "campaign": r.order.campaign.id,
             "member": r.order.member_id, "name": r.order.name, "label": r.order.label,
             "items": _items_json(r.order.items), "pieces": r.order.pieces, "pickup_code": r.pickup_code,
             "fulfilled": r.order.campaign.counts, "collected_at": _time_json(r.collected_at, tz)}
            for r in p.rows
        ]
        out["totals"] = {"orders": p.orders, "pieces": p.pieces}
    elif name == "members":
        m = reports.members
        out["rows"] = [
            {"campaign": r.campaign.id, "member": r.member_id, "name": r.name, "label": r.label,
             "items": _items_json(r.items), "pieces": r.pieces, "amount_cents": r.amount_cents,
             "owed_cents": r.owed_cents, "paid_cents": r.paid_cents, "balance_cents": r.balance_cents,
             "pickup_code": r.pickup_code, "collected_at": _time_json(r.collected_at, tz),
             "fulfilled": r.campaign.counts, "commission_cents": r.commission_cents}
            for r in m.rows
        ]
        out["totals"] = {"pieces": m.pieces, "amount_cents": m.amount_cents, "owed_cents": m.owed_cents,
                         "paid_cents": m.paid_cents, "balance_cents": m.balance_cents,
                         "commission_cents": m.commission_cents, "collected": m.collected}
    else:
        raise ValueError(f"no report {name!r}")
    return out
