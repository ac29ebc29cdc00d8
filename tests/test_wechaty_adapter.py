"""The wechaty adapter's pure helpers and the transport's behaviour before any connection (no network)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from grpclib.const import Status
from grpclib.exceptions import GRPCError, StreamTerminatedError

from bot.models import MessageKind, Outgoing
from bot.transports.base import SendError
from bot.transports.wechaty import WechatyTransport
from bot.transports.wechaty.client import StreamClosed, backoff_delay, describe_error
from bot.transports.wechaty.protocol import (
    appmsg_type,
    mentions_self,
    message_kind,
    parse_endpoint,
    qr_link,
    timestamp_to_datetime,
)


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        ("127.0.0.1:8788", ("127.0.0.1", 8788)),
        (" puppet.example:443 ", ("puppet.example", 443)),
        ("http://10.0.0.2:30001", ("10.0.0.2", 30001)),
        ("grpc://[::1]:8788", ("::1", 8788)),
    ],
)
def test_parse_endpoint(endpoint: str, expected: tuple[str, int]) -> None:
    assert parse_endpoint(endpoint) == expected


@pytest.mark.parametrize("endpoint", ["puppet.example", ":8788", "host:notaport", "host:99999"])
def test_parse_endpoint_rejects_what_is_not_host_port(endpoint: str) -> None:
    with pytest.raises(ValueError, match="bad puppet service endpoint"):
        parse_endpoint(endpoint)


NATIVE_XML = (
    "<msg><appmsg appid='' sdkver='0'><title>#接龙\n周六水果团\n\n1. 张三 草莓2盒</title><des />"
    "<type>53</type><extinfo><solitaire_info><![CDATA[<solitaire><content><i><u>wx_zhang</u></i>"
    "</content></solitaire>]]></solitaire_info></extinfo></appmsg></msg>"
)


@pytest.mark.parametrize(
    ("wire_type", "text", "kind"),
    [
        (7, "草莓2盒", MessageKind.TEXT),
        (10, "#接龙\n周六水果团\n\n1. 张三 草莓2盒", MessageKind.SOLITAIRE),  # GroupNote, title text only
        (10, NATIVE_XML, MessageKind.SOLITAIRE),
        (0, NATIVE_XML, MessageKind.SOLITAIRE),  # services that do not know GroupNote
        (7, NATIVE_XML, MessageKind.SOLITAIRE),  # ... or call it text
        (11, "[转账]", MessageKind.TRANSFER),
        (12, "[红包]", MessageKind.RED_PACKET),
        (0, "<msg><appmsg><title>微信转账</title><type>2000</type></appmsg></msg>", MessageKind.TRANSFER),
        (0, "<msg><appmsg><title>红包</title><type>2001</type></appmsg></msg>", MessageKind.RED_PACKET),
        (0, "<msg><appmsg><title>link</title><type>5</type></appmsg></msg>", MessageKind.OTHER),
        (6, "", MessageKind.OTHER),  # an image
        (16, "", MessageKind.OTHER),  # newer types than python-wechaty's table
    ],
)
def test_message_kind(wire_type: int, text: str, kind: MessageKind) -> None:
    assert message_kind(wire_type, text) is kind


def test_appmsg_type_reads_the_outer_type() -> None:
    assert appmsg_type(NATIVE_XML) == 53
    assert appmsg_type("草莓2盒") is None
    assert appmsg_type("<msg><appmsg><title>x</title></appmsg></msg>") is None


NOW = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("value", [1_763_600_000, 1_763_600_000_000, 1_763_600_000_000_000])
def test_timestamps_in_seconds_millis_or_micros_become_aware_utc(value: int) -> None:
    ts = timestamp_to_datetime(value, now=NOW)
    assert ts == datetime.fromtimestamp(1_763_600_000, tz=UTC)
    assert ts.tzinfo is UTC


def test_missing_timestamp_means_now_in_utc() -> None:
    assert timestamp_to_datetime(0, now=NOW) == NOW
    shanghai_now = NOW.astimezone(timezone(timedelta(hours=8)))
    ts = timestamp_to_datetime(None, now=shanghai_now)
    assert ts == NOW and ts.utcoffset() == timedelta(0)


def test_qr_link_encodes_the_code() -> None:
    assert qr_link("https://login.weixin.qq.com/l/abc==") == (
        "https://wechaty.js.org/qrcode/https%3A%2F%2Flogin.weixin.qq.com%2Fl%2Fabc%3D%3D"
    )


def test_backoff_doubles_up_to_the_cap() -> None:
    delays = [backoff_delay(n, initial=1.0, cap=60.0) for n in range(9)]
    assert delays == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert backoff_delay(10_000, initial=1.0, cap=60.0) == 60


@pytest.mark.parametrize(
    ("ids", "text", "expected"),
    [
        (("wx_bot",), "在吗", True),
        ((), "@团购助手\u2005在吗", True),
        ((), "@团购助手 在吗", True),
        ((), "问一下 @团购助手", True),
        ((), "@团购助手小号 在吗", False),
        (("wx_zhang",), "@张三 在吗", False),
    ],
)
def test_mentions_self(ids: tuple[str, ...], text: str, expected: bool) -> None:
    assert mentions_self(ids, "wx_bot", text, ["团购助手"]) is expected


def test_describe_error_never_repeats_the_token() -> None:
    line = describe_error(GRPCError(Status.UNAUTHENTICATED, 'Invalid Wechaty TOKEN "s3cret"'), "h:1")
    assert "s3cret" not in line
    assert "rejected the token" in line


@pytest.mark.parametrize(
    ("exc", "needle"),
    [
        (ConnectionRefusedError(111, "Connection refused"), "connection refused"),
        (OSError(-2, "Name or service not known"), "Name or service not known"),
        (TimeoutError(), "did not answer in time"),
        (GRPCError(Status.UNAVAILABLE, ""), "unavailable"),
        (GRPCError(Status.INTERNAL, "boom"), "INTERNAL: boom"),
        (GRPCError(Status.ALREADY_EXISTS), "another client is already connected"),
        (StreamTerminatedError("Connection lost"), "dropped"),
        (StreamClosed(), "closed the event stream"),
    ],
)
def test_describe_error_says_what_happened(exc: BaseException, needle: str) -> None:
    assert needle in describe_error(exc, "127.0.0.1:8788")


def test_an_endpoint_is_required() -> None:
    with pytest.raises(ValueError, match="WECHATY_PUPPET_SERVICE_ENDPOINT"):
        WechatyTransport(token="t", endpoint=None)


async def test_send_before_login_is_a_send_error() -> None:
    transport = WechatyTransport(token="t", endpoint="127.0.0.1:1")
    with pytest.raises(SendError):
        await transport.send(Outgoing(text="x", room_id="r1"))
    with pytest.raises(ValueError):
        await transport.send(Outgoing(text="x"))


async def test_stop_is_idempotent_and_run_after_stop_returns() -> None:
    transport = WechatyTransport(token="t", endpoint="127.0.0.1:1")
    await transport.stop()
    await transport.stop()

    async def on_event(event: object) -> None:
        raise AssertionError("no event expected")

    await transport.run(on_event)
