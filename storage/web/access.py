"""Logging in to the web page: one-time links and browser sessions, both kept only as hashes.

A link's token and a session's cookie value are random (`secrets`, 256 bits); the
database holds their SHA-256, so a copy of the file logs nobody in. A slow hash
adds nothing for values that cannot be guessed. Times are compared as instants
in Python (stored offsets differ), like campaign deadlines.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.campaigns import ts
from storage.db import Database, NothingChanged


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Session:
    member_id: str
    csrf: str
    expires_at: datetime


class WebAccessRepo:
    # Sessions held in memory at most; beyond that the cache starts again (one shop has a few).
    KEEP = 1000

    def __init__(self, db: Database) -> None:
        self.db = db
        # Every tap on the page asks who she is: the sessions read are kept here, by the digest of
        # their cookie, and dropped by the only calls that end them (and on a rollback).
        self._sessions: dict[str, Session] = {}
        db.on_rollback(self._forget)

    def _forget(self) -> None:
        self._sessions.clear()

    # -- one-time links ---------------------------------------------------------

    def add_link(self, member_id: str, now: datetime, valid: timedelta) -> str:
        """A new link token for her (inside the caller's transaction); only its hash is written."""
        token = new_secret()
        self.db.write("INSERT INTO web_links (token_hash, member_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                      (digest(token), member_id, ts(now), ts(now + valid)))
        return token

    async def link_holder(self, token: str, now: datetime) -> str | None:
        """Whose link this is, while it is unused and in time; None for a used, expired or forged one."""
        row = await self.db.fetchone("SELECT member_id, expires_at, used_at FROM web_links WHERE token_hash = ?",
                                     (digest(token),))
        if row is None or row["used_at"] is not None or datetime.fromisoformat(row["expires_at"]) <= now:
            return None
        return str(row["member_id"])

    async def use_link(self, token: str, now: datetime, valid: timedelta) -> tuple[str, Session] | None:
        """Spends the link and opens a session for its holder, in one transaction: (cookie value, session),
        or None when the link is used, expired or forged. Two browsers racing with one link: one wins."""
        try:
            async with self.db.transaction():
                member_id = await self.link_holder(token, now)
                if member_id is None:
                    return None
                self.db.write("UPDATE web_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL",
                              (ts(now), digest(token)), must_change=True)
                cookie = new_secret()
                session = Session(member_id, new_secret(), now + valid)
                self.db.write("INSERT INTO web_sessions (id_hash, member_id, csrf, created_at, expires_at) "
                              "VALUES (?, ?, ?, ?, ?)",
                              (digest(cookie), member_id, session.csrf, ts(now), ts(session.expires_at)))
        except NothingChanged:
            return None
        return cookie, session

    # -- sessions -----------------------------------------------------------------

    async def session(self, cookie: str, now: datetime) -> Session | None:
        """The session of a cookie while it has not ended or expired."""
        key = digest(cookie)
        found = self._sessions.get(key)
        if found is None:
            row = await self.db.fetchone("SELECT member_id, csrf, expires_at, ended_at FROM web_sessions "
                                         "WHERE id_hash = ?", (key,))
            if row is None or row["ended_at"] is not None:
                return None
            found = Session(str(row["member_id"]), str(row["csrf"]), datetime.fromisoformat(row["expires_at"]))
            if len(self._sessions) >= self.KEEP:
                self._sessions.clear()
            self._sessions[key] = found
        return found if found.expires_at > now else None

    async def end(self, cookie: str, now: datetime) -> None:
        """One browser logs out."""
        self._sessions.pop(digest(cookie), None)
        async with self.db.transaction():
            self.db.write("UPDATE web_sessions SET ended_at = ? WHERE id_hash = ? AND ended_at IS NULL",
                          (ts(now), digest(cookie)))

    async def end_all(self, member_id: str, now: datetime) -> int:
        """Every session of hers ends, and every link she has not used yet (inside the caller's transaction):
        how many browsers were logged in."""
        for key in [k for k, v in self._sessions.items() if v.member_id == member_id]:
            del self._sessions[key]
        rows = await self.db.fetchall("SELECT expires_at FROM web_sessions WHERE member_id = ? AND ended_at IS NULL",
                                      (member_id,))
        live = sum(1 for r in rows if datetime.fromisoformat(r["expires_at"]) > now)
        self.db.write("UPDATE web_sessions SET ended_at = ? WHERE member_id = ? AND ended_at IS NULL",
                      (ts(now), member_id))
        self.db.write("UPDATE web_links SET used_at = ? WHERE member_id = ? AND used_at IS NULL", (ts(now), member_id))
        return live

    # -- the group's choice of pickup cards -----------------------------------------

    async def qr_cards(self, room_id: str) -> bool:
        row = await self.db.fetchone("SELECT qr_cards FROM web_prefs WHERE room_id = ?", (room_id,))
        return bool(row and row["qr_cards"])

    def set_qr_cards(self, room_id: str, on: bool) -> None:
        self.db.write("INSERT INTO web_prefs (room_id, qr_cards) VALUES (?, ?) "
                      "ON CONFLICT (room_id) DO UPDATE SET qr_cards = excluded.qr_cards", (room_id, int(on)))
