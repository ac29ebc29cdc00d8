"""Members ordering: 接龙 copies, WeChat's native 群接龙, and plain messages."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import timedelta

from bot.app.context import Ack, Context
from bot.app.router import Chat, Role, Router
from bot.domain.conversation import merged_list, questions
from bot.domain.conversation.same_as import question_for as same_as_question
from bot.domain.hype import after_order
from bot.domain.lifecycle import checks_text, group_reached_posts
from bot.domain.orderbook import Outcome, ToAsk, catalog_of
from bot.domain.pickup import items_text
from bot.models import MessageKind
from bot.parsing.asking import confirm, how_many, items_label, which_product
from bot.parsing.catalog import Catalog
from bot.parsing.conversation.answers import (
    Answer,
    Reply,
    owner_asks,
    quantity_for,
    read_answer,
    read_together,
    wanted_products,
    which_of,
)
from bot.parsing.conversation.same_as import same_as
from bot.parsing.conversation.whose import for_someone, without_mentions
from bot.parsing.intent import Action, Intent, Question, Reason
from bot.parsing.items import extract, house_numbers, name_words
from bot.parsing.jielong import JielongCopy, parse_copy, without_note
from bot.parsing.native_solitaire import looks_like_xml, parse_native
from bot.parsing.order_text import parse_order_text
from bot.parsing.textnorm import key_of, nfkc
from bot.render.templates import money
from storage.records import Campaign, OpenQuestion, Product

log = logging.getLogger("bot.handlers.ordering")
router = Router("ordering")


def _is_copy(copy: JielongCopy, campaign: Campaign) -> bool:
    if copy.tagged:
        return True
    title = key_of(campaign.title)
    return bool(title) and any(title in key_of(h) or (key_of(h) and key_of(h) in title)
                               for h in copy.header if key_of(h))


def _hint(reason: str, max_qty: int) -> str:
    """What she is told when her message went straight to the owner (a quantity past the maximum:
    the owner decides)."""
    if reason == Reason.TOO_LARGE:
        return f"数量超过{max_qty}，没有记录，已转给团长确认"
    return "这条没有记录，已转给团长确认"


def _open_question(reason: str, detail: str, shown: str, example: str) -> str:
    """An open question: no reading can be named, so she is asked to write it, in the actual reason's words."""
    if reason == Reason.NO_PRODUCT:
        return f"「{shown}」没写是哪个商品，没有记录。请回商品名，例如：{example}"
    if reason == Reason.AMBIGUOUS:
        return f"「{detail}」对应好几个商品，没有记录。请回商品全名，例如：{example}"
    if reason == Reason.SAME_AS_ABOVE:
        return f"「同上」看不出指哪一条，没有记录。请写「商品+数量」，例如：{example}"
    if reason == Reason.QUESTION:
        return f"「{shown}」带问句，没有记成订单。确定要的话请直接写「商品+数量」，例如：{example}"
    if reason == Reason.PAST_OR_NOW:
        return f"分不清是说以前的订单还是这次要，没有记录。这次要的话请直接写「商品+数量」，例如：{example}"
    return f"「{shown}」没看懂，没有记录。请写「商品+数量」，例如：{example}"


def _question_for(ta: ToAsk, products: list[Product], catalog: Catalog) -> Question:
    """What she is asked about what the book could not take: the reader's question, or one made
    from the reason — naming the likely reading when there is one, so she answers in a word."""
    if ta.question is not None:
        return ta.question
    p = products[0] if products else None
    example = f"{p.name}2{p.unit or '份'}" if p else "草莓2盒"
    shown = ta.text if len(ta.text) <= 30 else ta.text[:29] + "…"
    if ta.items and ta.reason in (Reason.QUESTION, Reason.PAST_OR_NOW):
        why = "带问句" if ta.reason == Reason.QUESTION else "分不清是说以前的还是这次要"
        asked = confirm(ta.text, Intent(Action.SET, items=ta.items))
        return replace(asked, text=f"「{shown}」{why}，还没有记录：是要 {items_label(ta.items)} 吗？回「是」就记上")
    if ta.reason == Reason.AMBIGUOUS and ta.detail and "、" not in ta.detail:
        # A 接龙 line with a word two products share: which one, with the rest of the line.
        shared = next((m.choices for m in catalog.find(ta.detail.lower()) if m.choices), ())
        qty = quantity_for(shared[0], ta.text) if shared else None
        if shared and qty is not None:
            sure = extract(ta.text, catalog, bare_number_ok=ta.line_id is not None).items
            return which_product(ta.detail, shared, qty, with_items=sure)
    return Question(ta.text, _open_question(ta.reason, ta.detail, shown, example), ())


