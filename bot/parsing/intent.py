"""What a member's message means for the order book, as values (pure).

`parse_order_text` (bot/parsing/order_text.py) returns an `Intent`. When part of
a message cannot be read exactly the intent is `Action.ASK`: it books nothing
(`items` empty) and `question` says what to ask her, with the choices her
one-word answer can settle.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from bot.parsing.catalog import ProductRef
from bot.parsing.reading.change import Change, Item, Op


class Action(StrEnum):
    NONE = "none"  # chatter, questions, thanks
    SET = "set"  # her quantity of each product becomes the one written
    ADD = "add"  # more of a product on top of what she has
    CANCEL_ALL = "cancel_all"
    CANCEL = "cancel"  # the named products only
    UNCLEAR = "unclear"  # looks like an order, but no reading can be named: needs the owner
    # "改成3盒" naming no product: her only product, or the bot asks which (the book decides).
    EDIT_UNNAMED = "edit_unnamed"
    # Part of the message could not be read exactly: nothing is booked and `question`
    # says what to ask her (the reading each one-word answer books).
    ASK = "ask"
    # Several kinds of change at once, each applied to what she holds (`changes`):
    # 草莓2盒 砂糖橘不要了, 苹果-1, 砂糖橘换成草莓.
    CHANGE = "change"


class Reason(StrEnum):
    """Why a message needs the owner: shown on the owner's check list, and the
    member's hint is chosen by it."""

    QUESTION = "带问句"
    TOO_LARGE = "数量过大"
    NO_PRODUCT = "没写明商品"
    UNREADABLE = "没认出商品或数量"
    AMBIGUOUS = "商品名对应多个商品"
    WHICH_PRODUCT = "没说改哪个商品"
    SAME_AS_ABOVE = "同上指哪条不清楚"
    PAST_OR_NOW = "分不清是以前的订单还是这次要"
    TOO_LONG = "消息太长没有读取"


@dataclass(frozen=True)
class Intent:
    action: Action
    items: tuple[Item, ...] = ()
    products: tuple[ProductRef, ...] = ()  # for CANCEL
    reason: str = ""
    qty: int = 0  # for EDIT_UNNAMED
    unit: str | None = None  # for EDIT_UNNAMED, as written
    words: tuple[str, ...] = ()  # for AMBIGUOUS: the shared words
    question: Question | None = None  # for ASK
    changes: tuple[Change, ...] = ()  # for CHANGE
    op: Op = Op.SET  # for EDIT_UNNAMED: 改成3盒 sets, 再加一袋 adds, 少要一箱 takes away


@dataclass(frozen=True)
class Choice:
    """One answer to a question and what it books."""

    key: str  # what she may answer: "A", "B", "是"
    words: tuple[str, ...]  # other one-word answers meaning this choice ("红心", "红心的", "对")
    intent: Intent  # what this choice books (SET/ADD/CANCEL …, items with product ids)


@dataclass(frozen=True)
class Question:
    """What to ask a member about the part of her message that was not read exactly."""

    leftover: str  # exactly the words not understood, as she wrote them ("腊肠两袋")
    text: str  # the question, one short line she can answer in a word
    choices: tuple[Choice, ...]  # empty: an open question (she rewrites it)
    # A number she answers ("2", "两箱") is this product's quantity, booked together with
    # `with_items` (the rest of her message, read exactly). None: a number answers nothing.
    number_for: ProductRef | None = None
    with_items: tuple[Item, ...] = ()

    def choice(self, answer: str) -> Choice | None:
        """The choice a one-word answer names, by its key or one of its words."""
        word = answer.strip().upper()
        for c in self.choices:
            if word == c.key.upper() or word in (w.upper() for w in c.words):
                return c
        return None

    def with_number(self, qty: int) -> Intent | None:
        """What her answer `qty` books, when a number answers this question."""
        if self.number_for is None or qty <= 0:
            return None
        return Intent(Action.SET, items=(*self.with_items, Item(self.number_for, qty)))


def intent_of(changes: tuple[Change, ...] | list[Change]) -> Intent:
    """The intent making these changes: SET, ADD or CANCEL when they are all of one
    kind (the book's plain paths), else CHANGE."""
    ops = {c.op for c in changes}
    if not changes:
        return Intent(Action.NONE)
    if ops == {Op.SET}:
        return Intent(Action.SET, items=tuple(Item(c.product, c.qty) for c in changes))
    if ops == {Op.ADD}:
        return Intent(Action.ADD, items=tuple(Item(c.product, c.qty) for c in changes))
    if ops == {Op.CANCEL}:
        return Intent(Action.CANCEL, products=tuple(c.product for c in changes))
    return Intent(Action.CHANGE, changes=tuple(changes))


def changes_of(intent: Intent) -> tuple[Change, ...]:
    """What an intent does to each product, whatever its action."""
    if intent.action is Action.CHANGE:
        return intent.changes
    if intent.action in (Action.SET, Action.ADD):
        op = Op.SET if intent.action is Action.SET else Op.ADD
        return tuple(Change(op, i.product, i.qty) for i in intent.items)
    if intent.action is Action.CANCEL:
        return tuple(Change(Op.CANCEL, p) for p in intent.products)
    return ()


def asking(intent: Intent, question: Question) -> Intent:
    """`intent` turned into a question: nothing booked until she answers."""
    return replace(intent, action=Action.ASK, items=(), question=question)
