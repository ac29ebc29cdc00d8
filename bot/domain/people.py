"""Naming a member without an @: what an owner types in her private chat, where there is no @.

`张三` (her display name, or a part of it only she has), `3-502` (the house number on her 接龙 line),
`101` (her pickup code) or `1` (the first person of the list the bot last showed the owner: /未付,
/未取, or a "which one?" question) all name one member. Identity stays the member id: the words
only choose among the members of the groups the command is about, and when they fit several
people the owner is shown them numbered ("which one?") and answers with the number — nothing is
done for a guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from bot.domain.services import Services
from bot.parsing.items import house_numbers
from bot.parsing.textnorm import key_of, nfkc
from storage.records import Campaign


@dataclass(frozen=True)
class Person:
    member_id: str
    name: str
    room_id: str  # the group she is named in (a list's group, her order's, else her first of the scope)
    hint: str = ""  # what tells her from another of the same name: her 接龙 label, or whether she ordered


@dataclass(frozen=True)
class Ambiguous:
    """Several people fit: the owner is asked which one, by number."""

    words: str
    choices: tuple[Person, ...]


Found = Person | Ambiguous | None


def _digits(words: str) -> str | None:
    text = nfkc(words).strip().lstrip("#")
    return text if text.isdigit() and len(text) <= 9 else None


async def find_person(svc: Services, owner_id: str, words: str, rooms: Sequence[str],
                      campaigns: Sequence[Campaign] = (), *, prefer: set[str] | None = None) -> Found:
    """The one member of `rooms` that `words` names, the people it could be, or None.

    `campaigns`: the parts whose pickup codes and 接龙 house numbers count; `prefer`: members the
    command is about (buyers, for a payment): when several fit and exactly one of them is preferred,
    it is her."""
    words = words.strip().lstrip("@").strip()
    if not words or not rooms:
        return None
    found: dict[str, Person] = {}

    def add(room_id: str, member_id: str, name: str) -> None:
        if room_id in rooms:
            found.setdefault(member_id, Person(member_id, name, room_id))

    number = _digits(words)
    if number is not None:
        shown = await svc.owner_prefs.shown_list(owner_id)
        if 1 <= int(number) <= len(shown):
            room_id, member_id = shown[int(number) - 1]
            add(room_id, member_id, await svc.rooms.name_of(room_id, member_id))
        for campaign in campaigns:
            state = await svc.fulfilment.by_code(campaign.id, number)
            if state is not None:
                add(campaign.room_id, state.member_id, await svc.rooms.name_of(campaign.room_id, state.member_id))
    houses = house_numbers(words)
    if houses and len(houses) == 1:
        for campaign in campaigns:
            for member_id in sorted(await svc.orders.members_at(campaign.id, houses[0])):
                add(campaign.room_id, member_id, await svc.rooms.name_of(campaign.room_id, member_id))
    if not found and number is None and not houses:
        for person in await _by_name(svc, words, rooms):
            add(person.room_id, person.member_id, person.name)
    people = list(found.values())
    if len(people) > 1 and prefer:
        preferred = [p for p in people if p.member_id in prefer]
        if len(preferred) == 1:
            return preferred[0]
    if len(people) == 1:
        return people[0]
    return Ambiguous(words, tuple([await _with_hint(svc, p, campaigns) for p in people])) if people else None


async def _with_hint(svc: Services, person: Person, campaigns: Sequence[Campaign]) -> Person:
    """Two members may show the same name: her 接龙 label (3-502 张三) or whether she ordered tells them apart."""
    for campaign in campaigns:
        if campaign.room_id == person.room_id:
            products = await svc.campaigns.products(campaign.id)
            order = await svc.orders.member_order(campaign.id, person.member_id, person.name, products)
            hint = order.label if order.label != person.name else ("已下单" if order.items else "没有下单")
            return replace(person, hint=hint)
    return person


async def _by_name(svc: Services, words: str, rooms: Sequence[str]) -> list[Person]:
    """Members whose display name is `words` (as a key: case, spaces and symbols aside), else whose
    name contains it."""
    key = key_of(words)
    if not key:
        return []
    exact: list[Person] = []
    part: list[Person] = []
    for room_id in rooms:
        for member_id, name in await svc.rooms.members(room_id):
            name_key = key_of(name)
            if name_key == key:
                exact.append(Person(member_id, name, room_id))
            elif key in name_key:
                part.append(Person(member_id, name, room_id))
    return exact or part


async def remember_list(svc: Services, owner_id: str, people: Sequence[tuple[str, str]], now: datetime) -> None:
    """The numbered list just shown to her, as (room id, member id) by number: her next "1" is its first."""
    await svc.owner_prefs.set_shown_list(owner_id, list(people), now)


async def which_one(svc: Services, owner_id: str, found: Ambiguous, example: str, now: datetime) -> str:
    """The question for a name that fits several people; her numbered answer is remembered."""
    await remember_list(svc, owner_id, [(p.room_id, p.member_id) for p in found.choices], now)
    groups = {p.room_id for p in found.choices}
    lines = []
    for i, p in enumerate(found.choices, 1):
        notes = [await svc.rooms.topic(p.room_id) or p.room_id] if len(groups) > 1 else []
        notes += [p.hint] if p.hint else []
        lines.append(f"{i}. {p.name}" + (f"（{'，'.join(notes)}）" if notes else ""))
    return (f"「{found.words}」对得上{len(found.choices)}位，是哪一位？\n" + "\n".join(lines)
            + f"\n请用序号再发一次，例如：{example}")


NOT_FOUND_HINT = "可以写群昵称（或其中只有她有的几个字）、门牌号（如 3-502）、取货码，或 /未付 列表里的序号"


def not_found(words: str) -> str:
    return f"没有找到「{words.strip()}」。{NOT_FOUND_HINT}。"
