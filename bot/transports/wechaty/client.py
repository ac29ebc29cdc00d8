"""A typed client for one puppet service: connect, the event stream, reconnect with backoff, watchdog.

The bot talks the puppet-service gRPC protocol itself, with the generated
stubs from `wechaty-grpc`, instead of going through python-wechaty's
`Wechaty` class. That class (0.10.x) calls `Stop` before every `Start` (which
can log a hosted account out), stops the asyncio loop on a configuration
error, sleeps 60 s and recurses on a network error, starts a web server on
port 5000 and a job database in `.wechaty/` at login, and logs the token.
Owning the connection here gives one clear log line per failure, reconnects
with exponential backoff, and never touches the loop.

Time is the injected Clock and every wait goes through the injected `sleep`,
so tests drive reconnects and the watchdog on a ManualClock without sleeping.

A send is exactly-once-minded: each call records whether its request may
have left (`SendFailed.may_have_arrived`), so the transport can tell a send
that certainly failed (retried) from one that may have arrived (never sent
blindly again), and the watchdog never ends a connection under a send.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final, Protocol, TypeVar

from grpclib.client import Channel, Stream
from grpclib.const import Cardinality, Status
from grpclib.exceptions import GRPCError, StreamTerminatedError
from wechaty_grpc.wechaty import PuppetStub
from wechaty_grpc.wechaty.puppet import (
    EventRequest,
    EventResponse,
    MessageSendFileResponse,
    MessageSendTextRequest,
    MessageSendTextResponse,
)

from bot.clock import Clock
from bot.transports.base import THROTTLE_MARKERS
from bot.transports.wechaty.protocol import SendRequest, parse_endpoint

# One logger for the whole transport: it is what an operator filters on.
log = logging.getLogger("bot.transports.wechaty")

Sleep = Callable[[float], Awaitable[None]]
EventCallback = Callable[[EventResponse], Awaitable[None]]

_T = TypeVar("_T")

# gRPC statuses that mean "fix the configuration", as opposed to "the network hiccupped".
_AUTH_STATUSES: Final = (Status.UNAUTHENTICATED, Status.PERMISSION_DENIED)
# A connection up this long was a working one: the next failure starts the backoff afresh.
_STABLE_AFTER: Final = timedelta(seconds=30)
# stop() waits this long for run() to wind down after the event being handled; then it cuts off
# the call that event is waiting for (a service that does not answer), so a stop takes seconds.
_STOP_GRACE: Final = 1.5
_STOP_WAIT: Final = 2.0


class StreamClosed(Exception):
    """The service ended the event stream without an error (or there is no connection)."""


# Statuses a service answers before it acts on a request (the request is refused as a whole): a
# send answered with one of these did not go out. Every other status may come after the service
# acted - DEADLINE_EXCEEDED (the service's own timer, which fires while the message is still on
# its way), CANCELLED, UNKNOWN (whatever the service's code threw), INTERNAL, UNAVAILABLE, ABORTED,
# DATA_LOSS - and so does any failure once the request was written (a reset stream, a lost
# connection, a timeout): such a send may have arrived.
REFUSED_STATUSES: Final = frozenset({
    Status.INVALID_ARGUMENT, Status.NOT_FOUND, Status.ALREADY_EXISTS, Status.PERMISSION_DENIED,
    Status.UNAUTHENTICATED, Status.FAILED_PRECONDITION, Status.OUT_OF_RANGE, Status.UNIMPLEMENTED,
    Status.RESOURCE_EXHAUSTED,
})
# What a service says, in an UNKNOWN status, when it refused before doing anything: the account
# is throttled ("操作过于频繁") or not logged in. Lower case.
REFUSAL_WORDS: Final = (*THROTTLE_MARKERS, "not logged in", "未登录")


def may_have_arrived(exc: BaseException, *, written: bool) -> bool:
    """Whether a send that failed with `exc` may still have reached WeChat.

    `written`: the request had left for the service (its headers went out on an open
    connection). Before that nothing can have arrived: connection refused, a channel that
    would not open. After it, only a status that refuses the request as a whole says it did
    not go out; anything else - above all a timeout or a stream reset - may hide a message
    that lands later, and sending it again would say it twice."""
    if not written:
        return False
    if isinstance(exc, GRPCError):
        if exc.status in REFUSED_STATUSES:
            return False
        text = (exc.message or "").lower()
        return not (exc.status is Status.UNKNOWN and any(word in text for word in REFUSAL_WORDS))
    return True


class SendFailed(Exception):
    """A send that did not answer with a message id; the cause is `__cause__`."""

    def __init__(self, cause: BaseException, *, may_have_arrived: bool) -> None:
        super().__init__(str(cause) or type(cause).__name__)
        self.may_have_arrived = may_have_arrived


def backoff_delay(attempt: int, *, initial: float, cap: float) -> float:
    """Seconds to wait before reconnect attempt `attempt` (0-based)."""
    if attempt <= 0:
        return min(initial, cap)
    return min(cap, initial * 2.0 ** min(attempt, 32))


def is_auth_error(exc: BaseException) -> bool:
    return isinstance(exc, GRPCError) and exc.status in _AUTH_STATUSES


def is_connection_fatal(exc: BaseException) -> bool:
    """A gRPC error that says the connection (not one payload) is no good."""
    return isinstance(exc, GRPCError) and (exc.status in _AUTH_STATUSES or exc.status is Status.UNAVAILABLE)


def describe_error(exc: BaseException, endpoint: str) -> str:
    """One human line for a connection failure; never includes the token."""
    if isinstance(exc, GRPCError):
        return _describe_status(exc, endpoint)
    if isinstance(exc, ConnectionRefusedError):
        return f"cannot reach the puppet service at {endpoint} (connection refused)"
    if isinstance(exc, TimeoutError):
        return f"the puppet service at {endpoint} did not answer in time"
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc) or type(exc).__name__
        return f"cannot reach the puppet service at {endpoint} ({reason})"
    if isinstance(exc, StreamTerminatedError):
        return f"the connection to the puppet service at {endpoint} dropped"
    if isinstance(exc, StreamClosed):
        return f"the puppet service at {endpoint} closed the event stream"
    return f"error talking to the puppet service at {endpoint}: {type(exc).__name__}: {exc}"


def _describe_status(exc: GRPCError, endpoint: str) -> str:
    if exc.status in _AUTH_STATUSES:
        return f"the puppet service at {endpoint} rejected the token (check WECHATY_PUPPET_SERVICE_TOKEN)"
    if exc.status is Status.UNAVAILABLE:
        return f"the puppet service at {endpoint} is unavailable"
    if exc.status is Status.ALREADY_EXISTS:
        # puppet-service serves one event stream at a time.
        return (
            f"another client is already connected to the puppet service at {endpoint} "
            "(one bot per token; or the old connection has not timed out yet)"
        )
    suffix = f": {exc.message}" if exc.message else ""
    return f"the puppet service at {endpoint} answered {exc.status.name}{suffix}"


class Link(Protocol):
    """One open connection to the service."""

    @property
    def stub(self) -> PuppetStub:
        """Unary calls on this connection, each with the client's call timeout."""
        ...

    async def next_event(self) -> EventResponse | None:
        """The next event of the stream; None when the service ended it cleanly."""
        ...

    async def ding(self) -> None: ...

    async def send(self, request: SendRequest) -> str:
        """One message; the id the service gave it ("" when it gives none). Raises SendFailed."""
        ...

    async def close(self) -> None: ...


