"""What one person may see and do on the page: the chat's own scope rule (bot/domain/scope.py), for
every business she is staff in, worked out on every request from who she is now.

Nothing is decided here that the rule does not say: she may act on the groups her scopes cover;
amounts and payments are staff's to see (owner, admin, partner), the owner's commission only the
owner's, a partner's share only hers. Nothing is stored with the session: a partner removed from
her group loses the page with her next tap.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.scope import Scope, scopes_of
from bot.domain.services import Services


@dataclass(frozen=True)
class Reach:
    member_id: str
    scopes: tuple[Scope, ...]  # one per business she is staff in, her own first
    topics: dict[str, str]  # room id -> group name, for the groups she may act on

    def scope(self, room_id: str) -> Scope | None:
        """Her scope in the business of `room_id`, when she may act on it."""
        return next((s for s in self.scopes if s.covers(room_id)), None)

    def may_act(self, room_id: str) -> bool:
        return self.scope(room_id) is not None

    def sees_owner_figures(self, room_id: str) -> bool:
        scope = self.scope(room_id)
        return scope is not None and scope.sees_owner_figures

    def share(self, room_id: str) -> int | None:
        """Her partner rate (basis points) in this group, when she is its partner."""
        scope = self.scope(room_id)
        return scope.shares.get(room_id) if scope is not None else None

    @property
    def groups(self) -> list[str]:
        return [room for s in self.scopes for room in s.groups]


async def reach_of(svc: Services, member_id: str) -> Reach:
    scopes = tuple(await scopes_of(svc.rooms, member_id))
    rooms = {room for s in scopes for room in s.groups}
    topics = {room: topic or room for room, topic in await svc.rooms.administered_by(member_id) if room in rooms}
    return Reach(member_id, scopes, topics)
