"""Questions to members: what the bot could not read exactly is asked in the group, in one short
line she can answer in a word, before anything goes to the owner (README "How members order").

A question is a small conversation with state, kept in the database (storage/questions.py): one
open question per member and group, with the readings she may pick. Her next message is first
tried as an answer (handlers/ordering.py). What she does not settle within
`Settings.question_wait` (and always before the close) goes to the owner's check list, gathered
into one private message per group; it stays answerable until she or the owner settles it
(`/确认 N`, `/忽略 N`) or the campaign closes.

Everything runs inside the caller's transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bot.domain.services import Services
from bot.models import Outgoing
from bot.parsing.catalog import Catalog, ProductRef
from bot.parsing.conversation.answers import asked_products, quantity_for
from bot.parsing.conversation.same_as import same_as
from bot.parsing.intent import Action, Choice, Intent, Question
from bot.parsing.items import Item
from bot.parsing.privacy import mask
from bot.parsing.textnorm import key_of
from storage.records import Campaign, OpenQuestion, Unreadable

EXPIRY_JOB = "question_expiry"
# Unanswered questions falling due this close together reach the owner in one message.
GATHER = timedelta(minutes=5)
# The words by which a member recognises she is asked something (and tools/ask_check.py too).
ASK_WORDS = ("没看懂", "没有记录", "请写", "待确认", "确认", "哪个", "哪一个", "对应好几个", "转给团长")


@dataclass(frozen=True)
class Asking:
    """One thing to ask one member about one message (or 接龙 line)."""

    member_id: str  # who is asked
    name: str
    text: str  # what was written
    reason: str  # what the owner's check list says, if it goes there
    question: Question
    line_id: int | None = None
    from_member: str | None = None  # who passed the order on (替6-301的小何报两瓶)


@dataclass
class Asked:
    """What asking did: the question as stored, and lines the owner must see now."""

    question: OpenQuestion
    for_owner: list[str] = field(default_factory=list)
    schedules_changed: bool = False


def with_an_ask_word(text: str) -> str:
    """A question always says that nothing was booked yet, in words she knows."""
    return text if any(w in text for w in ASK_WORDS) else f"{text}（还没有记录）"


# -- a question as stored ------------------------------------------------------------------------


def _items(items: tuple[Item, ...]) -> list[list[int]]:
    return [[i.product.id, i.qty] for i in items]


def encode(question: Question) -> str:
    """What a question offers, as the questions table keeps it (its words are kept apart)."""
    return json.dumps({
        "choices": [{"key": c.key, "words": list(c.words), "action": c.intent.action.value,
                     "items": _items(c.intent.items), "products": [p.id for p in c.intent.products]}
                    for c in question.choices],
        "number_for": question.number_for.id if question.number_for is not None else None,
        "with_items": _items(question.with_items)}, ensure_ascii=False)


def question_of(q: OpenQuestion, catalog: Catalog) -> Question:
    """Her open question as it was asked, with the campaign's products; a choice naming a
    product no longer sold is dropped."""
    by_id = {p.id: p for p in catalog.products}

    def items(rows: list[list[int]]) -> tuple[Item, ...] | None:
        found = [(by_id.get(int(pid)), int(qty)) for pid, qty in rows]
        return None if any(p is None for p, _ in found) else tuple(Item(p, n) for p, n in found if p is not None)

    raw = json.loads(q.choices or "{}")
    choices: list[Choice] = []
    for c in raw.get("choices", []):
        chosen = items(c["items"])
        products = [by_id.get(int(pid)) for pid in c["products"]]
        if chosen is None or any(p is None for p in products):
            continue
        intent = Intent(Action(c["action"]), items=chosen, products=tuple(p for p in products if p is not None))
        choices.append(Choice(str(c["key"]), tuple(str(w) for w in c["words"]), intent))
    number_for = by_id.get(int(raw["number_for"])) if raw.get("number_for") is not None else None
    return Question(q.leftover, q.asked, tuple(choices), number_for, items(raw.get("with_items", [])) or ())


def choices_for(products: tuple[ProductRef, ...], written: str) -> tuple[Choice, ...]:
    """Choices made of the products the owner named in her own words: each with the quantity
    her message gave it, or none yet (she is asked how many when she picks it)."""
    return tuple(Choice(p.code or "", (p.name,), Intent(Action.SET, items=(Item(p, quantity_for(p, written) or 0),)))
                 for p in products)


# -- asking ------------------------------------------------------------------------------------------


def due_at(svc: Services, campaign: Campaign, now: datetime) -> datetime:
    """When an unanswered question goes to the owner: after the wait, and before the close with
    time for her to act; a question asked too near the close goes at the close itself."""
    due = now + svc.settings.question_wait
    close = campaign.close_at
    if close is None:
        return due
    before = close - svc.settings.question_before_close
    if before >= now + svc.settings.question_least_wait:
        return min(due, before)
    return max(min(due, close), now)


async def ask(svc: Services, campaign: Campaign, asking: Asking, msg_id: str, now: datetime) -> Asked:
    """Stores her open question. An earlier one of hers about something else goes to the owner's
    check list now (one open question each: her next word must answer one thing)."""
    room = campaign.room_id
    text = with_an_ask_word(asking.question.text)
    for_owner: list[str] = []
    earlier = await svc.questions.open_for(room, asking.member_id)
    if earlier is not None:
        if key_of(earlier.text) == key_of(asking.text) or key_of(earlier.leftover) == key_of(asking.question.leftover) \
                or earlier.choices == encode(asking.question) \
                or (same_as(earlier.text) is not None and same_as(asking.text) is not None):
            # The same thing again: the same offer, or 我也要 followed by 跟老周一样 (she says whose).
            await settle(svc, earlier, "她又发了一次", now)
        else:
            line = await _to_owner(svc, earlier, "后来又问了她别的，这条没有回答", now)
            await settle(svc, earlier, "又问了她别的", now, keep_entry=True)
            if line:
                for_owner.append(line)
    due = due_at(svc, campaign, now)
    q = await svc.questions.add(OpenQuestion(
        0, campaign.id, room, asking.member_id, asking.name, asking.text, asking.question.leftover, text,
        encode(asking.question), asking.reason, asking.from_member, asking.line_id, msg_id, now, due, None))
    changed = await _expire_at(svc, room, due, now)
    return Asked(q, for_owner, changed)


async def ask_again(svc: Services, campaign: Campaign, q: OpenQuestion, question: Question, now: datetime) -> bool:
    """Her open question, asked again (by the owner in her own words, or narrowed to a choice):
    she has the full wait again. True when the expiry's schedule moved."""
    due = due_at(svc, campaign, now)
    await svc.questions.update(replace(q, asked=question.text, choices=encode(question), due_at=due))
    return await _expire_at(svc, campaign.room_id, due, now)