async def _ask(ctx: Context, campaign: Campaign, out: Outcome, products: list[Product]) -> dict[str, str]:
    """Each member the message left something to ask about is asked: her open question is stored
    and its words go into her acknowledgement. Returns member → the question as asked."""
    asked: dict[str, str] = {}
    await questions.lines_gone(ctx.svc, campaign, out.touched, ctx.now)
    if not out.asks:
        return asked
    catalog = catalog_of(products)
    for_owner: list[str] = []
    for member_id, ta in sorted(out.asks.items()):
        made = await questions.ask(ctx.svc, campaign, questions.Asking(
            member_id, ta.name, ta.text, ta.reason, _question_for(ta, products, catalog), ta.line_id,
            ta.from_member), ctx.msg.id, ctx.now)
        asked[member_id] = made.question.asked
        for_owner += made.for_owner
        ctx.deadlines_changed |= made.schedules_changed
    owner = await ctx.svc.rooms.owner(campaign.room_id)
    if owner is not None:
        topic = await ctx.svc.rooms.topic(campaign.room_id) or campaign.room_id
        ctx.replies.extend(questions.gathered(topic, owner, for_owner))
    return asked


async def _acknowledge(ctx: Context, campaign: Campaign, out: Outcome, *, in_list: bool = False) -> None:
    """Queues each touched member's acknowledgement. `in_list`: the message is a 接龙 list (a copy or
    WeChat's native one) that shows her line as she wrote it; a line taken exactly needs no
    acknowledgement of its own (README, "A quiet group"). Anything else - a change she cannot
    see, a cancellation, a waitlist, a line for the owner - is acknowledged, and soon."""
    products = await ctx.svc.campaigns.products(campaign.id)
    if out.nothing_to_cancel:
        ctx.ack(ctx.msg.sender.id, ctx.msg.sender.name, "你还没有这个订单，不用取消", urgent=True)
    asked = await _ask(ctx, campaign, out, products)
    # The sender first, then by id: never set order, so a replay prints the same every time.
    for member_id in sorted(out.touched | set(out.hints) | set(asked), key=lambda m: (m != ctx.msg.sender.id, m)):
        await _member_ack(ctx, campaign, out, products, member_id, in_list, asked.get(member_id, ""))
    await _acks_in_other_groups(ctx, out, products)
    if out.checks:
        # The check list is the owner's: what this message added reaches her privately, in one message.
        await ctx.tell_owner(ctx.room_id, checks_text(campaign.title, out.checks))
    ctx.replies.extend(await group_reached_posts(ctx.svc, campaign))
    # Sold out / back in stock / 跟团播报, decided from the stored totals now that the order is applied.
    ctx.replies.extend(await after_order(ctx.svc, campaign, ctx.now))


