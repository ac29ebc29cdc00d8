"""Random drops with shortages, restocks, claims, payments and refunds handed back (hypothesis): nobody
is refunded more than she paid for, the refund ledger and the book reconcile to the cent, and /未付,
her 我的订单, the workbook's 团员对账 and the members report say the same of everyone."""

from __future__ import annotations

import asyncio
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook  # type: ignore[import-untyped]

from bot.clock import DEFAULT_TZ
from bot.domain.reports import load_reports
from bot.render.export import report_json
from bot.render.xlsx_export import write_exports
from tests.harness import MEMBERS, Harness

OPEN = "/开团 周六水果团\n草莓 30元/盒\n砂糖橘 25元/箱\n自提 东门快递柜"
PRICES = {"草莓": 3000, "砂糖橘": 2500}
BUYERS = ["wx_zhang", "wx_li", "wx_wang", "wx_zhao"]

member = st.sampled_from(BUYERS)
scenario = st.fixed_dictionaries({
    "orders": st.lists(st.tuples(st.integers(0, 6), st.integers(0, 3)), min_size=4, max_size=4),
    "paid": st.lists(st.tuples(member, st.sampled_from(["full", "part"]), st.integers(1, 200)), max_size=4),
    "arrived": st.floats(0, 1),
    "rule": st.sampled_from(["按顺序", "平均"]),
    "restock": st.floats(0, 1),
    "claims": st.lists(st.tuples(member, st.sampled_from(["草莓", "砂糖橘"]), st.integers(1, 7),
                                 st.sampled_from(["units", "amount", "refuse", "replace"]), st.integers(1, 300)),
                       max_size=4),
    "refunds": st.lists(st.tuples(member, st.sampled_from(["all", "some"]), st.integers(1, 150)), max_size=3),
})


def _money(text: str) -> int:
    yuan, _, fen = text.partition(".")
    return int(yuan) * 100 + int((fen + "00")[:2])


def _unpaid(text: str) -> dict[str, int]:
    """/未付 read back: name → balance (owed by her above zero, owed to her below)."""
    out: dict[str, int] = {}
    for line in text.splitlines():
        if m := re.fullmatch(r"\d+\. (\S+) ¥([\d.]+)", line):
            out[m.group(1)] = _money(m.group(2))
        elif m := re.fullmatch(r"\d+\. (\S+) (?:待退|多付)¥([\d.]+).*", line):
            out[m.group(1)] = -_money(m.group(2))
    return out


def _mine(text: str) -> int:
    """Her 我的订单 (privately) read back as a balance."""
    if m := re.search(r"(?:还差|应付)¥([\d.]+)", text):
        return _money(m.group(1))
    if m := re.search(r"(?:待退|多付)¥([\d.]+)，团长会退给你", text):
        return -_money(m.group(1))
    if "未付" in text:
        m = re.search(r"，¥([\d.]+)，", text)
        assert m is not None, text
        return _money(m.group(1))
    return 0


