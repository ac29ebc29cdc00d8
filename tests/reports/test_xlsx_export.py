"""The owner's workbook and the export command, read back as a person would see them."""

from __future__ import annotations

import csv
import gc
import io
import json
import subprocess
import sys
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]

from bot.clock import DEFAULT_TZ
from bot.domain.reports import UnknownCampaign
from bot.render.export import Column, Kind, Table
from bot.render.xlsx_export import safe_name, write_exports, write_workbook
from tests.harness import FRUIT, Harness, copy

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 22, 9, 30, tzinfo=DEFAULT_TZ)
SHEETS = ["采购单", "分拣单", "团员对账", "订单明细"]


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "bot.py"), *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, encoding="utf-8")


async def _book(bot: Harness) -> None:
    """A closed, 成团 campaign with commission, one member paid and collected, one with her phone in her line."""
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_li", "草莓1盒")
    await bot.say("wx_zhao", copy("10-101 赵六 砂糖橘3箱"))
    await bot.say("wx_zhang", copy("10-101 赵六 砂糖橘3箱", "3-502 张三 草莓2盒"))
    await bot.say("wx_wang", copy("10-101 赵六 砂糖橘3箱", "3-502 张三 草莓2盒", "5栋1203 王五 13800138000 草莓1盒 砂糖橘1箱"))
    await bot.say("wx_owner", "/截单")
    await bot.settle()
    async with bot.db.transaction():
        await bot.db.execute("UPDATE campaigns SET fulfilled = 1, commission_bp = 1000 WHERE id = 1")
        await bot.db.execute("UPDATE products SET commission_bp = 1250 WHERE name = '砂糖橘'")
        await bot.db.execute(
            "INSERT INTO fulfilment (campaign_id, member_id, pickup_code, collected_at, paid_cents) "
            "VALUES (1, 'wx_zhang', '0427', '2026-11-22T10:05:00+08:00', 6000)")


def _rows(ws: Any) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in ws.iter_rows(values_only=True)]


@pytest.fixture
async def db_path(bot: Harness) -> Path:
    await _book(bot)
    await bot.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return Path(bot.db.path)


async def test_write_exports_names_the_file_and_fills_every_sheet(bot: Harness, tmp_path: Path) -> None:
    await _book(bot)
    path = await write_exports(bot.db, 1, tmp_path / "exports", NOW)
    assert path == tmp_path / "exports" / "1-周六水果团-20261122-0930.xlsx"
    assert list(path.parent.iterdir()) == [path]  # nothing half-written left beside it
    wb = load_workbook(path)
    assert wb.sheetnames == SHEETS

    supplier = _rows(wb["采购单"])
    # One campaign: its id and title are in the file name and every printed page's header, not on each row.
    assert supplier[0] == ("商品", "单位", "单价", "下单数量", "采购数量", "采购金额", "下单人数",
                           "佣金比例", "佣金", "备注", "候补（超出限量）")
    assert [r[0:6] for r in supplier[1:3]] == [("草莓", "盒", 30, 4, 4, 120), ("砂糖橘", "箱", 25, 4, 4, 100)]
    assert [(r[7], r[8]) for r in supplier[1:3]] == [(0.1, 12), (0.125, 12.5)]
    total = supplier[-1]
    assert (total[0], total[4], total[5], total[8]) == ("合计", 8, 220, 24.5)

    members = _rows(wb["团员对账"])
    header = members[0]
    col = {name: header.index(name) for name in ("昵称", "接龙标注", "应付", "已付", "待收(负数待退)", "取货码",
                                                 "取货时间", "佣金")}
    zhang = next(r for r in members if r[col["昵称"]] == "张三")
    assert (zhang[col["应付"]], zhang[col["已付"]], zhang[col["待收(负数待退)"]]) == (60, 60, 0)
    assert (zhang[col["取货码"]], zhang[col["取货时间"]]) == ("0427", datetime(2026, 11, 22, 10, 5))
    wang = next(r for r in members if r[col["昵称"]] == "王五")
    assert wang[col["接龙标注"]] == "5栋1203 王五 13800138000"  # kept for the owner, who delivers
    total = members[-1]
    assert (total[0], total[col["应付"]], total[col["已付"]], total[col["待收(负数待退)"]]) == ("合计", 220, 60, 160)
    assert total[col["佣金"]] == 24.5 and total[col["取货时间"]] == "1人已取"


