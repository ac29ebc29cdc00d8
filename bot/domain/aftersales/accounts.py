"""Each member's account as the workbook's 团员对账 reads it, for the commands that speak of money:
/未付, 我的订单 and /退款 read these rows, so they cannot disagree with the workbook."""

from __future__ import annotations

from bot.domain.reports import MemberRow, member_list
from storage.db import Database
from storage.records import Campaign


async def accounts(db: Database, campaign: Campaign) -> list[MemberRow]:
    """Every member's account in one group's part of a campaign (buyers in book order, then anyone
    who paid or is owed a refund without an order that stands)."""
    return [r for r in (await member_list(db, campaign.id)).rows if r.campaign.id == campaign.id]


def cash_due(row: MemberRow) -> int:
    """What is still to be handed back to her."""
    return max(-row.balance_cents, 0)
