"""Changing a running drop: what the owner may change after the opening, one message each.

Every change applies to the whole drop (every group's part), returns the one line each affected
group hears and the one line she is answered with, and leaves the book exact: stock freed or added
serves the waitlist first (the order book's rule), a withdrawn product's orders are cancelled and
each buyer told once, and a new price leaves the units already ordered at theirs unless she says
全部.
"""

from __future__ import annotations

from bot.domain.orderbook import catalog_of
from bot.parsing.textnorm import nfkc
from storage.records import Product


def named_products(products: list[Product], words: str) -> list[Product] | str:
    """The products `words` names, in the order written; or the one line that says why not."""
    text = nfkc(words).lower()
    found = catalog_of(products).find(text)
    names = "、".join(p.name for p in products)
    if not found:
        return f"没有找到商品「{words.strip()}」。这个团的商品：{names}"
    by_id = {p.id: p for p in products}
    out: list[Product] = []
    for mention in found:
        if len(mention.choices) > 1:
            shared = "、".join(c.name for c in mention.choices)
            return f"「{text[mention.start:mention.end]}」对应几个商品（{shared}），请写全名。"
        product = by_id[mention.product.id]
        if product not in out:
            out.append(product)
    return out
