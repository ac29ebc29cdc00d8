"""Groups, their members and admins. Identity is the member id, never a name."""

from __future__ import annotations

from bot.parsing.textnorm import key_of
from storage.db import Database


class RoomRepo:
    """Every message asks who its sender is; these answers are cached here, the
    only place that changes them, and dropped on a rollback."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._owners: dict[str, str | None] = {}
        self._admins: dict[str, set[str]] = {}
        self._names: dict[tuple[str, str], str] = {}
        # Per group, member ids by the key of their display name: who a 接龙 line
        # the bot never saw names. Loaded once per group, kept in step below.
        self._by_name: dict[str, dict[str, set[str]]] = {}
        db.on_rollback(self._forget)

    def _forget(self) -> None:
        self._owners.clear()
        self._admins.clear()
        self._names.clear()
        self._by_name.clear()

    async def upsert_room(self, room_id: str, topic: str, owner_id: str | None) -> None:
        await self.db.execute(
            "INSERT INTO rooms (id, topic, owner_id) VALUES (?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET topic = excluded.topic, "
            "owner_id = COALESCE(excluded.owner_id, rooms.owner_id)",
            (room_id, topic, owner_id),
        )
        self._owners.pop(room_id, None)

    async def remember_member(self, room_id: str, member_id: str, name: str) -> None:
        old = self._names.get((room_id, member_id))
        if old == name:
            return
        self._names[(room_id, member_id)] = name
        index = self._by_name.get(room_id)
        if index is not None:
            if old is not None:
                index.get(key_of(old), set()).discard(member_id)
            index.setdefault(key_of(name), set()).add(member_id)
        self.db.write(
            "INSERT INTO members (room_id, member_id, name) VALUES (?, ?, ?) "
            "ON CONFLICT (room_id, member_id) DO UPDATE SET name = excluded.name "
            "WHERE members.name != excluded.name",
            (room_id, member_id, name),
        )

    async def owner(self, room_id: str) -> str | None:
        if room_id not in self._owners:
            row = await self.db.fetchone("SELECT owner_id FROM rooms WHERE id = ?", (room_id,))
            self._owners[room_id] = row["owner_id"] if row else None
        return self._owners[room_id]

    async def topic(self, room_id: str) -> str:
        row = await self.db.fetchone("SELECT topic FROM rooms WHERE id = ?", (room_id,))
        return str(row["topic"]) if row else ""

    async def _admin_set(self, room_id: str) -> set[str]:
        if room_id not in self._admins:
            rows = await self.db.fetchall("SELECT member_id FROM admins WHERE room_id = ?", (room_id,))
            self._admins[room_id] = {str(r["member_id"]) for r in rows}
        return self._admins[room_id]

    async def is_admin(self, room_id: str, member_id: str) -> bool:
        return member_id == await self.owner(room_id) or member_id in await self._admin_set(room_id)

    async def add_admin(self, room_id: str, member_id: str, added_by: str) -> None:
        await self.db.execute(
            "INSERT OR IGNORE INTO admins (room_id, member_id, added_by) VALUES (?, ?, ?)",
            (room_id, member_id, added_by),
        )
        self._admins.pop(room_id, None)

    async def remove_admin(self, room_id: str, member_id: str) -> bool:
        before = await self.is_admin(room_id, member_id)
        await self.db.execute("DELETE FROM admins WHERE room_id = ? AND member_id = ?", (room_id, member_id))
        self._admins.pop(room_id, None)
        return before

    async def add_partner(self, room_id: str, member_id: str, commission_bp: int, added_by: str,
                          added_at: str) -> None:
        """Makes her a partner of the group (and an admin of it), or changes her rate."""
        await self.db.execute(
            "INSERT INTO partners (room_id, member_id, commission_bp, added_by, added_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (room_id, member_id) DO UPDATE SET commission_bp = excluded.commission_bp",
            (room_id, member_id, commission_bp, added_by, added_at),
        )
        await self.add_admin(room_id, member_id, added_by)

    async def remove_partner(self, room_id: str, member_id: str) -> bool:
        """Ends the partnership and her admin rights in the group; False when she was not a partner."""
        found = await self.db.fetchone("SELECT 1 FROM partners WHERE room_id = ? AND member_id = ?",
                                       (room_id, member_id))
        if found is None:
            return False
        await self.db.execute("DELETE FROM partners WHERE room_id = ? AND member_id = ?", (room_id, member_id))
        if member_id != await self.owner(room_id):
            await self.remove_admin(room_id, member_id)
        return True

    async def partners(self, room_id: str) -> list[tuple[str, int]]:
        """(member id, commission in basis points) of the group's partners, in the order added."""
        rows = await self.db.fetchall(
            "SELECT member_id, commission_bp FROM partners WHERE room_id = ? ORDER BY rowid", (room_id,))
        return [(str(r[0]), int(r[1])) for r in rows]

    async def admins(self, room_id: str) -> list[str]:
        rows = await self.db.fetchall("SELECT member_id FROM admins WHERE room_id = ? ORDER BY rowid", (room_id,))
        owner = await self.owner(room_id)
        ids = [str(r["member_id"]) for r in rows]
        return ([owner] if owner else []) + [i for i in ids if i != owner]

    async def name_of(self, room_id: str, member_id: str) -> str:
        if (room_id, member_id) in self._names:
            return self._names[(room_id, member_id)]
        row = await self.db.fetchone(
            "SELECT name FROM members WHERE room_id = ? AND member_id = ?", (room_id, member_id)
        )
        return str(row["name"]) if row else member_id

    async def is_member(self, room_id: str, member_id: str) -> bool:
        """Whether the bot has seen her in the group (its member list, or a message from her)."""
        if (room_id, member_id) in self._names:
            return True
        row = await self.db.fetchone("SELECT 1 FROM members WHERE room_id = ? AND member_id = ?", (room_id, member_id))
        return row is not None
    async def members_named(self, room_id: str, name_key: str) -> set[str]:
        """Members of the group whose display name has this key (key_of)."""
        index = self._by_name.get(room_id)
        if index is None:
            rows = await self.db.fetchall("SELECT member_id, name FROM members WHERE room_id = ?", (room_id,))
            index = {}
            for r in rows:
                index.setdefault(key_of(str(r["name"])), set()).add(str(r["member_id"]))
            self._by_name[room_id] = index
        return set(index.get(name_key, ()))

    async def members(self, room_id: str) -> list[tuple[str, str]]:
        """(member id, display name) of everyone the bot has seen in the group, in the order first seen."""
        rows = await self.db.fetchall("SELECT member_id, name FROM members WHERE room_id = ? ORDER BY rowid",
                                      (room_id,))
        return [(str(r[0]), str(r[1])) for r in rows]

    async def administered_by(self, member_id: str) -> list[tuple[str, str]]:
        """(room id, topic) of the groups she owns or administers, oldest first: /群 numbers them so,
        and a group added later gets the next number without renumbering the others."""
        rows = await self.db.fetchall(
            "SELECT id, topic FROM rooms WHERE owner_id = ? OR id IN "
            "(SELECT room_id FROM admins WHERE member_id = ?) ORDER BY rowid", (member_id, member_id))
        return [(str(r["id"]), str(r["topic"])) for r in rows]

    async def staff_groups(self, owner_id: str, member_id: str) -> list[str]:
        """The owner's groups (oldest first) that `member_id` may act on: all of them for the owner
        herself, else those where she is an admin. The scope rule (bot/domain/scope.py) reads this."""
        if member_id == owner_id:
            rows = await self.db.fetchall("SELECT id FROM rooms WHERE owner_id = ? ORDER BY rowid", (owner_id,))
        else:
            rows = await self.db.fetchall(
                "SELECT id FROM rooms WHERE owner_id = ? AND id IN (SELECT room_id FROM admins WHERE member_id = ?) "
                "ORDER BY rowid", (owner_id, member_id))
        return [str(r["id"]) for r in rows]

    async def shares_of(self, member_id: str) -> dict[str, int]:
        """Her partner rates (basis points) by group."""
        rows = await self.db.fetchall("SELECT room_id, commission_bp FROM partners WHERE member_id = ?",
                                      (member_id,))
        return {str(r[0]): int(r[1]) for r in rows}

    async def rooms_of(self, member_id: str) -> list[str]:
        rows = await self.db.fetchall("SELECT room_id FROM members WHERE member_id = ?", (member_id,))
        return [str(r["room_id"]) for r in rows]
