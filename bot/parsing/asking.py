"""Questions a member can answer in one word (pure).

Every question names exactly what was not understood, as she wrote it, and
carries a plain asking word (没看懂 / 哪个 / 是要…吗), so she knows it is a
question and what it is about:

    「柚子2个」是要哪个？A 红心柚×2 还是 B 白心柚×2？回 A 或 B
    「腊肠两袋」没看懂：是要 手工腊肠×2 吗？回 是 或 不是
    「砂糖橘」没看懂数量：砂糖橘要几箱？回数字
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.parsing.catalog import ProductRef
from bot.parsing.intent import Action, Choice, Intent, Question, changes_of, intent_of
from bot.parsing.reading.change import Change, Item, Op
from bot.parsing.textnorm import key_of

# More choices than this is no longer a one-word answer: she is asked to name the product.
MAX_CHOICES = 4
_LETTERS = "ABCDEFGH"
YES_WORDS = ("对", "是的", "对的", "要", "要的", "嗯", "好", "好的", "可以", "没错", "yes", "y", "ok")
NO_WORDS = ("不对", "不是的", "不", "否", "错了", "no", "n")
# Longer than this, the leftover is cut in the question (the owner's list keeps the whole message).
_MAX_LEFTOVER = 24


@dataclass(frozen=True)
class Reading:
    """One way to read the leftover: what it books and the answers that name it."""

    intent: Intent
    words: tuple[str, ...] = ()
    code: str | None = None  # the product's own code, when the reading is one coded product
    label: str = ""  # what sets this reading apart, shown in the question ("" : all it books)


def items_label(items: Sequence[Item]) -> str:
    return "、".join(f"{i.product.name}×{i.qty}" for i in items)


def _intent_label(intent: Intent) -> str:
    return "、".join(c.label() for c in changes_of(intent))


def quoted(leftover: str) -> str:
    text = " ".join(leftover.split())
    return f"「{text if len(text) <= _MAX_LEFTOVER else text[:_MAX_LEFTOVER] + '…'}」"


def _or(keys: Sequence[str]) -> str:
    return keys[0] if len(keys) == 1 else "、".join(keys[:-1]) + " 或 " + keys[-1]


def choose(leftover: str, readings: Sequence[Reading]) -> Question:
    """「…」是要哪个？A … 还是 B …？回 A 或 B — keyed by the products' own codes when each
    reading is one coded product, else by letters."""
    if len(readings) == 1:
        return confirm(leftover, readings[0].intent, readings[0].words, readings[0].label)
    codes = [r.code for r in readings]
    use_codes = all(codes) and len(set(codes)) == len(codes)
    keys = [c or "" for c in codes] if use_codes else [_key(i) for i in range(len(readings))]
    choices = tuple(Choice(k, tuple(dict.fromkeys(w for w in r.words if w and w.upper() != k.upper())), r.intent)
                    for k, r in zip(keys, readings, strict=False))
    if len(readings) > MAX_CHOICES:
        # More than one word can choose among: she names it (each product's name is a choice's word).
        return Question(leftover, f"{quoted(leftover)}没看懂：是要哪个商品？请回商品名", choices)
    shown = [f"{k} {r.label or _intent_label(r.intent)}" for k, r in zip(keys, readings, strict=False)]
    options = "、".join(shown[:-1]) + " 还是 " + shown[-1]
    return Question(leftover, f"{quoted(leftover)}是要哪个？{options}？回 {_or(keys)}", choices)


def _key(i: int) -> str:
    return _LETTERS[i] if i < len(_LETTERS) else str(i + 1)


def confirm(leftover: str, intent: Intent, words: Sequence[str] = (), label: str = "") -> Question:
    """「…」没看懂：是要 … 吗？回 是 或 不是"""
    yes = Choice("是", tuple(dict.fromkeys((*YES_WORDS, *words))), intent)
    no = Choice("不是", NO_WORDS, Intent(Action.NONE))
    return Question(leftover, f"{quoted(leftover)}没看懂：是要 {label or _intent_label(intent)} 吗？回 是 或 不是",
                    (yes, no))


def how_many(leftover: str, product: ProductRef, with_items: Sequence[Item] = (), why: str = "没看懂数量",
             because: str = "") -> Question:
    """「砂糖橘」没看懂数量：砂糖橘要几箱？回数字 — or, `because` the quantity cannot be booked as
    written, 「草莓2斤」没看懂，草莓按盒卖，要几盒？回数字"""
    unit = product.unit or "份"
    said = f"没看懂，{because}，要几{unit}？" if because else f"{why}：{product.name}要几{unit}？"
    return Question(leftover, f"{quoted(leftover)}{said}回数字", (), number_for=product, with_items=tuple(with_items))


_CN = "零一两三四五六七八九十"


def in_all(leftover: str, product: ProductRef, totals: Sequence[int], certain: Sequence[Change] = ()) -> Question:
    """「砂糖橘2袋 砂糖橘2袋」没看懂：砂糖橘一共2袋还是4袋？回 2 或 4 — a product said twice in one
    message, restated or more: she answers the number she means in all."""
    unit = product.unit or "份"
    readings = [(n, intent_of([*certain, Change(Op.SET, product, n)])) for n in totals]
    if len(readings) == 1:
        n, intent = readings[0]
        return confirm(leftover, intent, label=f"{product.name}×{n}")
    choices = []
    for n, intent in readings:
        said = [str(n), _CN[n]] if n < len(_CN) else [str(n)]
        if n == 2:
            said.append("二")
        words = [w for s in said for w in (f"{s}{unit}", f"一共{s}{unit}", f"共{s}{unit}", f"一共{s}", s)]
        choices.append(Choice(str(n), tuple(dict.fromkeys(w for w in words if w != str(n))), intent))
    keys = [str(n) for n, _ in readings]
    shown = "还是".join(f"{k}{unit}" for k in keys)
    return Question(leftover, f"{quoted(leftover)}没看懂：{product.name}一共{shown}？回 {_or(keys)}", tuple(choices))


def name_words(product: ProductRef, others: Sequence[ProductRef] = ()) -> tuple[str, ...]:
    """One-word answers naming `product` among `others`: its name, and what sets it
    apart from them (红心柚 among 白心柚: 红心, 红心的, 红)."""
    name = key_of(product.name)
    words = [product.name, name]
    rivals = [key_of(o.name) for o in others if o.id != product.id]
    if rivals:
        # Characters from the end that the names share are not what tells them apart.
        end = len(name)
        while end > 1 and all(len(r) >= len(name) - end + 1 and r.endswith(name[end - 1:]) for r in rivals):
            end -= 1
        start = 0
        while start < end - 1 and all(len(r) > start and r[: start + 1] == name[: start + 1] for r in rivals):
            start += 1
        own = name[start:end]
        if own and own != name:
            words += [own, own + "的"]
            if len(own) > 1:
                words += [own[0], own[0] + "的"]
    return tuple(dict.fromkeys(w for w in words if w))


def which_product(leftover: str, products: Sequence[ProductRef], qty: int, *, action: Action = Action.SET,
                  with_items: Sequence[Item] = ()) -> Question:
    """「+1」是要哪个？A 草莓×1 还是 B 砂糖橘×1？— her quantity, given to which product.
    With more products than one word can choose among, she is asked to name it."""
    readings = [Reading(Intent(action, items=(*with_items, Item(p, qty))), name_words(p, products), p.code,
                        items_label([Item(p, qty)]))
                for p in products]
    if readings:
        return choose(leftover, readings)
    return Question(leftover, f"{quoted(leftover)}没看懂：是要哪个商品？请回商品名", ())
