"""The order book as JSON or CSV (Excel opens the CSV as UTF-8 thanks to its BOM)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from storage.campaigns import CampaignRepo
from storage.db import Database
from storage.orders import OrderRepo


async def order_book(db: Database, campaign_id: int | None = None) -> dict[str, Any]:
    campaigns_repo, orders_repo = CampaignRepo(db), OrderRepo(db)
    out = []
    for campaign in await campaigns_repo.all():
        if campaign_id is not None and campaign.id != campaign_id:
            continue
        products = await campaigns_repo.products(campaign.id)
        orders = await orders_repo.orders(campaign.id, products)
        out.append({
            "id": campaign.id,
            "room": campaign.room_id,
            "title": campaign.title,
            "status": campaign.status,
            "opened_at": campaign.opened_at.isoformat(),
            "close_at": campaign.close_at.isoformat() if campaign.close_at else None,
            "pickup": campaign.pickup,
            "products": [
                {"name": p.name, "price": p.price_cents / 100 if p.price_cents is not None else None,
                 "unit": p.unit, "code": p.code, "stock": p.stock}
                for p in products
            ],
            "orders": [
                {"member": o.member_id, "name": o.name, "label": o.label,
                 "amount": o.amount_cents / 100,
                 "items": [{"product": p.name, "qty": q} for p, q in o.items]}
                for o in orders
            ],
        })
    return {"campaigns": out}


def to_json(book: dict[str, Any]) -> str:
    return json.dumps(book, ensure_ascii=False, indent=2) + "\n"


CSV_HEADER = ["团ID", "群", "团名", "状态", "成员ID", "昵称", "接龙标注", "商品", "数量", "单位", "单价", "金额"]


def to_csv(book: dict[str, Any]) -> str:
    """One row per order item; the caller writes it with a UTF-8 BOM."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for c in book["campaigns"]:
        prices = {p["name"]: p for p in c["products"]}
        for o in c["orders"]:
            for item in o["items"]:
                product = prices.get(item["product"], {})
                price = product.get("price")
                writer.writerow([
                    c["id"], c["room"], c["title"], "进行中" if c["status"] == "open" else "已截单",
                    o["member"], o["name"], o["label"], item["product"], item["qty"], product.get("unit") or "",
                    "" if price is None else f"{price:.2f}",
                    "" if price is None else f"{price * item['qty']:.2f}",
                ])
    return buf.getvalue()