async def settle(svc: Services, q: OpenQuestion, how: str, now: datetime, *, keep_entry: bool = False) -> None:
    """Closes her question; its entry on the owner's check list, if it went there, is settled too."""
    await svc.questions.close(q, how, now)
    if q.check_id is not None and not keep_entry:
        svc.orders.settle(q.check_id, how, now)


async def owner_asked(svc: Services, campaign: Campaign, catalog: Catalog, member_id: str, name: str,
                      products: tuple[ProductRef, ...], words: str, msg_id: str, now: datetime) -> bool:
    """The owner asked a member in her own words ("@张三 要大果还是小果？"): the member's next word
    answers it. It applies to her open question (the products the owner named join its choices),
    or else to her latest entry on the check list. False when there is nothing of hers the owner
    can be asking about."""
    q = await svc.questions.open_for(campaign.room_id, member_id)
    if q is not None:
        kept = question_of(q, catalog)
        covered = asked_products(kept)
        added = choices_for(tuple(p for p in products if p.id not in covered), q.text)
        await ask_again(svc, campaign, q, replace(kept, text=words, choices=kept.choices + added), now)
        return True
    entries = [u for u in await svc.orders.unreadable(campaign.id) if u.member_id == member_id]
    if not entries:
        return False
    entry = entries[-1]
    due = due_at(svc, campaign, now)
    await svc.questions.add(OpenQuestion(
        0, campaign.id, campaign.room_id, member_id, name, entry.text, entry.text, words,
        encode(Question(entry.text, words, choices_for(products, entry.text))), entry.reason, None, None, msg_id, now,
        due, entry.id))
    await _expire_at(svc, campaign.room_id, due, now)
    return True


async def after_order(svc: Services, campaign: Campaign, catalog: Catalog, member_id: str, intent: Intent,
                      now: datetime) -> None:
    """Her later message the bot read whole settles her open question when it is about the same
    products (or, for an open question, any order she rewrote) — an order passed on for her too:
    she has said herself what she wants of it."""
    q = await svc.questions.open_for(campaign.room_id, member_id)
    if q is None or intent.action in (Action.NONE, Action.UNCLEAR, Action.ASK):
        return
    asked = asked_products(question_of(q, catalog))
    mine = {i.product.id for i in intent.items} | {p.id for p in intent.products}
    if not asked or intent.action is Action.CANCEL_ALL or mine & asked:
        await settle(svc, q, "她后来的消息", now)