async def test_packing_sheet_goes_by_point_building_room(bot: Harness, tmp_path: Path) -> None:
    await _book(bot)
    wb = load_workbook(await write_exports(bot.db, 1, tmp_path, NOW))
    packing = _rows(wb["分拣单"])
    assert packing[0][:7] == ("自提点", "楼栋", "房号", "接龙标注", "昵称", "商品", "件数")
    assert [r[:5] for r in packing[1:-1]] == [
        ("东门快递柜", 3, 502, "3-502 张三", "张三"),
        ("东门快递柜", 5, 1203, "5栋1203 王五 13800138000", "王五"),
        ("东门快递柜", 10, 101, "10-101 赵六", "赵六"),
        ("东门快递柜", None, None, "李四", "李四"),  # no building in her line: last
    ]
    assert packing[2][5:7] == ("草莓×1盒，砂糖橘×1箱", 2)
    assert (packing[-1][0], packing[-1][6]) == ("合计", 8)


async def test_sheets_are_readable_and_printable(bot: Harness, tmp_path: Path) -> None:
    await _book(bot)
    wb = load_workbook(await write_exports(bot.db, 1, tmp_path, NOW))
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2"
        assert ws["A1"].font.b
        assert ws.print_title_rows == "$1:$1"  # the header on every printed page
        # One page wide: fitToWidth left out means 1, the standard's default (XlsxWriter leaves it out).
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (None, 1)
        assert ws.page_setup.fitToHeight == 0
        assert all(ws.column_dimensions[c].width >= 6 for c in "ABCDEFGHIJ")
        assert ws.page_setup.paperSize == 9  # A4
        assert ws.print_options.gridLines and ws.print_options.horizontalCentered
        margins = ws.page_margins
        assert (margins.left, margins.right, margins.top, margins.bottom) == (0.4, 0.4, 0.6, 0.6)
        assert ws.oddFooter.center.text == "第 &P 页 / 共 &N 页"
        header = ws["A1"]
        assert header.fill.fill_type == "solid" and header.fill.fgColor.rgb[-6:] == "DDEBF7"
        assert header.border.bottom.style == "thin" and header.alignment.horizontal == "center"
        last = ws.max_row
        assert ws.cell(last, 1).value == "合计" and ws.cell(last, 1).font.b
        # The totals row is ruled off across its whole width, empty cells too.
        assert all(c.border.top.style == "thin" and c.border.bottom.style == "double" for c in ws[last])
    assert wb["团员对账"].page_setup.orientation == "landscape"
    assert wb["采购单"].oddHeader.center.text == "周六水果团 · 采购单"
    money = wb["团员对账"]["G2"]  # 应付, 李四 (the first to order)
    assert money.number_format == '"¥"#,##0.00' and money.value == 30
    assert wb["采购单"]["H2"].number_format == "0.00%"
    assert wb["团员对账"].auto_filter.ref == "A1:M5"  # the data, not the totals row


