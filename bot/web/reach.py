"""What one person may see and do on the page, worked out on every request from who she is now.

Owner: her groups, with money. Admin: the group she administers, no money. Partner (合伙人): her
group, with its figures and her own share. Nothing is stored with the session: a partner removed
from her group loses the page with her next tap.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from bot.domain.services import Services


class Role(Enum):
    OWNER = "owner"
    PARTNER = "partner"
    ADMIN = "admin"


@dataclass(frozen=True)
class Reach:
    member_id: str
    groups: dict[str, Role]  # room id -> her role there
    topics: dict[str, str]  # room id -> group name

    def may_act(self, room_id: str) -> bool:
        return room_id in self.groups

    def sees_money(self, room_id: str) -> bool:
        """Money is the owner's (and a partner's, for her own group, as her /汇总 shows)."""
        return self.groups.get(room_id) in (Role.OWNER, Role.PARTNER)

    @property
    def owns_any(self) -> bool:
        return Role.OWNER in self.groups.values()


async def reach_of(svc: Services, member_id: str) -> Reach:
    """Her groups as the chat's scope gives them: owned or administered (a partner is an admin of hers)."""
    groups: dict[str, Role] = {}
    topics: dict[str, str] = {}
    for room_id, topic in await svc.rooms.administered_by(member_id):
        if await svc.rooms.owner(room_id) == member_id:
            role = Role.OWNER
        elif member_id in {m for m, _ in await svc.rooms.partners(room_id)}:
            role = Role.PARTNER
        else:
            role = Role.ADMIN
        groups[room_id] = role
        topics[room_id] = topic or room_id
    return Reach(member_id, groups, topics)
