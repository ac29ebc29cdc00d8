"""What the bot keeps of someone's private chat with it: an owner's group she works on, her digest
time, the numbered list of people it last showed her (her "/已付 1" names its first person); and a
member's order sent privately while the bot asks her which group it is for."""

from __future__ import annotations

import json
from datetime import datetime

from storage.campaigns import ts
from storage.db import Database


class OwnerPrefsRepo:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def focus(self, member_id: str) -> str | None:
        row = await self.db.fetchone("SELECT room_id FROM owner_prefs WHERE member_id = ?", (member_id,))
        return str(row["room_id"]) if row and row["room_id"] is not None else None

    async def set_focus(self, member_id: str, room_id: str, now: datetime) -> None:
        await self.db.execute(
            "INSERT INTO owner_prefs (member_id, room_id, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (member_id) DO UPDATE SET room_id = excluded.room_id, updated_at = excluded.updated_at",
            (member_id, room_id, ts(now)),
        )

    async def digest_at(self, member_id: str) -> str | None:
        row = await self.db.fetchone("SELECT digest_at FROM owner_prefs WHERE member_id = ?", (member_id,))
        return str(row["digest_at"]) if row and row["digest_at"] is not None else None

    async def set_digest(self, member_id: str, hhmm: str | None, now: datetime) -> None:
        await self.db.execute(
            "INSERT INTO owner_prefs (member_id, digest_at, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (member_id) DO UPDATE SET digest_at = excluded.digest_at, updated_at = excluded.updated_at",
            (member_id, hhmm, ts(now)),
        )

    async def shown_list(self, member_id: str) -> list[tuple[str, str]]:
        """(room id, member id) by number, less one: the people the bot last listed for her."""
        row = await self.db.fetchone("SELECT shown_list FROM owner_prefs WHERE member_id = ?", (member_id,))
        if row is None or not row["shown_list"]:
            return []
        return [(str(room), str(member)) for room, member in json.loads(row["shown_list"])]

    async def set_shown_list(self, member_id: str, people: list[tuple[str, str]], now: datetime) -> None:
        await self.db.execute(
            "INSERT INTO owner_prefs (member_id, shown_list, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (member_id) DO UPDATE SET shown_list = excluded.shown_list, updated_at = excluded.updated_at",
            (member_id, json.dumps(people, ensure_ascii=False), ts(now)),
        )

    async def pending_order(self, member_id: str) -> tuple[str, list[str], datetime] | None:
        """(her words, the groups she was asked to choose from, when) of an order waiting for her answer."""
        row = await self.db.fetchone("SELECT pending_order FROM owner_prefs WHERE member_id = ?", (member_id,))
        if row is None or not row["pending_order"]:
            return None
        data = json.loads(row["pending_order"])
        return str(data["text"]), [str(r) for r in data["rooms"]], datetime.fromisoformat(data["at"])

    async def set_pending_order(self, member_id: str, text: str | None, rooms: list[str], now: datetime) -> None:
        """Keeps her private order while she is asked which group (None: answered, forget it)."""
        value = json.dumps({"text": text, "rooms": rooms, "at": ts(now)}, ensure_ascii=False) if text else None
        await self.db.execute(
            "INSERT INTO owner_prefs (member_id, pending_order, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (member_id) DO UPDATE SET pending_order = excluded.pending_order, "
            "updated_at = excluded.updated_at",
            (member_id, value, ts(now)),
        )