@pytest.mark.slow
async def test_orders_sheet_is_a_grid_of_the_csv_rows(db_path: Path, tmp_path: Path) -> None:
    """订单明细: a row per member, a column per product — every order item of the CSV, and nothing else."""
    out = tmp_path / "book.xlsx"
    r = run("export", "--db", db_path, "--format", "xlsx", "--campaign", "1", "--out", out)
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    csv_rows = list(csv.reader(io.StringIO(run("export", "--db", db_path, "--format", "csv").stdout.lstrip("\ufeff"))))
    sheet = _rows(load_workbook(out)["订单明细"])
    # One campaign: its id, group, title and state are in the file name and page header, not on each row.
    assert sheet[0] == ("成员ID", "昵称", "接龙标注", "草莓（盒）", "砂糖橘（箱）", "金额")
    head = csv_rows[0]
    member, product, qty, amount = (head.index(c) for c in ("成员ID", "商品", "数量", "金额"))
    from_csv = {(row[member], row[product]): int(row[qty]) for row in csv_rows[1:]}
    products = [name.split("（")[0] for name in sheet[0][3:5]]
    from_grid = {(row[0], name): q for row in sheet[1:-1] for name, q in zip(products, row[3:5], strict=True)
                 if q is not None}
    assert from_grid == from_csv
    paid: dict[str, float] = {}
    for row in csv_rows[1:]:
        paid[row[member]] = paid.get(row[member], 0) + float(row[amount])
    assert {row[0]: row[5] for row in sheet[1:-1]} == paid
    assert sheet[-1] == ("合计", None, None, 4, 4, 220)  # the supplier list's quantities and amount


@pytest.mark.slow
async def test_one_report_as_a_sheet_csv_or_json(db_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "supplier.xlsx"
    assert run("export", "--db", db_path, "--format", "xlsx", "--report", "supplier", "--out", out).returncode == 0
    assert load_workbook(out).sheetnames == ["采购单"]

    r = run("export", "--db", db_path, "--format", "csv", "--report", "supplier", "--out", tmp_path / "s.csv")
    assert r.returncode == 0, r.stderr
    raw = (tmp_path / "s.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[1][2:8] == ["草莓", "盒", "30.00", "4", "4", "120.00"]
    assert rows[2][9:11] == ["12.50%", "12.50"]

    r = run("export", "--db", db_path, "--format", "json", "--report", "members")
    data = json.loads(r.stdout)
    assert data["totals"]["owed_cents"] == 22000 and data["totals"]["paid_cents"] == 6000
    zhang = next(row for row in data["rows"] if row["member"] == "wx_zhang")
    assert zhang["collected_at"] == "2026-11-22T10:05:00+08:00" and zhang["pickup_code"] == "0427"

    packing = json.loads(run("export", "--db", db_path, "--format", "json", "--report", "packing").stdout)
    assert [(row["building"], row["room"]) for row in packing["rows"]] == [(3, 502), (5, 1203), (10, 101), (None, None)]


@pytest.mark.slow
async def test_exports_show_times_in_the_bots_time_zone(db_path: Path, tmp_path: Path) -> None:
    # She collected at 10:05 Beijing time: 02:05 in UTC, 03:05 in Berlin, in every format.
    members = json.loads(run("--tz", "UTC", "export", "--db", db_path, "--report", "members").stdout)
    zhang = next(row for row in members["rows"] if row["member"] == "wx_zhang")
    assert zhang["collected_at"] == "2026-11-22T02:05:00+00:00"
    rows = list(csv.reader(io.StringIO(
        run("export", "--db", db_path, "--format", "csv", "--report", "members", "--tz", "Europe/Berlin").stdout)))
    assert "2026-11-22 03:05" in next(row for row in rows if "wx_zhang" in row)
    out = tmp_path / "utc.xlsx"
    assert run("export", "--db", db_path, "--format", "xlsx", "--out", out, "--tz", "UTC").returncode == 0
    sheet = _rows(load_workbook(out)["团员对账"])
    assert datetime(2026, 11, 22, 2, 5) in next(row for row in sheet if "wx_zhang" in row)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "xlsx"], "--out"),
        (["--format", "xlsx", "--campaign", "9", "--out", "{tmp}/x.xlsx"], "no campaign with id 9"),
        (["--format", "json", "--report", "packing", "--campaign", "9"], "no campaign with id 9"),
        (["--format", "xlsx", "--out", "{tmp}/missing/dir/x.xlsx"], "cannot write"),
        (["--report", "invoices"], "invalid choice"),
    ],
)
async def test_bad_export_arguments_give_one_line_and_exit_2(db_path: Path, tmp_path: Path, args: list[str],
                                                             message: str) -> None:
    r = run("export", "--db", db_path, *(a.replace("{tmp}", str(tmp_path)) for a in args))
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1
    assert message in r.stderr
    assert not _workbooks_in(tmp_path)


