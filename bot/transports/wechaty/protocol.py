"""The puppet-service protocol mapped to the project's models, and back.

Pure: wechaty-grpc payloads in, `bot.models` out (and an `Outgoing` into the
requests that say it). No I/O, no clock (a payload without a time is given
`now` by the caller), so every mapping is tested with plain data.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from wechaty_grpc.wechaty.puppet import (
    ContactPayloadResponse,
    EventResponse,
    EventType,
    MessagePayloadResponse,
    MessageSendFileRequest,
    MessageSendTextRequest,
    RoomMemberPayloadResponse,
    RoomPayloadResponse,
)

from bot.models import Member, Message, MessageKind, Outgoing, RoomInfo, SentSeen

QR_LINK_PREFIX: Final = "https://wechaty.js.org/qrcode/"
# A member the service cannot describe is addressed like this, never by her raw id.
UNKNOWN_NAME: Final = "群友"

# Message types as puppet services put them on the wire: the numbering of the
# Node `wechaty-puppet` MessageType enum, not the (different) enum in the .proto
# file that python-wechaty-grpc generated.
PUPPET_MSG_IMAGE: Final = 6
PUPPET_MSG_TEXT: Final = 7
PUPPET_MSG_GROUP_NOTE: Final = 10  # WeChat's native 群接龙 (appmsg type 53)
PUPPET_MSG_TRANSFER: Final = 11
PUPPET_MSG_RED_ENVELOPE: Final = 12

# wechaty-puppet ScanStatus values that carry a QR code worth showing.
_SCAN_WAITING: Final = 2
_SCAN_TIMEOUT: Final = 5
_SCAN_STATUS_NAMES: Final = {
    0: "unknown",
    1: "cancelled",
    2: "waiting",
    3: "scanned",
    4: "confirmed",
    5: "timeout",
}

# Payload types of the `dirty` event (wechaty-puppet types.Payload).
_DIRTY_CONTACT: Final = 2
_DIRTY_ROOM: Final = 3
_DIRTY_ROOM_MEMBER: Final = 4

_APPMSG_TYPE = re.compile(r"<appmsg\b.*?<type>\s*(\d+)\s*</type>", re.DOTALL)
_APPMSG_SOLITAIRE: Final = 53
_APPMSG_TRANSFER: Final = 2000
_APPMSG_RED_PACKET: Final = 2001

# FileBox serialisation every puppet service accepts: the bytes inline, base64.
_FILEBOX_BASE64: Final = 1


def parse_endpoint(endpoint: str) -> tuple[str, int]:
    """`host:port` (optionally with an http:// or grpc:// prefix) -> (host, port)."""
    text = endpoint.strip()
    if "://" not in text:
        text = "grpc://" + text
    parts = urllib.parse.urlsplit(text)
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"bad puppet service endpoint {endpoint!r}: {exc}") from None
    if not parts.hostname or port is None:
        raise ValueError(f"bad puppet service endpoint {endpoint!r}: expected HOST:PORT")
    return parts.hostname, port


def appmsg_type(text: str) -> int | None:
    """The `<appmsg><type>` of a raw WeChat app message, if `text` is one."""
    if "<appmsg" not in text:
        return None
    match = _APPMSG_TYPE.search(text)
    return int(match.group(1)) if match else None


def message_kind(puppet_type: int, text: str) -> MessageKind:
    """Map a wire message type (and, for raw XML, its appmsg type) to our kind.

    Services disagree on how they label a native 群接龙: GroupNote with the
    title text, or Unknown with the raw appmsg XML. A Text message is text,
    whatever it contains: anyone can type XML that looks like a native list
    (or a transfer), naming other members as its authors.
    """
    if puppet_type == PUPPET_MSG_TEXT:
        return MessageKind.TEXT
    inner = appmsg_type(text)
    if inner == _APPMSG_SOLITAIRE or "<solitaire_info" in text:
        return MessageKind.SOLITAIRE
    if puppet_type == PUPPET_MSG_GROUP_NOTE:
        return MessageKind.SOLITAIRE
    if puppet_type == PUPPET_MSG_TRANSFER or inner == _APPMSG_TRANSFER:
        return MessageKind.TRANSFER
    if puppet_type == PUPPET_MSG_RED_ENVELOPE or inner == _APPMSG_RED_PACKET:
        return MessageKind.RED_PACKET
    if puppet_type == PUPPET_MSG_IMAGE:
        return MessageKind.IMAGE
    return MessageKind.OTHER


