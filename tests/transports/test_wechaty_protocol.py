"""The puppet-service protocol mapped to the project's models: plain payloads in, models out (no network)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from wechaty_grpc.wechaty.puppet import (
    ContactPayloadResponse,
    EventResponse,
    EventType,
    MessagePayloadResponse,
    MessageSendFileRequest,
    MessageSendTextRequest,
    MessageType,
    RoomMemberPayloadResponse,
    RoomPayloadResponse,
)

from bot.models import Attachment, Member, MessageKind, Outgoing, SentSeen
from bot.transports.wechaty.protocol import (
    PUPPET_MSG_GROUP_NOTE,
    PUPPET_MSG_TEXT,
    ContactDirty,
    IncomingMessage,
    LoggedIn,
    LoggedOut,
    MessageArrived,
    Ready,
    ResetAsked,
    RoomChanged,
    RoomDirty,
    RoomJoined,
    Scanned,
    ServiceError,
    Undecodable,
    WireEvent,
    contact_name,
    conversation_of,
    customers,
    decode_event,
    member_name,
    read_message,
    room_info,
    send_requests,
)

NOW = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
SHANGHAI = timezone(timedelta(hours=8))


def event(kind: EventType, payload: object) -> EventResponse:
    return EventResponse(type=kind, payload=payload if isinstance(payload, str) else json.dumps(payload))


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (event(EventType.EVENT_TYPE_MESSAGE, {"messageId": "m1"}), MessageArrived("m1")),
        (event(EventType.EVENT_TYPE_LOGIN, {"contactId": "wx_bot"}), LoggedIn("wx_bot")),
        (event(EventType.EVENT_TYPE_READY, {"data": "ready"}), Ready()),
        (event(EventType.EVENT_TYPE_ROOM_JOIN, {"roomId": "r1", "inviteeIdList": ["wx_zhao", "wx_qian"],
                                                "inviterId": "wx_owner", "timestamp": 1_763_600_000}),
         RoomJoined("r1", ("wx_zhao", "wx_qian"), 1_763_600_000)),
        (event(EventType.EVENT_TYPE_ROOM_LEAVE, {"roomId": "r1", "removeeIdList": ["wx_li"]}), RoomChanged("r1")),
        (event(EventType.EVENT_TYPE_ROOM_TOPIC, {"roomId": "r1", "newTopic": "2群"}), RoomChanged("r1")),
        (event(EventType.EVENT_TYPE_SCAN, {"status": 2, "qrcode": "https://login/x"}), Scanned(2, "https://login/x")),
        (event(EventType.EVENT_TYPE_LOGOUT, {"contactId": "wx_bot", "data": "kicked"}), LoggedOut("kicked")),
        (event(EventType.EVENT_TYPE_LOGOUT, '"bye"'), LoggedOut("bye")),  # a bare value is the data
        (event(EventType.EVENT_TYPE_DIRTY, {"payloadType": 2, "payloadId": "wx_li"}), ContactDirty("wx_li")),
        (event(EventType.EVENT_TYPE_DIRTY, {"payloadType": 3, "payloadId": "r1"}), RoomDirty("r1")),
        (event(EventType.EVENT_TYPE_DIRTY, {"payloadType": 4, "payloadId": "r1"}), RoomDirty("r1")),
        (event(EventType.EVENT_TYPE_ERROR, {"data": "puppet crashed"}), ServiceError("puppet crashed")),
        (event(EventType.EVENT_TYPE_RESET, {}), ResetAsked()),
        (event(EventType.EVENT_TYPE_MESSAGE, "{not json"), Undecodable(int(EventType.EVENT_TYPE_MESSAGE))),
    ],
)
def test_stream_events_are_decoded(response: EventResponse, expected: WireEvent) -> None:
    assert decode_event(response) == expected


@pytest.mark.parametrize(
    "response",
    [
        event(EventType.EVENT_TYPE_HEARTBEAT, {"data": "heartbeat"}),
        event(EventType.EVENT_TYPE_DONG, {"data": "watchdog"}),
        event(EventType.EVENT_TYPE_FRIENDSHIP, {"friendshipId": "f1"}),
        # Events without the id they are about concern nobody.
        event(EventType.EVENT_TYPE_MESSAGE, {}),
        event(EventType.EVENT_TYPE_LOGIN, {"contactId": ""}),
        event(EventType.EVENT_TYPE_ROOM_JOIN, {"inviteeIdList": ["wx_zhao"]}),
        event(EventType.EVENT_TYPE_ROOM_TOPIC, {}),
        event(EventType.EVENT_TYPE_DIRTY, {"payloadType": 5, "payloadId": "m1"}),  # a message payload
    ],
)
def test_what_the_bot_has_no_use_for_decodes_to_nothing(response: EventResponse) -> None:
    assert decode_event(response) is None


def test_a_join_without_a_time_or_invitees_still_names_the_room() -> None:
    joined = decode_event(event(EventType.EVENT_TYPE_ROOM_JOIN, {"roomId": "r1", "inviteeIdList": None}))
    assert joined == RoomJoined("r1", (), None)


@pytest.mark.parametrize(
    ("status", "qrcode", "shows"),
    [(2, "https://login/x", True), (5, "https://login/x", True), (3, "https://login/x", False), (2, "", False)],
)
def test_only_a_waiting_or_expired_scan_shows_its_qr_code(status: int, qrcode: str, shows: bool) -> None:
    scan = decode_event(event(EventType.EVENT_TYPE_SCAN, {"status": status, "qrcode": qrcode}))
    assert isinstance(scan, Scanned) and scan.shows_qr is shows


def test_a_scan_status_has_a_name() -> None:
    assert Scanned(3, "").status_name == "scanned"
    assert Scanned(42, "").status_name == "42"


def message(**fields: object) -> MessagePayloadResponse:
    base: dict[str, object] = {"id": "m1", "text": "草莓2盒", "timestamp": 1_763_600_000_000,
                               "type": MessageType(PUPPET_MSG_TEXT), "from_id": "wx_zhang", "room_id": "r1"}
    return MessagePayloadResponse(**(base | fields))  # type: ignore[arg-type]


def test_a_members_room_message_becomes_a_message_with_her_display_name() -> None:
    incoming = read_message("m1", message(mention_ids=["wx_li"]), self_id="wx_bot", now=NOW)
    assert incoming == IncomingMessage(id="m1", ts=datetime.fromtimestamp(1_763_600_000, tz=UTC), talker="wx_zhang",
                                       text="草莓2盒", room_id="r1", kind=MessageKind.TEXT, mention_ids=("wx_li",))
    msg = incoming.as_message("张三", self_id="wx_bot", self_name="团购助手")
    assert (msg.id, msg.sender, msg.room_id, msg.text) == ("m1", Member("wx_zhang", "张三"), "r1", "草莓2盒")
    assert msg.mentions == ("wx_li",) and not msg.mentions_bot


@pytest.mark.parametrize(
    ("mention_ids", "text", "expected"),
    [(["wx_bot"], "在吗", True), ([], "@团购助手\u2005在吗", True), ([], "@团购助手小号 在吗", False)],
)
def test_a_message_mentions_the_bot_by_id_or_by_its_visible_name(mention_ids: list[str], text: str,
                                                                 expected: bool) -> None:
    incoming = read_message("m1", message(text=text, mention_ids=mention_ids), self_id="wx_bot", now=NOW)
    assert isinstance(incoming, IncomingMessage)
    assert incoming.as_message("李四", self_id="wx_bot", self_name="团购助手").mentions_bot is expected


def test_a_private_message_to_the_bot_never_mentions_it() -> None:
    incoming = read_message("m1", message(room_id="", to_id="wx_bot", text="@团购助手 查单"), self_id="wx_bot", now=NOW)
    assert isinstance(incoming, IncomingMessage) and incoming.room_id is None
    assert not incoming.as_message("张三", self_id="wx_bot", self_name="团购助手").mentions_bot


def test_the_kind_comes_from_the_wire_type_and_the_xml() -> None:
    incoming = read_message("m1", message(type=MessageType(PUPPET_MSG_GROUP_NOTE), text="#接龙\n1. 张三"),
                            self_id="wx_bot", now=NOW)
    assert isinstance(incoming, IncomingMessage) and incoming.kind is MessageKind.SOLITAIRE


def test_a_message_without_a_time_is_stamped_now_in_utc() -> None:
    incoming = read_message("m1", message(timestamp=0), self_id="wx_bot", now=NOW.astimezone(SHANGHAI))
    assert isinstance(incoming, IncomingMessage)
    assert incoming.ts == NOW and incoming.ts.utcoffset() == timedelta(0)


def test_the_accounts_own_words_come_back_as_an_echo_of_what_it_sent() -> None:
    in_room = read_message("m9", message(from_id="wx_bot", text="@张三 收到"), self_id="wx_bot", now=NOW)
    assert in_room == SentSeen(Outgoing(text="@张三 收到", room_id="r1"))
    private = read_message("m9", message(from_id="wx_bot", room_id="", to_id="wx_wang", text="收到"),
                           self_id="wx_bot", now=NOW)
    assert private == SentSeen(Outgoing(text="收到", to="wx_wang"))
    assert read_message("m9", message(from_id="wx_bot", room_id=""), self_id="wx_bot", now=NOW) is None


def test_messages_that_are_not_the_bots_business_are_dropped() -> None:
    assert read_message("m1", message(from_id=""), self_id="wx_bot", now=NOW) is None
    # A private chat of the account with someone else, not addressed to the bot.
    assert read_message("m1", message(room_id="", to_id="wx_friend"), self_id="wx_bot", now=NOW) is None


def test_a_room_is_its_members_without_the_bot_named_as_the_group_shows_them() -> None:
    members = customers(["wx_owner", "wx_bot", "", "wx_zhang"], "wx_bot")
    assert members == ["wx_owner", "wx_zhang"]
    info = room_info("r1", RoomPayloadResponse(id="r1", topic="阳光花园", owner_id="wx_owner"), members,
                     {"wx_owner": "王姐"})
    assert (info.id, info.topic, info.owner_id) == ("r1", "阳光花园", "wx_owner")
    assert info.members == (Member("wx_owner", "王姐"), Member("wx_zhang", "wx_zhang"))
    assert room_info("r2", RoomPayloadResponse(), [], {}).owner_id is None


def test_names_prefer_the_group_alias_then_the_wechat_name() -> None:
    assert member_name(RoomMemberPayloadResponse(room_alias="3-502 张三", name="Zhang")) == "3-502 张三"
    assert member_name(RoomMemberPayloadResponse(name="Zhang")) == "Zhang"
    assert member_name(RoomMemberPayloadResponse()) == ""
    assert contact_name(ContactPayloadResponse(name="李四", alias="李姐")) == "李四"
    assert contact_name(ContactPayloadResponse(alias="李姐")) == "李姐"


def test_a_group_reply_notifies_its_mentions_once() -> None:
    out = Outgoing(text="@张三 收到", room_id="r1", mentions=("wx_zhang",))
    [request] = send_requests(out, None)
    assert isinstance(request, MessageSendTextRequest)
    assert (request.conversation_id, request.text, request.mentonal_ids) == ("r1", "@张三 收到", ["wx_zhang"])


def test_a_private_message_carries_no_mentions() -> None:
    out = Outgoing(text="收到", to="wx_wang", mentions=("wx_wang",))
    [request] = send_requests(out, None)
    assert isinstance(request, MessageSendTextRequest)
    assert (request.conversation_id, request.text, request.mentonal_ids) == ("wx_wang", "收到", [])


def test_a_file_goes_after_its_text_as_a_base64_filebox() -> None:
    out = Outgoing(text="导出好了", to="wx_owner", file=Attachment(name="团购.xlsx", data=b"PK\x03\x04"))
    text, file = send_requests(out, b"PK\x03\x04")
    assert isinstance(text, MessageSendTextRequest) and text.text == "导出好了"
    assert isinstance(file, MessageSendFileRequest) and file.conversation_id == "wx_owner"
    box = json.loads(file.filebox)
    assert (box["type"], box["name"], box["size"]) == (1, "团购.xlsx", 4)
    assert base64.b64decode(box["base64"]) == b"PK\x03\x04"
    assert len(send_requests(Outgoing(text="", to="wx_owner", file=out.file), b"PK")) == 1


def test_an_outgoing_must_say_where_it_goes() -> None:
    with pytest.raises(ValueError, match="room_id or a to"):
        conversation_of(Outgoing(text="x"))