def _workbooks_in(folder: Path) -> list[Path]:
    return list(folder.glob("**/*.xlsx*"))


async def test_unknown_campaign_for_the_chat_command(bot: Harness, tmp_path: Path) -> None:
    with pytest.raises(UnknownCampaign):
        await write_exports(bot.db, 7, tmp_path, NOW)


@pytest.mark.parametrize(
    ("title", "name"),
    [("周六水果团", "周六水果团"), ('A/B: 团?*<>|"', "A_B_团"), ("  周六 水果团 ", "周六_水果团"), ("../..", "团购"),
     ("草" * 60, "草" * 40)],
)
def test_safe_file_names(title: str, name: str) -> None:
    assert safe_name(title) == name


async def test_a_title_with_slashes_stays_in_the_folder(bot: Harness, tmp_path: Path) -> None:
    await bot.say("wx_owner", FRUIT)
    async with bot.db.transaction():
        await bot.db.execute("UPDATE campaigns SET title = '../周六/周日 水果团'")
    path = await write_exports(bot.db, 1, tmp_path, NOW)
    assert path.parent == tmp_path and path.name == "1-周六_周日_水果团-20261122-0930.xlsx"
    wb = load_workbook(path)
    assert [ws.max_row for ws in wb.worksheets] == [4, 2, 2, 2]  # header, (products,) totals: an empty campaign


async def test_every_campaign_in_one_workbook_each_pickup_point_on_its_own_page(bot: Harness, tmp_path: Path) -> None:
    await bot.say("wx_owner", FRUIT)
    await bot.say("wx_zhang", copy("3-502 张三 草莓2盒"))
    await bot.say("wx_owner", "/截单")
    await bot.say("wx_owner", "/开团 周日蔬菜团\n土豆 5元/斤\n自提 西门超市")
    await bot.say("wx_li", "土豆3斤")
    await bot.settle()
    await bot.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    out = tmp_path / "all.xlsx"
    r = run("export", "--db", bot.db.path, "--format", "xlsx", "--out", out)
    assert r.returncode == 0, r.stderr
    wb = load_workbook(out)
    packing = wb["分拣单"]
    assert [row[0] for row in _rows(packing)[1:]] == ["东门快递柜", "西门超市", "合计"]
    assert [b.id for b in packing.row_breaks.brk] == [2]  # after 东门快递柜's last row
    assert wb["采购单"].oddHeader.center.text == "2个团 · 采购单"
    assert _rows(wb["采购单"])[-1][7] == 60 + 15
    # Several campaigns: each row says whose it is (their one group is not repeated on every row).
    orders = _rows(wb["订单明细"])
    assert orders[0][:4] == ("团ID", "团名", "状态", "成员ID")
    assert [r[:3] for r in orders[1:-1]] == [(1, "周六水果团", "已截单"), (2, "周日蔬菜团", "进行中")]


# What members type reaches the workbook: it must come back as the same text, never run as a formula or a link.
HOSTILE = ["=1+1", '=HYPERLINK("http://x.example","点我")', "+1", "@SUM(A1)", "http://x.example", "<r><t>x</t></r>", "<r>A&B</r>",
           "_x0041_", "a & b <c> \"q\" 's'", " 前后有空格 ", "两行\n文字", "\t制表", "😀表情", "]]>", "&&P"]