async def _member_ack(ctx: Context, campaign: Campaign, out: Outcome, products: list[Product], member_id: str,
                      in_list: bool, question: str = "") -> None:
    """One member's acknowledgement: her whole order as it now stands, with what else she must know."""
    name = ctx.msg.sender.name if member_id == ctx.msg.sender.id else \
        await ctx.svc.rooms.name_of(ctx.room_id, member_id)
    order = await ctx.svc.orders.member_order(campaign.id, member_id, name, products, with_label=False)
    notes = [*out.notes.get(member_id, []), *out.served.get(member_id, [])]
    items = items_text(order)
    if order.items:
        text = f"已记录：{items}，共{money(order.amount_cents)}"
    elif member_id in out.touched and not notes:
        gone = out.cancelled.get(member_id, {})
        names = {p.id: p.name for p in products}
        # What went, so a cancellation she did not mean (or meant only in part) is seen at once.
        what = "、".join(f"{names[pid]}×{q}" for pid, q in sorted(gone.items()) if pid in names)
        text = f"订单已取消：{what}" if what else "订单已取消"
    else:
        text = ""
    if member_id in out.hints:
        reason, _ = out.hints[member_id]
        hint = _hint(reason, ctx.svc.settings.max_qty)
        text = hint if not text else f"{text}；{hint}"
    if question:
        text = question if not text or (out.asks[member_id].reason == Reason.WHICH_PRODUCT) else f"{text}；{question}"
    exception = bool(notes) or member_id in out.hints or bool(question)
    if in_list and order.items and not exception and member_id in out.touched:
        ctx.ack(member_id, name, "")  # withdraws an earlier acknowledgement of hers still waiting
        return
    parts = [t for t in [text, *notes] if t]
    if parts:
        ctx.ack(member_id, name, "；".join(parts), urgent=exception)


async def _acks_in_other_groups(ctx: Context, out: Outcome, products: list[Product]) -> None:
    """Stock freed here went to members waiting in another group of the drop: each hears it there."""
    for campaign_id, served in sorted(out.served_in.items()):
        other = await ctx.svc.campaigns.get(campaign_id)
        if other is None:
            continue
        for member_id, notes in sorted(served.items()):
            name = await ctx.svc.rooms.name_of(other.room_id, member_id)
            order = await ctx.svc.orders.member_order(campaign_id, member_id, name, products, with_label=False)
            items = items_text(order)
            ctx.acks.append(Ack(other.room_id, member_id, name,
                                "；".join([f"已记录：{items}，共{money(order.amount_cents)}", *notes]), urgent=True))


async def _refuse_closed(ctx: Context, campaign: Campaign) -> None:
    ctx.ack(ctx.msg.sender.id, ctx.msg.sender.name, f"「{campaign.title}」已截单，这条订单没有记录，如需加单请联系团长",
            urgent=True)


# Orders come last: an owner's drop, a payment and a member's question are tried first.
ORDERS = 60


@router.matcher(priority=ORDERS, chat=Chat.GROUP)
async def native_solitaire(ctx: Context) -> bool:
    if ctx.msg.kind is not MessageKind.SOLITAIRE:
        return False
    campaign = await ctx.svc.campaigns.open_in(ctx.room_id)
    native = parse_native(ctx.msg.text)
    if native is None:
        if looks_like_xml(ctx.msg.text):
            # Cut or broken XML: its lines would all land on the sender, and the next
            # intact list would add its own on top. It changes nothing; the next one counts.
            log.warning("native 群接龙 %s from %s: XML does not parse; ignored", ctx.msg.id, ctx.msg.sender.id)
            return True
        # The service gave only the visible list: read it as a copy from the sender.
        return await _apply_copy_text(ctx, ctx.msg.text)
    if not native.intact:
        # Who wrote which entry is unknown: booking it would charge the sender, or the wrong members,
        # for lines they never wrote. Nothing changes; the owner hears it (members see their list).
        log.warning("native 群接龙 %s from %s: %d entries, %d authors; ignored", ctx.msg.id, ctx.msg.sender.id,
                    len(native.copy.entries), len(native.authors))
        await ctx.alert_owner(ctx.room_id, "native-authors",
                              f"⚠️ {ctx.msg.sender.name} 发的微信群接龙看不出每一行是谁写的（作者信息不全），"
                              "这条没有记任何订单。请大家复制接龙或直接发「商品+数量」下单。")
        return True
    if campaign is None:
        latest = await ctx.svc.campaigns.latest_in(ctx.room_id)
        if latest is not None and native.copy.entries:
            await _refuse_closed(ctx, latest)
        return True
    products = await ctx.svc.campaigns.products(campaign.id)
    names = {a: await ctx.svc.rooms.name_of(ctx.room_id, a) for a in set(native.authors) if a}
    names[ctx.msg.sender.id] = ctx.msg.sender.name
    out = await ctx.svc.book.apply_native(campaign, catalog_of(products), native, ctx.msg.sender.id, names,
                                          ctx.msg.id, ctx.now)
    await _acknowledge(ctx, campaign, out, in_list=True)
    return True


