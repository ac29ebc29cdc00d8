"""Money: what each member owes, and the payment ledger behind it.

`balance` is the one computation of what a member owes: /未付, her 我的订单, the daily digest, the
团员对账 sheet and the workbook's 待收 all call it, so they cannot disagree (a property test holds
them to it on random ledgers). Refunds join it here: a 售后 refund is a credit against what she has
to pay (缺货 and 下架 already cut her order in the book), and what the owner handed back (/退款) is
money that went back to her (bot/domain/aftersales/refunds.py keeps the refund ledger's sums).

Payments are a ledger (storage/fulfilment.py): `/已付 张三 30` adds ¥30, `/已付 张三` pays what is
left, `/已付 张三 撤销` takes back her last payment. Paying more than she owes is recorded and shown
as 多付 (owed back to her), never silently as paid in full. In a drop sold in several groups a
member who ordered in two of them is one account: a payment fills her first group's part first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from bot.domain.aftersales.refunds import NONE as NO_REFUNDS
from bot.domain.aftersales.refunds import Refunds, by_member, to_pay
from bot.domain.pickup import buyers
from bot.domain.services import Services
from bot.parsing.quantity import to_int
from bot.parsing.textnorm import nfkc
from bot.render.templates import money
from storage.records import Campaign, MemberOrder, Payment


@dataclass(frozen=True, slots=True)
class Balance:
    owed_cents: int  # what she has to pay: her order's worth less 售后 credits; nothing when it did not 成团
    paid_cents: int  # her payments that stand
    refunded_cents: int = 0  # refunds the owner handed back to her (/退款)
    refund_cents: int = 0  # every refund owed to her (缺货, 售后, 下架): already in owed_cents or her order

    @property
    def net_cents(self) -> int:
        """Still to collect from her (待收); negative: to give back to her (a refund, or paid too much)."""
        return self.owed_cents - self.paid_cents + self.refunded_cents

    @property
    def due_cents(self) -> int:
        return max(self.net_cents, 0)

    @property
    def over_cents(self) -> int:
        """多付: what she paid beyond what she owes."""
        return max(-self.net_cents, 0)

    def __add__(self, other: Balance) -> Balance:
        return Balance(self.owed_cents + other.owed_cents, self.paid_cents + other.paid_cents,
                       self.refunded_cents + other.refunded_cents, self.refund_cents + other.refund_cents)


NOTHING = Balance(0, 0)


def balance(amount_cents: int, campaign: Campaign, paid_cents: int, refunds: Refunds = NO_REFUNDS) -> Balance:
    """What a member owes in one campaign: her live order's worth less her 售后 credits, less what
    she paid, plus what the owner handed back to her."""
    return Balance(to_pay(amount_cents, campaign.counts, refunds), paid_cents, refunds.paid_back_cents,
                   refunds.owed_cents)


def balance_text(b: Balance) -> str:
    """"已付清" / "还差¥30" / "多付¥75（要退给她）" / "待退¥60": the state of her account in the owner's words."""
    if b.over_cents:
        return f"待退{money(b.over_cents)}" if b.refund_cents else f"多付{money(b.over_cents)}（要退给她）"
    if b.due_cents:
        return f"还差{money(b.due_cents)}"
    if b.refunded_cents:
        return "已退清"
    return "已付清" if b.paid_cents else "不用付"


def paid_text(b: Balance) -> str:
    """The same state in a member's words, for her 我的订单 (her refunds first, when she has any)."""
    refunds = f"退款{money(b.refund_cents)}，" if b.refund_cents else ""
    if b.over_cents:
        return refunds + f"{'待退' if b.refund_cents else '多付'}{money(b.over_cents)}，团长会退给你"
    if b.due_cents and b.paid_cents:
        return refunds + f"已付{money(b.paid_cents)}，还差{money(b.due_cents)}"
    if b.due_cents:
        return refunds + (f"未付（应付{money(b.due_cents)}）" if b.refund_cents else "未付")
    return refunds + ("已退清" if b.refunded_cents else "已付" if b.paid_cents else "不用付")


@dataclass(frozen=True)
class Debt:
    """One member's account in one group's part of a campaign."""

    campaign: Campaign
    member_id: str
    name: str
    order: MemberOrder | None  # None: no live order (she cancelled after paying)
    balance: Balance


