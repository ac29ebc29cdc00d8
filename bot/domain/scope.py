"""The one scope rule: which groups someone may act on, and what of them she may see.

Every group belongs to one business, its owner's: the 群主 the chat service reports (`rooms.owner_id`).
Someone's standing is decided by her member id alone, never by a display name, and only ever within
the business of the group she is acting on:

- OWNER: may act on every group of hers, and sees everything of them: money, commission, debts,
  every partner's share, statistics.
- ADMIN: may act on the owner's groups where she is an admin; sees their orders, amounts and
  payments, never the owner's commission or a partner's share.
- PARTNER: an admin with a share (`Scope.shares`) of some of those groups' sales: as an admin, plus
  her own share and nobody else's.
- MEMBER: acts on no group; sees her own orders.

- `Scope.group` is the group the message is about (where it was typed, or the group picked in her
  private chat); `Scope.targets` the groups the command applies to: that group, or the groups a
  `群 …` line names, every one of them inside `groups` — so a drop never spans two owners, and an
  admin trusted by two owners acts for one of them at a time.
- A drop-wide action (closing every group, the whole drop's workbook, arrival everywhere) needs every
  part covered (`covers_all`); otherwise it applies to the parts she covers (`parts_in_scope`) or is
  refused.
- Reports, exports, templates and statistics are computed over `groups` (or `targets`) only, and the
  owner's own figures (commission, costs, every partner's share) only when `sees_owner_figures`.

Who resolves it: bot/app/scope.py, before any command runs (`ctx.scope`); a web page calls
`scope_of`/`scopes_of` with the member id it logged in. No handler decides permissions by itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import Enum

from storage.campaigns import CampaignRepo
from storage.records import Campaign
from storage.rooms import RoomRepo


class Standing(Enum):
    OWNER = "owner"
    ADMIN = "admin"
    PARTNER = "partner"
    MEMBER = "member"


@dataclass(frozen=True)
class Scope:
    member_id: str
    standing: Standing = Standing.MEMBER
    owner_id: str | None = None  # whose business `groups` are
    group: str | None = None  # the group the message is about
    groups: tuple[str, ...] = ()  # every group of the business she may act on, oldest first
    targets: tuple[str, ...] = ()  # the groups the command applies to (within `groups`)
    share_rates: tuple[tuple[str, int], ...] = ()  # a partner's rate (basis points) per group of hers

    @property
    def is_owner(self) -> bool:
        return self.standing is Standing.OWNER

    @property
    def is_staff(self) -> bool:
        """Owner, admin or partner of the group: she may give its owner's commands."""
        return self.standing is not Standing.MEMBER

    @property
    def sees_owner_figures(self) -> bool:
        """Commission, costs, every partner's share, the whole business's statistics: the owner's alone."""
        return self.standing is Standing.OWNER

    @property
    def shares(self) -> dict[str, int]:
        return dict(self.share_rates)

    def covers(self, room_id: str | None) -> bool:
        return room_id is not None and room_id in self.groups

    def covers_all(self, room_ids: Iterable[str]) -> bool:
        rooms = list(room_ids)
        return bool(rooms) and all(r in self.groups for r in rooms)

    def aimed_at(self, room_ids: Iterable[str]) -> Scope:
        """The same scope, applied to these groups (the caller checked they are covered)."""
        rooms = tuple(dict.fromkeys(room_ids))
        assert self.covers_all(rooms), "a command may only apply to groups in its scope"
        return replace(self, group=rooms[0], targets=rooms)


def nobody(member_id: str, group: str | None = None) -> Scope:
    """A member's scope: no group to act on."""
    return Scope(member_id, group=group)


async def scope_of(rooms: RoomRepo, member_id: str, group: str | None) -> Scope:
    """Her scope in the business of `group` (a MEMBER scope when she may not act on it)."""
    if group is None:
        return nobody(member_id)
    owner = await rooms.owner(group)
    if owner is None:
        # A group the service gave no owner for: its admins may act on it alone.
        if not await rooms.is_admin(group, member_id):
            return nobody(member_id, group)
        shares = await rooms.shares_of(member_id)
        standing = Standing.PARTNER if group in shares else Standing.ADMIN
        return Scope(member_id, standing, None, group, (group,), (group,),
                     tuple((g, bp) for g, bp in shares.items() if g == group))
    groups = tuple(await rooms.staff_groups(owner, member_id))
    if group not in groups:
        return nobody(member_id, group)
    if member_id == owner:
        return Scope(member_id, Standing.OWNER, owner, group, groups, (group,))
    shares = {g: bp for g, bp in (await rooms.shares_of(member_id)).items() if g in groups}
    standing = Standing.PARTNER if shares else Standing.ADMIN
    return Scope(member_id, standing, owner, group, groups, (group,), tuple(sorted(shares.items())))


async def scopes_of(rooms: RoomRepo, member_id: str) -> list[Scope]:
    """One scope per business she may act in (her own first, then by her oldest group in each): what a
    web page or an overview across her groups may show her."""
    found: dict[str | None, Scope] = {}
    for room_id, _ in await rooms.administered_by(member_id):
        owner = await rooms.owner(room_id)
        key = owner if owner is not None else f"\0{room_id}"
        if key not in found:
            scope = await scope_of(rooms, member_id, room_id)
            if scope.is_staff:
                found[key] = scope
    return sorted(found.values(), key=lambda s: not s.is_owner)


async def parts_in_scope(campaigns: CampaignRepo, scope: Scope, campaign: Campaign) -> list[Campaign]:
    """The parts of the campaign's drop (just the campaign for one group) that she may act on."""
    return [p for p in await campaigns.parts(campaign) if scope.covers(p.room_id)]


async def runs_whole_drop(campaigns: CampaignRepo, scope: Scope, campaign: Campaign) -> bool:
    """Every group of the campaign's drop is hers to act on (a one-group campaign: its group)."""
    return scope.covers_all(p.room_id for p in await campaigns.parts(campaign))