async def _names_others(ctx: Context, campaign: Campaign, copy: JielongCopy, catalog: Catalog) -> bool:
    """A list without #接龙 or the title is still a list when a line of it orders something for
    another member, by her name or house number: it is read as a copy, where such a line is never
    the poster's (README "How members order")."""
    lines = [*copy.entries, *(e for _, e in copy.loose)][:50]
    houses: set[str] = set()
    strangers: set[str] = set()
    mine = key_of(ctx.msg.sender.name)
    for line in lines:
        ex = extract(without_note(line.text), catalog, bare_number_ok=True)
        if not copy.entries and not ex.mentioned:
            # A row with only a house and a name ("• 3-1202 阿宁", her products on the line under it).
            houses.update(house_numbers(ex.label))
        if ex.items or ex.ambiguous:
            me, others = await ctx.svc.book.named(campaign, ex.label, ctx.msg.sender.id, by_house=True)
            if others and not me:
                return True
            houses.update(house_numbers(ex.label))
            if not me and not line.numbered:
                # A decorated line with a name that is nobody here: someone's, and never hers.
                strangers.update(w for w in name_words(ex.label) if w != mine)
    # Orders for several households or people, whoever they are: a list (its lines are never all hers).
    return len(houses) > 1 or len(strangers) > 1


async def _apply_copy_text(ctx: Context, text: str) -> bool:
    copy = parse_copy(text)
    if copy is None or not (copy.entries or copy.loose):
        return False
    # A list without numbers is read by its decorated lines (bullets, table rows, house numbers).
    lines = list(copy.entries) or [e for _, e in copy.loose]
    campaign = await ctx.svc.campaigns.open_in(ctx.room_id)
    if campaign is None:
        latest = await ctx.svc.campaigns.latest_in(ctx.room_id)
        if latest is None or not _is_copy(copy, latest):
            return False
        known = await ctx.svc.orders.copy_lines_by_keys(latest.id, [e.key for e in lines])
        if len({ln.key for ln in known}) < len({e.key for e in lines}):
            await _refuse_closed(ctx, latest)
        return True
    products = await ctx.svc.campaigns.products(campaign.id)
    # A list known only by its lines (no #接龙, not the title, no line the book knows): how the bot read
    # it is not on the screen, so she hears what was booked for her.
    by_its_lines = False
    if not _is_copy(copy, campaign):
        known = await ctx.svc.orders.copy_lines_by_keys(campaign.id, [e.key for e in lines[:50]])
        if not known and ("\n" not in text.strip() or not await _names_others(ctx, campaign, copy,
                                                                               catalog_of(products))):
            return False
        by_its_lines = not known
    out = await ctx.svc.book.apply_copy(campaign, catalog_of(products), copy, ctx.msg.sender.id,
                                        ctx.msg.sender.name, ctx.msg.id, ctx.now)
    # An entry wrapping onto the next line reads as one entry: the screen does not show she was read whole.
    wrapped = any(line.follows for _, line in copy.loose)
    await _acknowledge(ctx, campaign, out, in_list=not (by_its_lines or wrapped))
    me = ctx.msg.sender.id
    if by_its_lines and me not in out.touched and me not in out.asks and me not in out.hints:
        # No line of it could be told as hers: she posted it to order, and must not think she did.
        example = f"{products[0].name}2{products[0].unit or '份'}" if products else "草莓2盒"
        ctx.ack(me, ctx.msg.sender.name,
                f"这条接龙里看不出哪一行是你的，没有给你记。要的话请直接回「商品+数量」，例如：{example}", urgent=True)
    # A fork (the copy lacks others' lines) is noted, and one that healed forgotten: the merged list is
    # said only while a fork lasts (bot/domain/conversation/merged_list.py).
    ctx.deadlines_changed |= await merged_list.fork_seen(ctx.svc, campaign, out.fork, ctx.now)
    return True


