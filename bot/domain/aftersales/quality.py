"""/统计's figures for choosing suppliers: per product, the share of units short-shipped and claimed,
and the refunds (pure, from the campaigns' live orders and the refund ledger)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.domain.services import Services
from bot.render.templates import money
from storage.records import Campaign, Claim, Product, Refund


@dataclass(frozen=True)
class Quality:
    name: str
    unit: str
    ordered: int  # units ordered, before 缺货 (or 下架) cut them
    short: int  # units that did not arrive
    claimed: int  # units members reported a problem with (claims not refused)
    refund_cents: int

    def text(self) -> str:
        def share(n: int) -> str:
            return f"{n}{self.unit}（{n * 100 / self.ordered:.0f}%）" if self.ordered else f"{n}{self.unit}"
        return (f"{self.name}：订{self.ordered}{self.unit}，缺货{share(self.short)}，售后{share(self.claimed)}，"
                f"退款{money(self.refund_cents)}")


def quality(products: Iterable[Product], live: Mapping[int, int], refunds: Iterable[Refund],
            claims: Iterable[Claim]) -> list[Quality]:
    """Per product name (the same product across campaigns is the same supplier's), in first-seen order."""
    names: dict[int, Product] = {p.id: p for p in products}
    out: dict[str, list[int]] = {}
    units: dict[str, str] = {}
    for pid, p in names.items():
        out.setdefault(p.name, [0, 0, 0, 0])[0] += live.get(pid, 0)
        units.setdefault(p.name, p.unit or "份")
    for r in refunds:
        of = names.get(r.product_id) if r.product_id is not None else None
        if of is None:
            continue
        row = out[of.name]
        if r.in_book:
            row[0] += r.qty  # ordered counts what 缺货 or 下架 cut
        if r.reason == "shortage":
            row[1] += r.qty
        row[3] += r.cents
    for c in claims:
        claimed = names.get(c.product_id) if c.product_id is not None else None
        if claimed is not None and c.status != "refused":
            out[claimed.name][2] += c.qty or 1
    return [Quality(name, units[name], *row) for name, row in out.items()]


async def load_quality(svc: Services, campaigns: Iterable[Campaign]) -> list[Quality]:
    """For these campaigns that counted (a drop's parts read through each part)."""
    parts = [c for c in campaigns if c.fulfilled is not False and not c.is_open]
    products: dict[int, Product] = {}
    live: dict[int, int] = {}
    for c in parts:
        listed = await svc.campaigns.products(c.id)
        products.update({p.id: p for p in listed})
        totals, _ = await svc.orders.totals(c.id, listed)
        for t in totals:
            live[t.product.id] = live.get(t.product.id, 0) + t.qty
    ids = [c.id for c in parts]
    return quality(products.values(), live, await svc.aftersales.refunds(ids), await svc.aftersales.claims(ids))
