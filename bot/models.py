"""The project's own types at the transport boundary.

Adapters turn whatever a chat service delivers into these; nothing past the
adapters ever sees a service's own objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path


class MessageKind(StrEnum):
    TEXT = "text"
    # WeChat's native 群接龙 (appmsg type 53); `text` holds the raw XML when the
    # service delivers it, otherwise the visible list text.
    SOLITAIRE = "solitaire"
    # A transfer or red packet: a payment hint for the owner, never an order.
    TRANSFER = "transfer"
    RED_PACKET = "red_packet"
    # A photo: `text` is whatever the service gives for it. A claim (售后) made around it refers to it.
    IMAGE = "image"
    OTHER = "other"


@dataclass(frozen=True)
class Member:
    id: str
    name: str


@dataclass(frozen=True)
class RoomInfo:
    """A group as the service describes it: who owns it and who is in it."""

    id: str
    topic: str = ""
    owner_id: str | None = None
    members: tuple[Member, ...] = ()


@dataclass(frozen=True)
class Message:
    id: str
    ts: datetime  # timezone-aware
    sender: Member
    text: str
    room_id: str | None = None  # None: a private chat with the bot
    kind: MessageKind = MessageKind.TEXT
    mentions: tuple[str, ...] = ()  # member ids @-mentioned, as the service reports them
    mentions_bot: bool = False


@dataclass(frozen=True)
class RoomSeen:
    """The transport learned about a group (at start-up or when it changes)."""

    room: RoomInfo
    ts: datetime | None = None


@dataclass(frozen=True)
class MemberJoined:
    room_id: str
    member: Member
    ts: datetime


@dataclass(frozen=True)
class Tick:
    """Time moved on with no message (replay); due work runs up to `ts`."""

    ts: datetime


@dataclass(frozen=True)
class SentSeen:
    """The service showed a message the bot's own account sent (its echo): proof it arrived."""

    out: Outgoing
    ts: datetime | None = None


Event = Message | RoomSeen | MemberJoined | Tick | SentSeen


@dataclass(frozen=True)
class Attachment:
    """A file the bot sends (the owner's workbook): its name as she sees it, and its bytes or where they are."""

    name: str
    path: Path | None = None
    data: bytes | None = None

    def read(self) -> bytes:
        if self.data is not None:
            return self.data
        if self.path is None:
            raise ValueError(f"attachment {self.name} has neither bytes nor a path")
        return self.path.read_bytes()


@dataclass(frozen=True)
class Outgoing:
    """Something the bot says: in a group (`room_id`) or privately (`to`); with `file`, a file sent
    there after `text` (transports that cannot send files say where it is)."""

    text: str
    room_id: str | None = None
    to: str | None = None
    mentions: tuple[str, ...] = field(default=())
    # Acknowledgements may be merged with others waiting for the same group.
    mergeable: bool = False
    file: Attachment | None = None