@router.matcher(priority=ORDERS, chat=Chat.GROUP, help="复制接龙，在最后加一行（如「3-502 张三 草莓2盒」）")
async def jielong_copy(ctx: Context) -> bool:
    if looks_like_xml(ctx.text):
        # XML typed as text is not a list anyone copied, nor an order: its lines name others, and
        # reading it would hand them (or her) orders nobody wrote as one. It books nothing.
        log.warning("message %s from %s is typed XML; ignored", ctx.msg.id, ctx.msg.sender.id)
        return True
    return await _apply_copy_text(ctx, ctx.text)


_EXAMPLE = re.compile(r"比如|例如|举例|举个例|例：|例:|e\.g\.|for example", re.IGNORECASE)


@router.matcher(priority=ORDERS, chat=Chat.GROUP,
                help="或直接发「草莓2盒」「A2 B1」「+1」；改数量发「草莓改成3盒」，不要了发「草莓不要了」或「取消」")
async def plain_order(ctx: Context) -> bool:
    campaign = await ctx.svc.campaigns.open_in(ctx.room_id)
    target = campaign or await ctx.svc.campaigns.latest_in(ctx.room_id)
    if target is None:
        return False
    if ctx.is_admin and (any(m != ctx.msg.sender.id for m in ctx.msg.mentions) or _EXAMPLE.search(ctx.text)):
        # The owner (or an admin) talking to a member ("@小象 椰青三个对吧") or showing how to order
        # ("比如 B+2") is not ordering for herself: booking it would bill her for what she never wanted.
        return False
    products = await ctx.svc.campaigns.products(target.id)
    catalog = catalog_of(products)
    # "帮楼下刘奶奶捎一袋", "替6-301的小何报两瓶": the order is read without who it is for.
    passed_on = for_someone(ctx.text)
    words = passed_on.rest if passed_on is not None else ctx.text
    intent = parse_order_text(words, catalog, max_qty=ctx.svc.settings.max_qty)
    if passed_on is not None and intent.action not in (Action.SET, Action.ADD, Action.ASK):
        passed_on, intent = None, parse_order_text(ctx.text, catalog, max_qty=ctx.svc.settings.max_qty)
    copying = same_as(ctx.text) if intent.action is Action.NONE and passed_on is None else None
    if copying is not None and campaign is not None and not ctx.is_admin:
        # "跟老周一样的", "我也要", "跟上次一样": the order she means is named back to her; her 是 books it.
        asked = await same_as_question(ctx.svc, campaign, catalog, copying, ctx.text, ctx.msg.sender.id, ctx.now,
                                       ctx.msg.mentions)
        intent = Intent(Action.ASK, reason=Reason.UNREADABLE, question=asked)
    elif intent.action is Action.NONE:
        wanted = wanted_products(ctx.text, catalog)
        if not wanted or ctx.is_admin:
            return False
        # "要豆沙粽", "年糕": how many? If "三个" follows in a moment, the answer replaces the question
        # before the group sees it; later, it answers it. Her fragments stay hers when another
        # member's come between: each member's open question takes only her own next word.
        intent = Intent(Action.ASK, reason=Reason.UNREADABLE, question=how_many(ctx.text, wanted[0], why="没写数量")
                        if len(wanted) == 1 else which_of(ctx.text, wanted))
    if ctx.is_admin and intent.action in (Action.UNCLEAR, Action.EDIT_UNNAMED, Action.ASK):
        # The owner's and admins' own remarks ("这批个头大，一箱大概12个") are never
        # put to the owner for confirming.
        return False
    if campaign is None:
        if intent.action in (Action.SET, Action.ADD, Action.CHANGE):
            await _refuse_closed(ctx, target)
        elif intent.action in (Action.CANCEL, Action.CANCEL_ALL):
            ctx.ack(ctx.msg.sender.id, ctx.msg.sender.name, "已截单，改单或取消请联系团长", urgent=True)
        return True
    # A name in it besides the items: an order naming another member is never the sender's.
    label = extract(without_mentions(ctx.text), catalog).label \
        if passed_on is None and copying is None and intent.action in (Action.SET, Action.ADD, Action.ASK) else ""
    out = await ctx.svc.book.apply_intent(campaign, intent, ctx.msg.sender.id, ctx.msg.sender.name, ctx.text,
                                          ctx.msg.id, ctx.now, label=label,
                                          for_whom=passed_on.who if passed_on is not None else None)
    me = ctx.msg.sender.id
    if me not in out.asks and not any(a.from_member == me for a in out.asks.values()):
        await questions.after_order(ctx.svc, campaign, catalog, me, intent, ctx.now)
    await _acknowledge(ctx, campaign, out)
    return True