def test_text_is_written_as_text_whatever_it_says(tmp_path: Path) -> None:
    table = Table("t", "测试", (Column("接龙标注"), Column("金额", Kind.MONEY), Column("时间", Kind.TIME)),
                  tuple((text, -1234, datetime(2026, 1, 2, 3, 4)) for text in HOSTILE), ("合计", -1234 * len(HOSTILE), None))
    out = tmp_path / "t.xlsx"
    write_workbook([table], out, "A&B <团>")
    with zipfile.ZipFile(out) as zf:  # every part is well-formed XML
        for name in zf.namelist():
            ElementTree.fromstring(zf.read(name))
    ws = load_workbook(out)["测试"]
    rows = list(ws.iter_rows(min_row=2, max_row=len(HOSTILE) + 1))
    assert [r[0].value for r in rows] == HOSTILE
    assert {r[0].data_type for r in rows} == {"s"}  # text, not a formula
    assert not any(r[0].hyperlink for r in rows)
    assert {(r[1].value, r[2].value) for r in rows} == {(-12.34, datetime(2026, 1, 2, 3, 4))}
    assert ws.oddHeader.center.text == "A&&B <团> · 测试"  # & doubled: Excel would read &B as a code


def test_control_characters_and_overlong_text_do_not_break_the_file(tmp_path: Path) -> None:
    table = Table("t", "测试", (Column("备注"),), (("a\x01b\x1fc",), ("长" * 40_000,), ("😀" * 20_000,)))
    out = tmp_path / "t.xlsx"
    write_workbook([table], out, "团\x07")
    ws = load_workbook(out)["测试"]
    # XML cannot carry them: Excel's own _xHHHH_ escape, which Excel shows as the character.
    assert ws["A2"].value == "a_x0001_b_x001F_c"
    assert ws["A3"].value == "长" * 32_767  # Excel's limit for a cell
    assert ws["A4"].value == "😀" * 16_383  # counted in UTF-16, as Excel counts
    assert ws.oddHeader.center.text == "团 · 测试"


def test_a_failed_write_leaves_the_old_workbook_and_no_part_file(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    out.write_bytes(b"the workbook from before")
    bad = Table("t", "测试", (Column("备注"),), (("fine",), (object(),)))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        write_workbook([bad], out, "团")
    assert out.read_bytes() == b"the workbook from before"
    assert [p.name for p in tmp_path.iterdir()] == ["t.xlsx"]
    assert gc.isenabled()  # the export never switches the collector off for the process


@pytest.mark.parametrize(("heading", "shown"), [
    ("A&G团", "A＆G团 · 测试"),  # "&G" would be read as a picture: XlsxWriter would drop the header
    ("图&[Picture]", "图＆[Picture] · 测试"),
    ("长" * 300, "长" * 253),  # Excel's limit, 255 with the code that centres it
])
def test_every_heading_keeps_its_page_header(tmp_path: Path, heading: str, shown: str) -> None:
    out = tmp_path / "t.xlsx"
    write_workbook([Table("t", "测试", (Column("备注"),), (("x",),))], out, heading)
    assert load_workbook(out)["测试"].oddHeader.center.text == shown


async def test_the_orders_grid_tells_two_sizes_of_one_product_apart(bot: Harness, tmp_path: Path) -> None:
    await bot.say("wx_owner", "/开团 周六水果团\nA. 草莓 30元/盒\nB. 草莓 50元/盒")
    await bot.say("wx_zhang", "A2")
    await bot.say("wx_li", "B1")
    await bot.settle()
    grid = _rows(load_workbook(await write_exports(bot.db, 1, tmp_path, NOW))["订单明细"])
    assert grid == [("成员ID", "昵称", "接龙标注", "草莓（盒，¥30）", "草莓（盒，¥50）", "金额"),
                    ("wx_zhang", "张三", "张三", 2, None, 60), ("wx_li", "李四", "李四", None, 1, 50),
                    ("合计", None, None, 2, 1, 110)]
