"""The refund ledger: what each member is owed back and why, beside what she paid (pure).

Every refund has a row with its reason (缺货, 售后, 下架). A 缺货 or 下架 refund cut her order in the
book, so her order's worth is already less; a 售后 refund is a credit against goods she received.
So what she has to pay is her order's worth less the credits (`to_pay`); the one computation of
what she owes, bot/domain/money/ledger.py `balance`, takes that, less what she paid, plus what the
owner handed back (/退款): still to collect from her above zero, to give back to her below. Whether a
refund is handed back in cash or simply not collected depends on what she had paid: `statuses`
says which, refund by refund.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.render.templates import money
from storage.records import Refund, RefundPayment

REASON_WORDS = {"shortage": "缺货", "claim": "售后", "withdrawn": "下架"}


@dataclass(frozen=True, slots=True)
class Refunds:
    """What the ledger says for one member in one campaign (a drop: one group's part)."""

    owed_cents: int = 0  # every refund owed to her
    credit_cents: int = 0  # of which against goods she received (售后): not out of her order's worth yet
    paid_back_cents: int = 0  # what the owner handed back

    def __add__(self, other: Refunds) -> Refunds:
        return Refunds(self.owed_cents + other.owed_cents, self.credit_cents + other.credit_cents,
                       self.paid_back_cents + other.paid_back_cents)


NONE = Refunds()


def of_member(refunds: Iterable[Refund], payments: Iterable[RefundPayment] = ()) -> Refunds:
    rows = list(refunds)
    return Refunds(sum(r.cents for r in rows), sum(r.cents for r in rows if not r.in_book),
                   sum(p.cents for p in payments if p.undone_at is None))


def by_member(refunds: Iterable[Refund], payments: Iterable[RefundPayment]) -> dict[tuple[int, str], Refunds]:
    """The ledger per (campaign, member)."""
    rows: dict[tuple[int, str], list[Refund]] = {}
    for r in refunds:
        rows.setdefault((r.campaign_id, r.member_id), []).append(r)
    paid: dict[tuple[int, str], list[RefundPayment]] = {}
    for p in payments:
        paid.setdefault((p.campaign_id, p.member_id), []).append(p)
    return {key: of_member(rows.get(key, ()), paid.get(key, ())) for key in rows.keys() | paid.keys()}


def to_pay(amount_cents: int, counts: bool, refunds: Refunds) -> int:
    """What she has to pay for her goods: her live order's worth less the 售后 credits (nothing when
    the campaign did not 成团). Never below zero: a claim never refunds more than the line's worth."""
    return max(amount_cents - refunds.credit_cents, 0) if counts else 0


def statuses(cents: Sequence[int], to_pay_cents: int, paid_cents: int, paid_back_cents: int) -> list[str]:
    """Each refund's state, in the order they were owed: 待退 (she paid it: hand it back), 已退 (handed
    back), 少收 (she had not paid it: she pays that much less), or a mix of them."""
    cash = min(sum(c for c in cents if c > 0), max(paid_cents - to_pay_cents, 0))
    back = min(paid_back_cents, cash)
    out = []
    for c in cents:
        if c <= 0:
            out.append("")
            continue
        in_cash = min(c, cash)
        cash -= in_cash
        done = min(in_cash, back)
        back -= done
        if in_cash == 0:
            out.append("少收（她没付这部分）")
        elif done == in_cash:
            out.append("已退" if in_cash == c else f"已退{money(done)}，其余少收")
        elif done == 0:
            out.append("待退" if in_cash == c else f"待退{money(in_cash)}，其余少收")
        else:
            out.append(f"已退{money(done)}，待退{money(in_cash - done)}")
    return out