# -- answers: her next message is first tried as an answer to her open question ------------------------

# Before everything else a member says in the group: "A" or "2" right after a question is an answer,
# not an order, a payment or a question for the owner.
ANSWERS = 5


async def _her_question(ctx: Context) -> OpenQuestion | None:
    """Her open question: in the group she writes in, or, in her private chat, the one open in any
    of her groups (several: none; she answers in the group)."""
    if not ctx.private:
        return await ctx.svc.questions.open_for(ctx.room_id, ctx.msg.sender.id)
    found = [q for room_id in await ctx.svc.rooms.rooms_of(ctx.msg.sender.id)
             if (q := await ctx.svc.questions.open_for(room_id, ctx.msg.sender.id)) is not None]
    return found[0] if len(found) == 1 else None


@router.matcher(priority=ANSWERS)
async def answer_question(ctx: Context) -> bool:
    if ctx.msg.kind is not MessageKind.TEXT:
        return False
    q = await _her_question(ctx)
    if q is None:
        return False
    campaign = await ctx.svc.campaigns.get(q.campaign_id)
    if campaign is None or not campaign.is_open:
        return False
    products = await ctx.svc.campaigns.products(campaign.id)
    catalog = catalog_of(products)
    max_qty = ctx.svc.settings.max_qty
    question = questions.question_of(q, catalog)
    answer = read_answer(ctx.text, question, q.text, catalog, max_qty=max_qty)
    if answer is None and not question.choices and question.number_for is None:
        # She rewrites what was asked about: together with it, it may read whole ("要豆沙粽" … "三个").
        together = read_together(q.text, ctx.text, catalog, max_qty=max_qty)
        answer = Answer(Reply.CHOICE, together) if together is not None else None
    if answer is None:
        return False
    if not ctx.private:
        await _answered(ctx, campaign, q, question, answer, products)
        return True
    # Answered in her private chat: booked in the group as if said there; her word comes back here.
    ctx.group_id = campaign.room_id
    await _answered(ctx, campaign, q, question, answer, products)
    mine = [a for a in ctx.acks if a.member_id == ctx.msg.sender.id and a.room_id == campaign.room_id]
    ctx.acks = [a for a in ctx.acks if a not in mine]
    topic = await ctx.svc.rooms.topic(campaign.room_id) or campaign.room_id
    ctx.reply(f"【{topic}「{campaign.title}」】{'；'.join(a.text for a in mine if a.text) or '已收到'}")
    return True