async def debts(svc: Services, campaign: Campaign) -> list[Debt]:
    """Every member's account in this group's part: buyers in order-book order, then anyone who paid
    without an order that stands (what she paid is owed back)."""
    states = await svc.fulfilment.of_campaign(campaign.id)
    ledger = by_member(await svc.aftersales.refunds([campaign.id]), await svc.aftersales.refund_payments([campaign.id]))
    out = []
    for order in await buyers(svc, campaign):
        state = states.get(order.member_id)
        refunds = ledger.get((campaign.id, order.member_id), NO_REFUNDS)
        out.append(Debt(campaign, order.member_id, order.name, order,
                        balance(order.amount_cents, campaign, state.paid_cents if state else 0, refunds)))
    ordered = {d.member_id for d in out}
    # Without an order that stands: she paid (and cancelled), or 缺货 cut her to nothing.
    for member_id in sorted({m for m, s in states.items() if s.paid_cents} | {m for _, m in ledger}):
        if member_id not in ordered:
            state = states.get(member_id)
            name = await svc.rooms.name_of(campaign.room_id, member_id)
            out.append(Debt(campaign, member_id, name, None,
                            balance(0, campaign, state.paid_cents if state else 0,
                                    ledger.get((campaign.id, member_id), NO_REFUNDS))))
    return out


async def account(svc: Services, parts: list[Campaign], member_id: str) -> list[Debt]:
    """Her accounts in these parts of a drop (one campaign: one part): where she ordered or paid."""
    found = []
    for part in parts:
        found += [d for d in await debts(svc, part) if d.member_id == member_id]
    return found


def total(found: list[Debt]) -> Balance:
    out = NOTHING
    for d in found:
        out = out + d.balance
    return out


async def add_payment(svc: Services, found: list[Debt], cents: int, by: str, now: datetime) -> None:
    """Records a payment of `cents` on her account: each part's due filled in turn, anything over
    it on her first part (多付)."""
    assert found and cents > 0
    left = cents
    paid = [0] * len(found)
    for i, d in enumerate(found):
        paid[i] = min(left, d.balance.due_cents)
        left -= paid[i]
    paid[0] += left
    # One row per part it lands on: one /已付 on a one-group account is one row, however it splits.
    for d, part_cents in zip(found, paid, strict=True):
        if part_cents:
            await svc.fulfilment.add_payment(d.campaign.id, d.member_id, part_cents, by, now)


async def undo_last(svc: Services, found: list[Debt], by: str, now: datetime) -> list[Payment]:
    """Takes back her latest payment that stands (the one /已付 recorded last, across her parts);
    a payment spread over two groups' parts by one /已付 is taken back whole."""
    standing = [p for d in found for p in await svc.fulfilment.payments(d.campaign.id, d.member_id)
                if p.undone_at is None]
    if not standing:
        return []
    last = max(p.recorded_at for p in standing)
    undone = []
    for p in sorted((p for p in standing if p.recorded_at == last), key=lambda p: -p.id):
        taken = await svc.fulfilment.undo_last_payment(p.campaign_id, p.member_id, by, now)
        if taken is not None:
            undone.append(taken)
    return undone


_AMOUNT = re.compile(r"^[¥￥]?\s*([0-9]+(?:\.[0-9]+)?)\s*(?:元|块|块钱)?$")
_CN_AMOUNT = re.compile(r"^([零〇一二两三四五六七八九十百千万]+)\s*(?:元|块|块钱)?$")
_SIGNED = re.compile(r"^[¥￥]?\s*[-−]\s*[0-9]")


class BadAmount(ValueError):
    """An amount that is not a positive number of yuan; the message says why, for her."""


def parse_amount(word: str) -> int:
    """Cents from "30", "30元", "¥30", "25.5", "二十", "二十块"; BadAmount with the reason otherwise."""
    text = nfkc(word).strip().replace(",", "")
    if _SIGNED.match(text):
        return _positive(0, word)
    m = _AMOUNT.match(text)
    if m is not None:
        try:
            value = Decimal(m.group(1))
        except InvalidOperation:
            raise BadAmount(f"金额「{word}」看不懂") from None
        if value != value.quantize(Decimal("0.01")):
            raise BadAmount(f"金额「{word}」最多写到分（两位小数）")
        return _positive(int(value * 100), word)
    m = _CN_AMOUNT.match(text)
    if m is not None:
        yuan = to_int(m.group(1))
        if yuan is not None:
            return _positive(yuan * 100, word)
    raise BadAmount(f"金额「{word}」看不懂，请写数字，如 30 或 25.5")


MAX_PAYMENT_CENTS = 10_000_000  # ¥100,000: no member of a group-buy pays that at once


def _positive(cents: int, word: str) -> int:
    if cents <= 0:
        raise BadAmount(f"金额要大于0（写的是「{word}」）")
    if cents > MAX_PAYMENT_CENTS:
        raise BadAmount(f"金额「{word}」太大了，请核对")
    return cents


def looks_like_amount(word: str) -> bool:
    """Whether a word is meant as an amount (even a wrong one: -5, 0, 30.555)."""
    text = nfkc(word).strip()
    return bool(_SIGNED.match(text) or _AMOUNT.match(text) or _CN_AMOUNT.match(text)
                or re.match(r"^[¥￥]", text) or text.endswith(("元", "块")))
