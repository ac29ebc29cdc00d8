"""Two owners' businesses side by side, for the scope and red-team tests.

甲团长 (wx_a) runs 甲一群 (a1) and 甲二群 (a2) and sells one drop in both, with 15% commission;
管管 (wx_adm) is her admin in a1, 伙伴 (wx_par) her partner in a2 (10%). 乙团长 (wx_b) runs 乙三群 (b1),
where 管管 is her admin too (trusted by both owners) and 甲团长 is a plain member. 路人 (wx_mem) is a member
everywhere. Each group has one buyer with a name and an amount found nowhere else, so any text can be
checked for what it reveals: `Marker`s, and who may see each (`visible_to`, `visible_in`), decided from
the tables themselves, never from the bot's own scope code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.models import Member, Outgoing, RoomInfo, RoomSeen
from storage.db import Database
from tests.harness import Harness

A, B, ADM, PAR, MEM = "wx_a", "wx_b", "wx_adm", "wx_par", "wx_mem"
BUYER = {"a1": "wx_buy1", "a2": "wx_buy2", "b1": "wx_buy3"}
NAMES = {A: "甲团长", B: "乙团长", ADM: "管管", PAR: "伙伴", MEM: "路人", "wx_buy1": "阿一甲", "wx_buy2": "阿二甲",
         "wx_buy3": "阿三乙"}
TOPICS = {"a1": "甲一群", "a2": "甲二群", "b1": "乙三群"}
OWNERS = {"a1": A, "a2": A, "b1": B}
PEOPLE = {"a1": (A, B, ADM, MEM, "wx_buy1"), "a2": (A, PAR, MEM, "wx_buy2"), "b1": (B, A, ADM, MEM, "wx_buy3")}

A_DROP = "/开团 甲鲜果团\n群 全部\n草莓 37元/盒 限量50\n佣金 15%\n截单 11-22 20:00\n自提 甲门口"
B_OPEN = "/开团 乙团秘密\n榴莲 888元/个\n佣金 20%\n截单 11-22 20:00\n自提 乙门口"


@dataclass(frozen=True)
class Marker:
    """A piece of text only some may see: `rooms` are the groups it belongs to; `owner_only`: only their
    owner; `all_rooms`: only someone who runs every one of `rooms` (a whole drop's total)."""

    text: str
    rooms: tuple[str, ...]
    owner_only: bool = False
    all_rooms: bool = False
    in_group: bool = True  # may be posted in each of its rooms


MARKERS = (
    # Each group's own: its name, its buyer, her amount.
    Marker("甲一群", ("a1",)), Marker("阿一甲", ("a1",)), Marker("¥74", ("a1",)),
    Marker("甲二群", ("a2",)), Marker("阿二甲", ("a2",)), Marker("¥111", ("a2",)),
    Marker("乙三群", ("b1",)), Marker("阿三乙", ("b1",)), Marker("¥888", ("b1",)),
    # Each business's: its titles and products.
    Marker("甲鲜果团", ("a1", "a2")), Marker("草莓", ("a1", "a2")),
    Marker("乙团秘密", ("b1",)), Marker("榴莲", ("b1",)),
    # The whole drop's total: only for someone who runs both groups, never posted.
    Marker("¥185", ("a1", "a2"), all_rooms=True, in_group=False),
    # The owners' own: commission, and every partner's share.
    Marker("佣金：¥", ("a1", "a2", "b1"), owner_only=True, in_group=False),
    Marker("¥27.75", ("a1", "a2"), owner_only=True, in_group=False),
    Marker("¥177.60", ("b1",), owner_only=True, in_group=False),
    Marker("合伙人分润", ("a1", "a2", "b1"), owner_only=True, in_group=False),
)


async def staff_rooms(db: Database, member_id: str) -> set[str]:
    """The groups she runs, read from the tables (the owner, or an admin)."""
    rows = await db.fetchall("SELECT id FROM rooms WHERE owner_id = ? UNION SELECT room_id FROM admins "
                             "WHERE member_id = ?", (member_id, member_id))
    return {str(r[0]) for r in rows}


async def leaks(db: Database, out: Outgoing, typed: str = "") -> list[str]:
    """What `out` says that its audience may not see (her own words quoted back are no leak)."""
    found = []
    markers = [m for m in MARKERS if m.text not in typed]
    if out.room_id is not None:
        for m in markers:
            if m.text in out.text and (not m.in_group or out.room_id not in m.rooms):
                found.append(f"{m.text!r} posted in {out.room_id}")
        return found
    assert out.to is not None
    runs = await staff_rooms(db, out.to)
    owns = {room for room, owner in OWNERS.items() if owner == out.to}
    for m in markers:
        if m.text not in out.text:
            continue
        allowed: Callable[[str], bool] = (lambda r: r in owns) if m.owner_only else (lambda r: r in runs)
        ok = all(map(allowed, m.rooms)) if m.all_rooms else any(map(allowed, m.rooms))
        if not ok:
            found.append(f"{m.text!r} told to {out.to}")
    return found


async def room_state(db: Database, room: str) -> tuple[object, ...]:
    """Everything of one group a command could change (not who was last seen in it)."""
    queries = [
        ("SELECT id, status, title, close_at, drop_id, fulfilled, arrived_at FROM campaigns WHERE room_id = ? "
         "ORDER BY id"),
        ("SELECT l.id, l.member_id, l.live, i.product_id, i.qty FROM lines l JOIN campaigns c ON c.id = l.campaign_id "
         "LEFT JOIN items i ON i.line_id = l.id WHERE c.room_id = ? ORDER BY l.id, i.product_id"),
        ("SELECT f.member_id, f.paid_cents, f.pickup_code, f.collected_at FROM fulfilment f JOIN campaigns c "
         "ON c.id = f.campaign_id WHERE c.room_id = ? ORDER BY f.member_id"),
        "SELECT id, kind, run_at, status FROM schedules WHERE room_id = ? ORDER BY id",
        "SELECT kind, text FROM template_overrides WHERE room_id = ? ORDER BY kind",
        "SELECT id, answered_at FROM qa_asked WHERE room_id = ? ORDER BY id",
        "SELECT member_id FROM admins WHERE room_id = ? ORDER BY member_id",
        "SELECT member_id, commission_bp FROM partners WHERE room_id = ? ORDER BY member_id",
        "SELECT number, question, answer FROM qa_pairs WHERE room_id = ? ORDER BY number",
        ("SELECT u.id, u.settled_at FROM unreadable u JOIN campaigns c ON c.id = u.campaign_id WHERE c.room_id = ? "
         "ORDER BY u.id"),
    ]
    state: list[object] = []
    for sql in queries:
        state.append(tuple(tuple(r) for r in await db.fetchall(sql, (room,))))
    return tuple(state)


ORDERS = {"a1": "草莓2盒", "a2": "草莓3盒", "b1": "榴莲1个"}  # the amounts MARKERS name
OTHER_ORDERS = {"a1": "草莓5盒", "a2": "草莓7盒", "b1": "榴莲4个"}  # another world, for non-interference


async def build(bot: Harness, orders: dict[str, str] | None = None) -> None:
    """The two businesses, with a drop open in 甲's groups and a campaign in 乙's, one order in each group
    (`orders`, by group), a line waiting on each check list and a question forwarded to 乙."""
    orders = {**ORDERS, **(orders or {})}
    for room, topic in TOPICS.items():
        members = tuple(Member(m, NAMES[m]) for m in PEOPLE[room])
        await bot.app.on_event(RoomSeen(RoomInfo(room, topic, OWNERS[room], members)))
    await bot.say(A, "/管理员 添加 @管管", room="a1", mentions=(ADM,))
    await bot.say(A, "/合伙人 添加 @伙伴 佣金10%", room="a2", mentions=(PAR,))
    await bot.say(B, "/管理员 添加 @管管", room="b1", mentions=(ADM,))
    await bot.say(A, A_DROP, room=None)
    await bot.say(B, B_OPEN, room="b1")
    for room, buyer in BUYER.items():
        await bot.say(buyer, orders[room], room=room, name=NAMES[buyer])
    await bot.say("wx_buy1", "草莓甜吗？甜的话要3盒", room="a1", name=NAMES["wx_buy1"])
    await bot.say("wx_buy3", "榴莲甜吗？甜的话要3个", room="b1", name=NAMES["wx_buy3"])
    await bot.say(B, "/问答 榴莲产地 = 泰国金枕", room="b1")
    await bot.say("wx_buy3", "榴莲几号到货？", room="b1", name=NAMES["wx_buy3"])
    await bot.settle()
    bot.take()