def timestamp_to_datetime(value: float | None, *, now: datetime) -> datetime:
    """A service timestamp as an aware UTC datetime.

    Services send seconds, milliseconds or (rarely) microseconds since the
    epoch; 0 or nothing means `now`.
    """
    if not value or value <= 0:
        return now.astimezone(UTC)
    seconds = float(value)
    if seconds > 1e14:
        seconds /= 1_000_000
    elif seconds > 1e11:
        seconds /= 1000
    return datetime.fromtimestamp(seconds, tz=UTC)


def qr_link(qrcode: str) -> str:
    return QR_LINK_PREFIX + urllib.parse.quote(qrcode, safe="")


def mentions_self(
    mention_ids: Iterable[str],
    self_id: str | None,
    text: str,
    self_names: Iterable[str],
) -> bool:
    """Whether a room message @-mentions the bot.

    Some services leave the mention list empty, so a visible "@name" followed by
    WeChat's mention separator (U+2005), a space or the end also counts.
    """
    if self_id is not None and self_id in mention_ids:
        return True
    return any(name and re.search("@" + re.escape(name) + r"(?:\u2005|\s|$)", text) for name in self_names)


# -- the event stream ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LoggedIn:
    contact_id: str


@dataclass(frozen=True)
class Ready:
    """The service has loaded the account's contacts and groups."""


@dataclass(frozen=True)
class MessageArrived:
    message_id: str


@dataclass(frozen=True)
class RoomJoined:
    room_id: str
    invitee_ids: tuple[str, ...]
    timestamp: float | None


@dataclass(frozen=True)
class RoomChanged:
    """Someone left or the group was renamed: its description is worth loading again."""

    room_id: str


@dataclass(frozen=True)
class ContactDirty:
    contact_id: str


@dataclass(frozen=True)
class RoomDirty:
    room_id: str


@dataclass(frozen=True)
class Scanned:
    status: int
    qrcode: str

    @property
    def shows_qr(self) -> bool:
        return bool(self.qrcode) and self.status in (_SCAN_WAITING, _SCAN_TIMEOUT)

    @property
    def status_name(self) -> str:
        return _SCAN_STATUS_NAMES.get(self.status, str(self.status))


@dataclass(frozen=True)
class LoggedOut:
    reason: str


@dataclass(frozen=True)
class ServiceError:
    detail: str


@dataclass(frozen=True)
class ResetAsked:
    pass


@dataclass(frozen=True)
class Undecodable:
    """An event whose payload is not JSON."""

    event_type: int


WireEvent = (
    LoggedIn | Ready | MessageArrived | RoomJoined | RoomChanged | ContactDirty | RoomDirty | Scanned | LoggedOut
    | ServiceError | ResetAsked | Undecodable
)


def decode_event(response: EventResponse) -> WireEvent | None:
    """One event of the stream, or None for what the bot has no use for (heartbeats, dongs, friendships)."""
    kind = int(response.type)
    try:
        decoded: object = json.loads(response.payload) if response.payload else {}
    except ValueError:
        return Undecodable(kind)
    payload: dict[str, object] = decoded if isinstance(decoded, dict) else {"data": decoded}
    return _decode_payload(kind, payload)


def _decode_payload(kind: int, payload: dict[str, object]) -> WireEvent | None:
    if kind == EventType.EVENT_TYPE_MESSAGE:
        message_id = _text(payload.get("messageId"))
        return MessageArrived(message_id) if message_id else None
    if kind == EventType.EVENT_TYPE_LOGIN:
        contact_id = _text(payload.get("contactId"))
        return LoggedIn(contact_id) if contact_id else None
    if kind == EventType.EVENT_TYPE_READY:
        return Ready()
    if kind == EventType.EVENT_TYPE_ROOM_JOIN:
        return _room_joined(payload)
    if kind in (EventType.EVENT_TYPE_ROOM_LEAVE, EventType.EVENT_TYPE_ROOM_TOPIC):
        room_id = _text(payload.get("roomId"))
        return RoomChanged(room_id) if room_id else None
    if kind == EventType.EVENT_TYPE_SCAN:
        return Scanned(status=int(_number(payload.get("status")) or 0), qrcode=_text(payload.get("qrcode")))
    if kind == EventType.EVENT_TYPE_LOGOUT:
        return LoggedOut(reason=_text(payload.get("data")))
    if kind == EventType.EVENT_TYPE_DIRTY:
        return _dirty(payload)
    if kind == EventType.EVENT_TYPE_ERROR:
        return ServiceError(detail=str(payload.get("data", payload)))
    if kind == EventType.EVENT_TYPE_RESET:
        return ResetAsked()
    return None


def _text(value: object) -> str:
    return str(value or "")


def _room_joined(payload: dict[str, object]) -> RoomJoined | None:
    room_id = _text(payload.get("roomId"))
    if not room_id:
        return None
    invitees = payload.get("inviteeIdList") or []
    invitee_ids = tuple(str(i) for i in invitees) if isinstance(invitees, list) else ()
    return RoomJoined(room_id=room_id, invitee_ids=invitee_ids, timestamp=_number(payload.get("timestamp")))