async def _run(case: dict[str, Any], folder: Path) -> None:
    bot = await Harness.create(folder / "bot.sqlite")
    try:
        await bot.say("wx_owner", OPEN)
        ordered: dict[tuple[str, str], int] = {}
        for who, (berries, oranges) in zip(BUYERS, case["orders"], strict=True):
            parts = [f"草莓{berries}盒" if berries else "", f"砂糖橘{oranges}箱" if oranges else ""]
            if any(parts):
                await bot.say(who, "，".join(p for p in parts if p))
            for product, qty in (("草莓", berries), ("砂糖橘", oranges)):
                if qty:
                    ordered[(who, product)] = qty
        await bot.say("wx_owner", "/截单")
        for who, how, yuan in case["paid"]:
            await bot.say("wx_owner", f"/已付 @{MEMBERS[who]}" + (f" {yuan}" if how == "part" else ""),
                          mentions=(who,))
        held = sum(q for (_, p), q in ordered.items() if p == "草莓")
        arrived = int(held * case["arrived"])
        await bot.say("wx_owner", f"/缺货 草莓 {arrived} {case['rule']}", room=None)
        await bot.say("wx_owner", "确认", room=None)
        late = int((held - arrived) * case["restock"])
        if late:
            await bot.say("wx_owner", f"/补货 草莓 {late}", room=None)
            await bot.say("wx_owner", "确认", room=None)
        await bot.say("wx_owner", "/到货")
        for who, product, qty, how, amount in case["claims"]:
            unit = "盒" if product == "草莓" else "箱"
            await bot.say(who, f"{product}有{qty}{unit}烂了")
            claim = await bot.db.fetchone("SELECT MAX(id) FROM claims")
            if claim is None or claim[0] is None:
                continue
            number = int(claim[0])
            command = {"units": f"退 {qty}", "amount": f"退 ¥{amount}", "refuse": "拒绝 看过了是好的",
                       "replace": "补发"}[how]
            await bot.say("wx_owner", f"/售后 {number} {command}", room=None)
        for who, how, yuan in case["refunds"]:
            await bot.say("wx_owner", f"/退款 {MEMBERS[who]}" + (f" {yuan}" if how == "some" else ""), room=None)
        await bot.settle()

        reports = await load_reports(bot.db, 1)
        rows = {r.member_id: r for r in reports.members.rows}
        refunds = await bot.svc.aftersales.refunds([1])
        book = await bot.book()
        for who in BUYERS:
            row = rows.get(who)
            original = sum(q * PRICES[p] for (m, p), q in ordered.items() if m == who)
            mine = [r for r in refunds if r.member_id == who]
            # The ledger and the book reconcile: what 缺货 took plus what she has is what she ordered.
            live = sum(q * PRICES[p] for (m, p), q in book.items() if m == who)
            assert live + sum(r.cents for r in mine if r.in_book) == original, who
            for product in PRICES:
                got = book.get((who, product), 0)
                short = sum(r.qty for r in mine if r.reason == "shortage" and r.product_id == _pid(product))
                assert got + short == ordered.get((who, product), 0), (who, product)
                # A claim never refunds more than the line she received was worth.
                claimed = sum(r.cents for r in mine if r.reason == "claim" and r.product_id == _pid(product))
                assert 0 <= claimed <= got * PRICES[product], (who, product)
            # Nobody is refunded more than she paid for, nor handed back more than she paid.
            assert sum(r.cents for r in mine) <= original
            if row is not None:
                assert row.refunds.paid_back_cents <= row.paid_cents
        # The views agree on everyone.
        await bot.say("wx_owner", "/未付")
        unpaid = _unpaid(bot.private()[-1])
        json_rows = {r["member"]: r["balance_cents"] for r in report_json(reports, "members", DEFAULT_TZ)["rows"]}
        path = await write_exports(bot.db, 1, folder, bot.now)
        sheet = list(load_workbook(path)["团员对账"].iter_rows(values_only=True))
        head = sheet[0]
        workbook = {r[head.index("昵称")]: round(r[head.index("待收(负数待退)")] * 100) for r in sheet[1:-1]}
        for who in BUYERS:
            name = MEMBERS[who]
            balance = rows[who].balance_cents if who in rows else 0
            assert unpaid.get(name, 0) == balance, (name, unpaid)
            assert json_rows.get(who, 0) == balance
            assert workbook.get(name, 0) == balance
            await bot.say(who, "我的订单", room=None)
            said = bot.private(who)[-1]
            if who in rows:
                assert _mine(said) == balance, (name, said, balance)
    finally:
        await bot.close()


def _pid(product: str) -> int:
    return 1 if product == "草莓" else 2


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=scenario)
def test_refunds_never_exceed_what_was_paid_for_and_every_view_agrees(case: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(_run(case, Path(folder)))