async def waiting(svc: Services, campaign: Campaign) -> list[Unreadable]:
    """The campaign's questions members have not answered yet and the owner has not seen, for her
    totals: the book is not final while they are open."""
    return [Unreadable(q.member_id, q.name, mask(q.text), q.reason, q.id)
            for q in await svc.questions.open_in(campaign.room_id)
            if q.campaign_id == campaign.id and q.check_id is None]


async def lines_gone(svc: Services, campaign: Campaign, members: set[str], now: datetime) -> None:
    """A question about a 接龙 line she has since taken out or rewritten is settled: there is
    nothing left to ask (her new line is read, or asked about, on its own)."""
    for member_id in members:
        q = await svc.questions.open_for(campaign.room_id, member_id)
        if q is not None and q.line_id is not None and q.campaign_id == campaign.id \
                and not await svc.orders.line_live(campaign.id, q.line_id):
            await settle(svc, q, "她改了接龙", now)


async def owner_settled(svc: Services, room_id: str, check_id: int, how: str, now: datetime) -> None:
    """The owner's /确认 or /忽略 of an entry that was a question: she is no longer asked."""
    q = await svc.questions.by_check(room_id, check_id)
    if q is not None:
        await svc.questions.close(q, how, now)


# -- to the owner -----------------------------------------------------------------------------------


async def _expire_at(svc: Services, room_id: str, at: datetime, now: datetime) -> bool:
    """The group's expiry runs by `at`; True when its schedule changed."""
    pending = [s for s in await svc.schedules.pending_in(room_id) if s.kind == EXPIRY_JOB]
    if any(s.run_at <= at for s in pending):
        return False
    for s in pending:
        await svc.schedules.finish(s.id, "cancelled", "an earlier question is due first")
    await svc.schedules.add(room_id, EXPIRY_JOB, at, {}, "bot", now)
    return True


async def _to_owner(svc: Services, q: OpenQuestion, why: str, now: datetime) -> str | None:
    """Puts her unanswered question on the owner's check list (it stays answerable); the line the
    owner's message shows for it, or None when there is nothing left to ask (her line is gone)."""
    if q.check_id is not None:
        return None
    if q.line_id is not None and not await svc.orders.line_live(q.campaign_id, q.line_id):
        await settle(svc, q, "她的接龙行已经没有了", now)
        return None
    reason = f"{q.reason}，{why}"
    number = await svc.orders.add_unreadable(q.campaign_id, q.member_id, q.name, q.text, reason, q.message_id, now,
                                             q.line_id)
    await svc.questions.update(replace(q, check_id=number))
    return f"#{number} {q.name}：{q.text[:60]}（{reason}）"


def gathered(room_topic: str, owner: str, lines: list[str]) -> list[Outgoing]:
    """One private message for all of them: the owner's list is never a message per line."""
    if not lines:
        return []
    head = f"📝 「{room_topic}」有{len(lines)}条问了团员、没有回复，已放进待确认：" if len(lines) > 1 else \
        f"📝 「{room_topic}」有1条问了团员、没有回复，已放进待确认："
    return [Outgoing(text="\n".join([head, *lines, "记下：/确认 N 商品数量；不用管：/忽略 N"]), to=owner)]


async def expire_due(svc: Services, room_id: str, now: datetime) -> list[Outgoing]:
    """The scheduled job: the group's questions nobody answered in time go to the owner, together.
    Those due a little later go now too (a few minutes early out of half an hour), so a burst of
    questions reaches her as one message, not one every few seconds."""
    lines: list[str] = []
    for q in await svc.questions.open_in(room_id):
        if q.check_id is None and q.due_at <= now + GATHER:
            campaign = await svc.campaigns.get(q.campaign_id)
            if campaign is None or not campaign.is_open:
                await settle(svc, q, "团已截单", now)
                continue
            who = "她还没确认" if q.from_member else "她没有回复"
            line = await _to_owner(svc, q, who, now)
            if line:
                lines.append(line)
    waiting = [q.due_at for q in await svc.questions.open_in(room_id) if q.check_id is None]
    if waiting:
        await _expire_at(svc, room_id, min(waiting), now)
    owner = await svc.rooms.owner(room_id)
    if owner is None:
        return []
    return gathered(await svc.rooms.topic(room_id) or room_id, owner, lines)


async def at_close(svc: Services, campaign: Campaign, now: datetime) -> None:
    """The close: every question of the campaign still open goes on the owner's check list (her
    totals list them) and is closed."""
    for q in await svc.questions.open_in(campaign.room_id):
        if q.campaign_id != campaign.id:
            continue
        await _to_owner(svc, q, "截单时还没回复", now)
        await svc.questions.close(q, "截单", now)