def _dirty(payload: dict[str, object]) -> ContactDirty | RoomDirty | None:
    payload_type = int(_number(payload.get("payloadType")) or 0)
    payload_id = _text(payload.get("payloadId"))
    if payload_type == _DIRTY_CONTACT:
        return ContactDirty(payload_id)
    if payload_type in (_DIRTY_ROOM, _DIRTY_ROOM_MEMBER):
        return RoomDirty(payload_id)
    return None


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return float(value)
    except ValueError:
        return None


# -- messages, groups and names -----------------------------------------------------------------


@dataclass(frozen=True)
class IncomingMessage:
    """A member's message as the service describes it, before her display name is looked up."""

    id: str
    ts: datetime
    talker: str
    text: str
    room_id: str | None
    kind: MessageKind
    mention_ids: tuple[str, ...]

    def as_message(self, sender_name: str, *, self_id: str | None, self_name: str | None) -> Message:
        mentions_bot = self.room_id is not None and mentions_self(
            self.mention_ids, self_id, self.text, [n for n in (self_name,) if n]
        )
        return Message(
            id=self.id,
            ts=self.ts,
            sender=Member(id=self.talker, name=sender_name),
            text=self.text,
            room_id=self.room_id,
            kind=self.kind,
            mentions=self.mention_ids,
            mentions_bot=mentions_bot,
        )


def read_message(
    message_id: str, payload: MessagePayloadResponse, *, self_id: str | None, now: datetime
) -> IncomingMessage | SentSeen | None:
    """A member's message; the echo of the account's own (it tells an uncertain send that it arrived);
    or None for what is not the bot's business."""
    talker = payload.from_id
    text = payload.text or ""
    room_id = payload.room_id or None
    if talker and talker == self_id:
        where = payload.room_id or payload.to_id
        if not where:
            return None
        return SentSeen(Outgoing(text=text, room_id=room_id, to=None if room_id else where))
    if not talker:
        return None
    if room_id is None and payload.to_id and self_id and payload.to_id != self_id:
        return None  # a chat the account is in but not addressed to the bot
    return IncomingMessage(
        id=message_id,
        ts=timestamp_to_datetime(payload.timestamp, now=now),
        talker=talker,
        text=text,
        room_id=room_id,
        kind=message_kind(int(payload.type), text),
        mention_ids=tuple(payload.mention_ids),
    )


def customers(member_ids: Iterable[str], self_id: str | None) -> list[str]:
    """A group's members without the bot: it is no customer, and is left out like its own messages are."""
    return [m for m in member_ids if m and m != self_id]


def room_info(room_id: str, payload: RoomPayloadResponse, member_ids: Iterable[str],
              names: Mapping[str, str]) -> RoomInfo:
    return RoomInfo(
        id=room_id,
        topic=payload.topic or "",
        owner_id=payload.owner_id or None,
        members=tuple(Member(id=m, name=names.get(m, m)) for m in member_ids),
    )


def member_name(payload: RoomMemberPayloadResponse) -> str:
    """The name the group shows: 群昵称 first, then the WeChat name ("" when neither)."""
    return payload.room_alias or payload.name


def contact_name(payload: ContactPayloadResponse) -> str:
    return payload.name or payload.alias


# -- what the bot says --------------------------------------------------------------------------


def conversation_of(out: Outgoing) -> str:
    conversation = out.room_id or out.to
    if not conversation:
        raise ValueError("an Outgoing needs a room_id or a to")
    return conversation


SendRequest = MessageSendTextRequest | MessageSendFileRequest


def send_requests(out: Outgoing, file_data: bytes | None) -> list[SendRequest]:
    """The text, then the file if there is one (`file_data`: the bytes of `out.file`)."""
    conversation = conversation_of(out)
    requests: list[SendRequest] = []
    if out.text:
        # The text already carries the visible "@name"; the ids make WeChat notify those
        # members (python-wechaty's Room.say would prepend a second "@name").
        mention_ids = list(out.mentions) if out.room_id else []
        requests.append(MessageSendTextRequest(conversation_id=conversation, text=out.text, mentonal_ids=mention_ids))
    if out.file is not None and file_data is not None:
        requests.append(MessageSendFileRequest(conversation_id=conversation,
                                               filebox=filebox_json(out.file.name, file_data)))
    return requests


def filebox_json(name: str, data: bytes) -> str:
    return json.dumps({"type": _FILEBOX_BASE64, "name": name, "base64": base64.b64encode(data).decode("ascii"),
                       "size": len(data), "metadata": {}})