async def _answered(ctx: Context, campaign: Campaign, q: OpenQuestion, question: Question, answer: Answer,
                    products: list[Product]) -> None:
    me, name = ctx.msg.sender.id, ctx.msg.sender.name
    if answer.reply is Reply.CHOICE:
        assert answer.intent is not None
        await questions.settle(ctx.svc, q, f"她回复：{ctx.text[:40]}", ctx.now)
        out = await ctx.svc.book.apply_intent(campaign, answer.intent, me, name, ctx.text, ctx.msg.id, ctx.now)
        await _acknowledge(ctx, campaign, out)
        if q.from_member is not None and q.from_member != me:
            ctx.ack(q.from_member, await ctx.svc.rooms.name_of(campaign.room_id, q.from_member),
                    f"{name}已确认你替她报的单")
        return
    if answer.reply is Reply.DECLINE:
        await questions.settle(ctx.svc, q, "她说不要了", ctx.now)
        ctx.ack(me, name, "好的，这条不记了")
        return
    p = products[0] if products else None
    example = f"{p.name}2{p.unit or '份'}" if p else "草莓2盒"
    if answer.reply is Reply.NOT_THAT:
        again = Question(q.leftover, f"好的，这条还没有记录。请直接写要的「商品+数量」，例如：{example}", ())
    elif answer.reply is Reply.HOW_MANY:
        assert answer.product is not None
        rest = tuple(i for c in question.choices for i in c.intent.items[:-1]
                     if c.intent.items and c.intent.items[-1].product.id == answer.product.id)
        again = how_many(q.leftover, answer.product, rest or question.with_items)
    elif question.choices or question.number_for is not None:  # WHICH: "是" to several readings
        again = question
    else:
        again = Question(q.leftover, f"请直接写要的「商品+数量」，例如：{example}（还没有记录）", ())
    again = replace(again, text=questions.with_an_ask_word(again.text))
    ctx.deadlines_changed |= await questions.ask_again(ctx.svc, campaign, q, again, ctx.now)
    ctx.ack(me, name, again.text, urgent=True)


# Before the owner's drop matcher: "@张三 要大果还是小果？" names no product to sell.
OWNER_ASKS = 6


@router.matcher(priority=OWNER_ASKS, chat=Chat.GROUP, role=Role.ADMIN)
async def owner_asks_a_member(ctx: Context) -> bool:
    """The owner asking a member about her order in her own words: the member's next word answers it."""
    others = [m for m in ctx.msg.mentions if m != ctx.msg.sender.id]
    if not others:
        return False
    campaign = await ctx.svc.campaigns.open_in(ctx.room_id)
    if campaign is None:
        return False
    catalog = catalog_of(await ctx.svc.campaigns.products(campaign.id))
    offered = owner_asks(ctx.text, catalog)
    if offered is None:
        return False
    taken = False
    for member_id in others:
        name = await ctx.svc.rooms.name_of(ctx.room_id, member_id)
        if await questions.owner_asked(ctx.svc, campaign, catalog, member_id, name, offered, ctx.text, ctx.msg.id,
                                    ctx.now):
            taken = True
            ctx.deadlines_changed = True
    return taken


# -- ordering in the private chat -----------------------------------------------------------------
# A member may send her order to the bot privately. With an open campaign in exactly one of her
# groups it is booked there, as if written in the group (everyone else's acknowledgements and the
# group's news as usual), and she is answered privately; with several she is asked which group,
# and her next message, a number, books it.

PENDING_FOR = timedelta(hours=1)


async def _open_groups(ctx: Context) -> list[tuple[str, Campaign]]:
    found = []
    for room_id in await ctx.svc.rooms.rooms_of(ctx.msg.sender.id):
        campaign = await ctx.svc.campaigns.open_in(room_id)
        if campaign is not None:
            found.append((room_id, campaign))
    return found


@router.matcher(priority=ORDERS, chat=Chat.PRIVATE,
                help="私聊我也能下单：直接发「草莓2盒」（在几个群都有团时，我会问你下在哪个群）")
