"""Hype from live figures: buyers, sold and left per product, minutes to the close, 成团 progress.

The scheduled posts (teaser, countdown, reminder) get these figures as the
template variable `live`; after every order the stored totals decide whether a
product just sold out or came back (announced once each way, the owner told
privately), and whether a 跟团播报 (`播报 每N单`) is due.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.domain.lifecycle import group_progress
from bot.domain.services import Services
from bot.models import Outgoing
from bot.render.templates import RenderError
from storage.records import Campaign, Product


def _common(campaign: Campaign, products: list[Product]) -> dict[str, Any]:
    """What every template may use (see templates.sample_context), for owners' templates of these kinds."""
    return {"campaign": campaign, "products": products, "title": campaign.title, "open_at": campaign.opened_at,
            "text": ""}


def _minutes_until(at: datetime | None, now: datetime) -> int | None:
    if at is None:
        return None
    return max(int((at - now).total_seconds() // 60), 0)


async def live_figures(svc: Services, campaign: Campaign, now: datetime) -> dict[str, Any]:
    """The campaign's figures as templates see them (`live.buyers`, `live.products`, …)."""
    products = await svc.campaigns.products(campaign.id)
    totals, buyers = await svc.orders.totals(campaign.id, products)
    rows = []
    for t in totals:
        p = t.product
        if p.withdrawn:
            continue  # /下架: not on sale any more
        sold = await svc.orders.sold_of(p.id) if p.stock is not None else t.qty
        rows.append({"name": p.name, "unit": p.unit or "份", "ordered": t.qty, "stock": p.stock,
                     "left": None if p.stock is None else max(p.stock - sold, 0)})
    progress = await group_progress(svc, campaign)
    return {
        "title": campaign.title,
        "buyers": buyers,
        "products": rows,
        "minutes_left": _minutes_until(campaign.close_at, now),
        "progress": None if progress is None else {"have": progress[0], "need": progress[1], "unit": progress[2],
                                                   "short": max(progress[1] - progress[0], 0)},
    }


async def live_in(svc: Services, room_id: str, now: datetime) -> dict[str, Any] | None:
    """Figures of the group's open campaign, or None when none is open (a teaser before the drop)."""
    campaign = await svc.campaigns.open_in(room_id)
    return await live_figures(svc, campaign, now) if campaign is not None else None


async def after_order(svc: Services, campaign: Campaign, now: datetime) -> list[Outgoing]:
    """What the group (and the owner) hear because of the order just applied."""
    return [*await _stock_news(svc, campaign), *await _broadcast(svc, campaign, now)]


async def _stock_news(svc: Services, campaign: Campaign) -> list[Outgoing]:
    products = await svc.campaigns.products(campaign.id)
    limited = [p for p in products if p.stock is not None]
    if not limited:
        return []
    told = await svc.hype.sold_out_told([p.id for p in limited])
    posts: list[Outgoing] = []
    for p in limited:
        assert p.stock is not None
        left = max(p.stock - await svc.orders.sold_of(p.id), 0)
        if (left == 0) == told[p.id]:
            continue
        svc.hype.set_sold_out_told(p.id, left == 0)
        kind = "soldout" if left == 0 else "restock"
        # One stock for a whole drop: every group of it hears that it sold out (or is back).
        rooms = [campaign.room_id] if campaign.drop_id is None else \
            [part.room_id for part in await svc.campaigns.parts(campaign)]
        for room in rooms:
            text = await svc.templates.arender(kind, room, product=p, left=left, unit=p.unit or "份",
                                               **_common(campaign, products))
            posts.append(Outgoing(text=text, room_id=room))
        owner = await svc.rooms.owner(campaign.room_id)
        if left == 0 and owner is not None:
            posts.append(Outgoing(text=f"🔔 「{campaign.title}」{p.name}已抢完（限量{p.stock}{p.unit or '份'}），"
                                       f"之后下单的登记候补；/汇总 查看。", to=owner))
    return posts


async def _broadcast(svc: Services, campaign: Campaign, now: datetime) -> list[Outgoing]:
    setting = await svc.hype.broadcast(campaign.id)
    if setting is None or not setting[0]:
        return []
    every, last_buyers, _ = setting
    live = await live_figures(svc, campaign, now)
    if int(live["buyers"]) // every <= last_buyers // every:
        return []
    return await _post_broadcast(svc, campaign, live)


async def timed_broadcast(svc: Services, campaign: Campaign, now: datetime) -> list[Outgoing]:
    """A `播报 12:00` time came: the figures, unless nothing changed since the last 播报."""
    return await _post_broadcast(svc, campaign, await live_figures(svc, campaign, now))


async def _post_broadcast(svc: Services, campaign: Campaign, live: dict[str, Any]) -> list[Outgoing]:
    every, _, last_figures = await svc.hype.broadcast(campaign.id) or (0, 0, "")
    buyers = int(live["buyers"])
    figures = json.dumps([buyers, [(r["name"], r["ordered"], r["left"]) for r in live["products"]]],
                         ensure_ascii=False)
    if figures == last_figures or not buyers:
        return []  # nothing changed since the last 播报 (or nothing to show yet)
    svc.hype.broadcast_sent(campaign.id, every, buyers, figures)
    try:
        text = await svc.templates.arender("broadcast", campaign.room_id, live=live,
                                           **_common(campaign, await svc.campaigns.products(campaign.id)))
    except RenderError:
        return []  # the built-in template failed: no half a post
    return [Outgoing(text=text, room_id=campaign.room_id)]
