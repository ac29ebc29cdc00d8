"""Members' questions: answered from the owner's 质量问答, repeats gathered, the rest forwarded to her.

Everything runs inside the caller's transaction and returns what to say. Two
kinds of waiting need time to pass — repeats gathered into one pointer, and
unanswered questions gathered into one private message — and both wait as rows
in `qa_asked`, sent by a calendar job (`qa_repeats`, `qa_forward`) the first
waiting row schedules: no timer of their own, durable across restarts, and on
the transcript's clock in a replay.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.domain.services import Services
from bot.models import Member, Outgoing
from bot.parsing.question import Products, QuestionIndex, read_pair, worth_forwarding
from storage.qa import Asked, QaPair

FORWARD_JOB = "qa_forward"
REPEATS_JOB = "qa_repeats"
MAX_FORWARDED = 20


@dataclass
class Heard:
    """What a member's question leads to: posts now, and whether it was taken."""

    taken: bool = False
    posts: list[Outgoing] = field(default_factory=list)
    schedules_changed: bool = False


def answer_post(room_id: str, askers: Sequence[tuple[str, str]], answer: str) -> Outgoing:
    """The owner's answer as she wrote it, @-mentioning whoever asked."""
    mentions = " ".join(f"@{name}" for _, name in askers)
    return Outgoing(text=f"{mentions} {answer}", room_id=room_id, mentions=tuple(m for m, _ in askers))


async def _ensure_job(svc: Services, room_id: str, kind: str, at: datetime, now: datetime) -> bool:
    if any(s.kind == kind for s in await svc.schedules.pending_in(room_id)):
        return False
    await svc.schedules.add(room_id, kind, at, {}, "bot", now)
    return True


async def on_question(svc: Services, room_id: str, member: Member, text: str, msg_id: str, now: datetime,
                      products: Products) -> Heard:
    index = await svc.qa.index(room_id)
    found = index.match(text, products)
    heard = Heard()
    if found is not None:
        pair = next(p for p in await svc.qa.pairs(room_id) if p.id == found.id)
        heard.taken = True
        last = pair.last_posted_at
        if last is not None and now - last < svc.settings.answer_repeat:
            await svc.qa.ask(room_id, member.id, member.name, text, msg_id, now, pair_id=pair.id)
            heard.schedules_changed = await _ensure_job(svc, room_id, REPEATS_JOB, now + svc.settings.repeat_gather,
                                                        now)
            return heard
        await svc.qa.mark_posted(pair, now)
        heard.posts.append(answer_post(room_id, [(member.id, member.name)], pair.answer))
        return heard
    if not worth_forwarding(text, products):
        return heard
    heard.taken = True
    await svc.qa.ask(room_id, member.id, member.name, text, msg_id, now)
    last = await svc.qa.last_sent(room_id, repeats=False)
    if last is None or now - last >= svc.settings.forward_every:
        heard.posts.extend(await forward_waiting(svc, room_id, now))
    else:
        heard.schedules_changed = await _ensure_job(svc, room_id, FORWARD_JOB, last + svc.settings.forward_every,
                                                    now)
    return heard


async def forward_waiting(svc: Services, room_id: str, now: datetime) -> list[Outgoing]:
    """The group's unanswered questions, as one private message to its owner."""
    waiting = await svc.qa.waiting(room_id, repeats=False)
    owner = await svc.rooms.owner(room_id)
    if not waiting or owner is None:
        return []
    await svc.qa.mark_sent([a.id for a in waiting], now)
    topic = await svc.rooms.topic(room_id) or room_id
    lines = [f"❓ 「{topic}」有{len(waiting)}个问题还没有现成的回答："]
    # A flood of questions is still one readable message: the latest ones, and how many more.
    shown = waiting[-MAX_FORWARDED:]
    if len(shown) < len(waiting):
        lines.append(f"（较早的{len(waiting) - len(shown)}个没有列出）")
    lines += [f"#{a.id} {a.name}（{a.asked_at:%H:%M}）：{a.text}" for a in shown]
    first = shown[0].id
    lines.append(f"回复：/问答 回复 {first} 答案 —— 会在群里@她，并存成问答，下次自动回答"
                 f"（只回复不保存：/问答 只回复 {first} 答案）")
    return [Outgoing(text="\n".join(lines), to=owner)]


async def point_repeats(svc: Services, room_id: str, now: datetime) -> list[Outgoing]:
    """Members who asked what was just answered: one pointer per answer, mentioning them all."""
    waiting = await svc.qa.waiting(room_id, repeats=True)
    if not waiting:
        return []
    await svc.qa.mark_sent([a.id for a in waiting], now)
    by_pair: dict[int, list[Asked]] = {}
    # After downtime "just answered" is no longer true: stale repeats are dropped.
    for a in (a for a in waiting if now - a.asked_at <= svc.settings.answer_repeat):
        assert a.pair_id is not None
        by_pair.setdefault(a.pair_id, []).append(a)
    posts = []
    for pair_id, askers in by_pair.items():
        pair = await svc.qa.get(pair_id)
        if pair is None:
            continue  # removed meanwhile: nothing right to point to
        members = list(dict.fromkeys((a.member_id, a.name) for a in askers))
        at = f"{pair.last_posted_at:%H:%M}" if pair.last_posted_at else ""
        mentions = " ".join(f"@{name}" for _, name in members)
        posts.append(Outgoing(text=f"{mentions} 「{pair.question}」团长{at}刚回答过，往上翻一下哦👆",
                              room_id=room_id, mentions=tuple(m for m, _ in members)))
    return posts


async def reply_to(svc: Services, asked: Asked, answer: str, by: str, now: datetime,
                   save: bool) -> tuple[Outgoing, list[Asked], QaPair | None]:
    """The owner answers a forwarded question: one post in the group mentioning
    everyone waiting on the same question, and (`save`) a new pair for next time."""
    pair: QaPair | None = None
    if save:
        pair, _ = await svc.qa.put(asked.room_id, asked.text, answer, by, now)
        await svc.qa.mark_posted(pair, now)
    one = QuestionIndex([read_pair(0, asked.text, answer)])
    since = now - timedelta(days=1)  # the same day's questions, not last week's
    askers = [asked] + [a for a in await svc.qa.unanswered_since(asked.room_id, since)
                        if a.id != asked.id and one.match(a.text) is not None]
    await svc.qa.mark_answered([a.id for a in askers], now)
    members = list(dict.fromkeys((a.member_id, a.name) for a in askers))
    return answer_post(asked.room_id, members, answer), askers, pair


async def save_spec_pairs(svc: Services, room_id: str, pairs: Sequence[tuple[str, str]], by: str,
                          now: datetime) -> int:
    """`问 … 答 …` lines of a /开团 or /定时开团; the same question again replaces its answer."""
    for question, answer in pairs:
        await svc.qa.put(room_id, question, answer, by, now)
    return len(pairs)