Connect = Callable[[], Awaitable[Link]]


def _metadata(token: str) -> dict[str, str] | None:
    return {"authorization": f"Wechaty {token}"} if token else None


class GrpcLink:
    """A connection over grpclib: a channel, its stub, and the open Event stream."""

    def __init__(self, channel: Channel, stub: PuppetStub, stream: Stream[EventRequest, EventResponse], *,
                 token: str, rpc_timeout: float) -> None:
        self._channel = channel
        self._stub = stub
        self._stream = stream
        self._metadata = _metadata(token)
        self._rpc_timeout = rpc_timeout

    @classmethod
    async def open(cls, host: str, port: int, *, token: str, rpc_timeout: float) -> GrpcLink:
        channel = Channel(host=host, port=port)
        metadata = _metadata(token)
        stub = PuppetStub(channel, metadata=metadata, timeout=rpc_timeout)
        try:
            # The event stream goes first: a `start` can emit login before a
            # stream opened after it would see it.
            stream = channel.request("/wechaty.Puppet/Event", Cardinality.UNARY_STREAM, EventRequest, EventResponse,
                                     metadata=metadata)
            await stream.__aenter__()
            await asyncio.wait_for(stream.send_message(EventRequest(), end=True), rpc_timeout)
            # Surfaces a refused token (trailers-only answer) before we go on.
            await asyncio.wait_for(stream.recv_initial_metadata(), rpc_timeout)
            # Not `stop` first like python-wechaty does: stopping a hosted
            # puppet can log the WeChat account out.
            await stub.start()
        except BaseException:
            channel.close()
            raise
        return cls(channel, stub, stream, token=token, rpc_timeout=rpc_timeout)

    @property
    def stub(self) -> PuppetStub:
        return self._stub

    async def next_event(self) -> EventResponse | None:
        response = await self._stream.recv_message()
        if response is None:
            # Raises the status when the service ended the stream with an error.
            await self._stream.recv_trailing_metadata()
        return response

    async def ding(self) -> None:
        await self._stub.ding(data="watchdog")

    async def send(self, request: SendRequest) -> str:
        return await send_on(self._channel, request, metadata=self._metadata, rpc_timeout=self._rpc_timeout)

    async def close(self) -> None:
        # Cancel the stream first: leaving its context normally would wait for
        # the server to end a stream that never ends.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._stream.cancel(), 2)
        with contextlib.suppress(Exception):
            await self._stream.__aexit__(None, None, None)
        self._channel.close()