async def private_order(ctx: Context) -> bool:
    member = ctx.msg.sender.id
    pending = await ctx.svc.owner_prefs.pending_order(member)
    if pending is not None and ctx.now - pending[2] <= PENDING_FOR:
        room = _chosen(ctx.text, pending[1])
        if room is not None:
            await ctx.svc.owner_prefs.set_pending_order(member, None, [], ctx.now)
            await _order_in(ctx, room, pending[0])
            return True
    groups = await _open_groups(ctx)
    readable = []
    for room_id, campaign in groups:
        products = await ctx.svc.campaigns.products(campaign.id)
        if parse_order_text(ctx.text, catalog_of(products), max_qty=ctx.svc.settings.max_qty).action \
                is not Action.NONE:
            readable.append((room_id, campaign))
    if not groups:
        return await _closed_privately(ctx)
    if not readable:
        return False  # not an order for any of her groups: chatter, a question
    parsed = parse_copy(ctx.text)
    if parsed is not None and parsed.entries:
        ctx.reply("接龙请发在群里（复制群里的接龙加上自己的一行）；私聊下单直接发「商品+数量」，如「草莓2盒」。")
        return True
    if len(groups) == 1:
        await _order_in(ctx, groups[0][0], ctx.text)
        return True
    rooms = [room_id for room_id, _ in groups]
    await ctx.svc.owner_prefs.set_pending_order(member, ctx.text, rooms, ctx.now)
    lines = [f"{i}. {await ctx.svc.rooms.topic(room_id) or room_id}「{campaign.title}」"
             for i, (room_id, campaign) in enumerate(groups, 1)]
    ctx.reply(f"你在{len(groups)}个群都有进行中的团，「{ctx.text.strip()[:30]}」下在哪个群？回复序号：\n"
              + "\n".join(lines))
    return True


_CHOICE = re.compile(r"^\s*第?\s*(\d{1,2})\s*(?:个|群|号)?\s*[。.!！]?\s*$")


async def _closed_privately(ctx: Context) -> bool:
    """No group of hers has a campaign open: an order for the one that closed is told so."""
    for room_id in await ctx.svc.rooms.rooms_of(ctx.msg.sender.id):
        latest = await ctx.svc.campaigns.latest_in(room_id)
        if latest is None:
            continue
        products = await ctx.svc.campaigns.products(latest.id)
        intent = parse_order_text(ctx.text, catalog_of(products), max_qty=ctx.svc.settings.max_qty)
        if intent.action in (Action.SET, Action.ADD, Action.CHANGE):
            ctx.reply(f"「{latest.title}」已截单，这单没有记录，如需加单请联系团长。")
            return True
    return False


def _chosen(text: str, rooms: list[str]) -> str | None:
    """The group her answer picks: its number in the question ("1", "1群", "第1个")."""
    m = _CHOICE.match(nfkc(text))
    if m is None or not 1 <= int(m.group(1)) <= len(rooms):
        return None
    return rooms[int(m.group(1)) - 1]


async def _order_in(ctx: Context, room_id: str, text: str) -> None:
    """Books her private order in this group's open campaign; her acknowledgement comes privately."""
    campaign = await ctx.svc.campaigns.open_in(room_id)
    topic = await ctx.svc.rooms.topic(room_id) or room_id
    if campaign is None:
        ctx.reply(f"「{topic}」的团已经截单了，这单没有记录。")
        return
    ctx.group_id = room_id
    products = await ctx.svc.campaigns.products(campaign.id)
    intent = parse_order_text(text, catalog_of(products), max_qty=ctx.svc.settings.max_qty)
    if intent.action is Action.NONE:
        example = f"{products[0].name}2{products[0].unit or '份'}"
        ctx.reply(f"没看懂「{text.strip()[:30]}」是要订什么，请写「商品+数量」，如「{example}」。")
        return
    name = await ctx.svc.rooms.name_of(room_id, ctx.msg.sender.id)
    out = await ctx.svc.book.apply_intent(campaign, intent, ctx.msg.sender.id, name, text, ctx.msg.id, ctx.now)
    await _acknowledge(ctx, campaign, out)
    # Her own acknowledgement answers her here, at once; the others' stay gathered in their groups.
    mine = [a for a in ctx.acks if a.member_id == ctx.msg.sender.id and a.room_id == room_id]
    ctx.acks = [a for a in ctx.acks if a not in mine]
    said = "；".join(a.text for a in mine if a.text)
    ctx.reply(f"【{topic}「{campaign.title}」】{said or '已收到'}")