@dataclass(frozen=True)
class _StreamEnded:
    error: BaseException | None


class _Stop:
    """Queue marker: stop() was called."""


_QueueItem = EventResponse | _StreamEnded | _Stop


@dataclass
class _Retry:
    """Where the reconnect backoff stands, and what was last said about it."""

    attempt: int = 0
    last_reason: str | None = None


@dataclass
class _Session:
    queue: asyncio.Queue[_QueueItem] = field(default_factory=asyncio.Queue)
    timers: set[asyncio.Future[None]] = field(default_factory=set)


class PuppetClient:
    """One puppet service, one connection at a time, handed to `run`'s callback event by event."""

    def __init__(
        self,
        endpoint: str,
        *,
        token: str,
        clock: Clock,
        sleep: Sleep = asyncio.sleep,
        connect: Connect | None = None,
        rpc_timeout: float = 15.0,
        backoff_initial: float = 1.0,
        # Capped low: once the service is reachable again the bot is back within
        # a few seconds; a refused connection costs the service nothing.
        backoff_cap: float = 4.0,
        idle_ping_after: float = 60.0,
    ) -> None:
        self._host, self._port = parse_endpoint(endpoint)
        self.endpoint = f"{self._host}:{self._port}"
        self.has_token = bool(token)
        self._token = token
        self._clock = clock
        self._sleep = sleep
        self._connect = connect or self._open_grpc
        self.rpc_timeout = rpc_timeout
        self.backoff_initial = backoff_initial
        self.backoff_cap = backoff_cap
        self._idle_ping_after = idle_ping_after

        self._stopping = asyncio.Event()
        self._stopped = asyncio.Event()
        self._cut_off = False  # stop() cancelled run() waiting for the service
        self._run_task: asyncio.Task[None] | None = None
        self._link: Link | None = None
        self._session: _Session | None = None
        self._last_activity: datetime = clock.now()
        # Sends on the current connection still waiting for their answer: the watchdog never
        # ends a connection under one (its request may be on its way, and a reset would leave
        # it in doubt).
        self._sending = 0
        self._no_sends = asyncio.Event()
        self._no_sends.set()

    @property
    def stub(self) -> PuppetStub:
        """The current connection's calls; StreamClosed between connections."""
        if self._link is None:
            raise StreamClosed()
        return self._link.stub

    async def run(self, on_event: EventCallback, on_session: Callable[[], None] | None = None) -> None:
        """Hand every event to `on_event` in this task, reconnecting with backoff, until stop().

        `on_session` is told of each new connection. An exception from `on_event` ends the connection
        and a new one is made (the callback decides what may cost the connection).
        """
        if self._stopping.is_set():
            return
        self._run_task = asyncio.current_task()
        self._stopped.clear()
        retry = _Retry()
        try:
            while await self._connect_and_serve(on_event, on_session, retry):
                pass
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if not self._cut_off or task is None:
                raise
            # stop() cut off an event waiting for the service: run() returns as it would have.
            task.uncancel()
        finally:
            await self._close()
            self._run_task = None
            self._stopped.set()

    async def stop(self) -> None:
        """Make run() return soon and close the connection. Safe to call twice, and from the callback."""
        self._stopping.set()
        if self._session is not None:
            self._session.queue.put_nowait(_Stop())
        run_task = self._run_task
        if run_task is None:
            await self._close()
            return
        if run_task is asyncio.current_task():
            # Called from inside the event callback: run() returns once it
            # regains control, waiting for it here would deadlock.
            return
        await self._wait_for(self._stopped, _STOP_GRACE)
        if not self._stopped.is_set() and self._run_task is run_task:
            log.warning("wechaty: stopping: the puppet service did not answer a call in time; cut off")
            self._cut_off = True
            run_task.cancel()
            await self._wait_for(self._stopped, _STOP_WAIT)

    def after(self, delay: float, event: EventResponse) -> None:
        """Hand `event` to the callback after `delay` seconds, unless this connection ends first."""
        session = self._session
        if session is None:
            return

        async def later() -> None:
            await self._sleep(delay)
            session.queue.put_nowait(event)

        timer = asyncio.ensure_future(later())
        session.timers.add(timer)
        timer.add_done_callback(session.timers.discard)

    async def send(self, requests: Sequence[SendRequest]) -> list[str]:
        """Send in order; the ids the service gave the messages. Raises SendFailed: once one
        request went through, a failure of the next leaves the whole message in doubt."""
        link = self._link
        # Between connections (reconnecting) a one-off channel still gets the words out.
        channel = Channel(host=self._host, port=self._port) if link is None else None
        metadata = _metadata(self._token)

        async def send_one(request: SendRequest) -> str:
            if link is not None:
                return await link.send(request)
            assert channel is not None
            return await send_on(channel, request, metadata=metadata, rpc_timeout=self.rpc_timeout)

        ids: list[str] = []
        self._sending += 1
        self._no_sends.clear()
        try:
            for number, request in enumerate(requests):
                try:
                    message_id = await send_one(request)
                except SendFailed as exc:
                    if number and not exc.may_have_arrived:
                        raise SendFailed(exc.__cause__ or exc, may_have_arrived=True) from exc.__cause__
                    raise
                if message_id:
                    ids.append(message_id)
            if link is not None and link is self._link:
                # An answer proves the connection alive, as an event does.
                self._last_activity = self._clock.now()
        finally:
            self._sending -= 1
            if not self._sending:
                self._no_sends.set()
            if channel is not None:
                channel.close()
        return ids

    # -- one connection ----------------------------------------------------------------------

    async def _connect_and_serve(
        self, on_event: EventCallback, on_session: Callable[[], None] | None, retry: _Retry
    ) -> bool:
        """Connect and serve until the connection ends; whether to go on (False once stop() came)."""
        if self._stopping.is_set():
            return False
        started = self._clock.now()
        connected = False
        try:
            link = await self._connect_or_stop()
            if link is None:
                return False
            connected = True
            if retry.last_reason is not None:
                # As loud as the failure it ends.
                log.warning("wechaty: reconnected to the puppet service at %s", self.endpoint)
                retry.last_reason = None
            await self._serve(link, on_event, on_session)
            if self._stopping.is_set():
                return False
            raise StreamClosed()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # any failure here means: reconnect
            if self._stopping.is_set():
                return False
            if connected and self._clock.now() - started >= _STABLE_AFTER:
                retry.attempt = 0
            delay = self._next_delay(exc, retry)
            await self._wait_for(self._stopping, delay)
            return True

    def _next_delay(self, exc: Exception, retry: _Retry) -> float:
        """The backoff before the next attempt, said once per new reason (repeats only show with -v)."""
        delay = backoff_delay(retry.attempt, initial=self.backoff_initial, cap=self.backoff_cap)
        retry.attempt += 1
        reason = describe_error(exc, self.endpoint)
        if is_auth_error(exc) and not self.has_token:
            reason = f"no token configured for the puppet service at {self.endpoint} (set WECHATY_PUPPET_SERVICE_TOKEN)"
        level = logging.ERROR if is_auth_error(exc) else logging.WARNING
        if reason == retry.last_reason:
            level = logging.INFO
        log.log(level, "wechaty: %s; retrying in %.3g s", reason, delay)
        log.debug("wechaty: failure detail", exc_info=exc)
        retry.last_reason = reason
        return delay

    async def _open_grpc(self) -> Link:
        return await GrpcLink.open(self._host, self._port, token=self._token, rpc_timeout=self.rpc_timeout)

    async def _connect_or_stop(self) -> Link | None:
        """Connect, unless stop() comes first (connecting can take a while)."""
        connect = asyncio.ensure_future(self._connect())
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({connect, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
        if connect.done():
            link = connect.result()
            log.info("wechaty: connected to the puppet service at %s", self.endpoint)
            return link
        connect.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await connect
        return None

    async def _serve(self, link: Link, on_event: EventCallback, on_session: Callable[[], None] | None) -> None:
        """Hand events to `on_event` until the stream ends (raises) or stop() (returns)."""
        self._link = link
        self._last_activity = self._clock.now()
        session = self._session = _Session()
        if on_session is not None:
            on_session()
        if self._stopping.is_set():
            # stop() came while connecting, before there was a queue to tell.
            session.queue.put_nowait(_Stop())
        helpers = [asyncio.ensure_future(self._pump(link, session)),
                   asyncio.ensure_future(self._watchdog(link, session))]
        try:
            while True:
                item = await session.queue.get()
                if isinstance(item, _Stop) or self._stopping.is_set():
                    return
                if isinstance(item, _StreamEnded):
                    raise item.error if item.error is not None else StreamClosed()
                await on_event(item)
        finally:
            self._session = None
            for task in [*helpers, *session.timers]:
                task.cancel()
            for task in helpers:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await self._close()

    async def _pump(self, link: Link, session: _Session) -> None:
        """Move wire events into the queue; handling stays in run()'s task so
        stop() never cuts a handler off midway."""
        try:
            while True:
                response = await link.next_event()
                if response is None:
                    session.queue.put_nowait(_StreamEnded(None))
                    return
                self._last_activity = self._clock.now()
                session.queue.put_nowait(response)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # run() decides what a failure means
            session.queue.put_nowait(_StreamEnded(exc))

    async def _watchdog(self, link: Link, session: _Session) -> None:
        """A half-open TCP connection never errors: a quiet stream gets a ding, and a
        ding that fails or goes unanswered for the call timeout ends the connection."""
        interval = max(self._idle_ping_after / 4, 0.5)
        while True:
            await self._sleep(interval)
            if self._idle_seconds() < self._idle_ping_after:
                continue
            try:
                await self._within(self.rpc_timeout, link.ding())
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # run() decides what a failure means
                if self._sending:
                    # A send is waiting for its answer on this connection: ending it now would reset
                    # that send's stream while its message may still be on its way. Sends end by
                    # their own deadline; then the ding decides again.
                    await self._no_sends.wait()
                    continue
                session.queue.put_nowait(_StreamEnded(exc))
                return
            self._last_activity = self._clock.now()

    def _idle_seconds(self) -> float:
        now = self._clock.now()
        if now < self._last_activity:
            # The wall clock was set back: count from now rather than wait that long.
            self._last_activity = now
        return (now - self._last_activity).total_seconds()

    async def _close(self) -> None:
        link, self._link = self._link, None
        if link is not None:
            await link.close()

    # -- waiting on the injected sleep ---------------------------------------------------------

    async def _wait_for(self, event: asyncio.Event, seconds: float) -> None:
        """Until `event` is set or `seconds` have passed."""
        with contextlib.suppress(TimeoutError):
            await self._within(seconds, event.wait())

    async def _within(self, seconds: float, work: Awaitable[_T]) -> _T:
        """`work`'s result, or TimeoutError (and `work` cancelled) after `seconds`."""
        task = asyncio.ensure_future(work)
        timer = asyncio.ensure_future(self._sleep(seconds))
        try:
            await asyncio.wait({task, timer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            timer.cancel()
            timed_out = not task.done()
            if timed_out:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if timed_out:
            raise TimeoutError()
        return task.result()


async def send_on(channel: Channel, request: SendRequest, *, metadata: dict[str, str] | None,
                  rpc_timeout: float) -> str:
    """One send over `channel`, by grpclib's stream calls so that what failed is known to have
    happened before or after the request left: the headers are sent first (this opens the
    connection), and only what fails after them may have reached the service."""
    reply: type[MessageSendTextResponse] | type[MessageSendFileResponse]
    if isinstance(request, MessageSendTextRequest):
        route, reply = "/wechaty.Puppet/MessageSendText", MessageSendTextResponse
    else:
        route, reply = "/wechaty.Puppet/MessageSendFile", MessageSendFileResponse
    written = False
    try:
        async with channel.request(route, Cardinality.UNARY_UNARY, type(request), reply, timeout=rpc_timeout,
                                   metadata=metadata) as stream:
            await stream.send_request()
            written = True
            await stream.send_message(request, end=True)
            answer = await stream.recv_message()
    except Exception as exc:
        raise SendFailed(exc, may_have_arrived=may_have_arrived(exc, written=written)) from exc
    return (answer.id or "") if answer is not None else ""
