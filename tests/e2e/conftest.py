"""A real wechaty puppet service for the end-to-end tests.

`puppet_service` starts tests/e2e/puppet_server.mjs (PuppetMock behind the real
PuppetServer from wechaty-puppet-service) on free loopback ports and hands the
test its gRPC endpoint, its control API and a made-up token.

Without Node the tests skip on a developer's machine; in CI (CI=true) they fail
instead, so a machine that lost Node cannot pass green.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import secrets
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import pytest

E2E_DIR = Path(__file__).resolve().parent
SERVER_SCRIPT = E2E_DIR / "puppet_server.mjs"
READY_TIMEOUT = 60.0
NPM_TIMEOUT = 600.0


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: needs Node.js and the wechaty puppet service in tests/e2e")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def unavailable(reason: str) -> NoReturn:
    """Skip here, fail in CI: CI must never go green by skipping the proof."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: the e2e tests must run)", pytrace=False)
    pytest.skip(reason)


def require_python_deps() -> None:
    for module in ("grpclib", "betterproto", "wechaty_grpc"):
        try:
            __import__(module)
        except ImportError:
            unavailable(f"Python package for the wechaty transport missing: {module}")


def _node_modules_ready() -> bool:
    return (E2E_DIR / "node_modules" / "wechaty-puppet-service" / "package.json").is_file()


# `install`, not `ci`: npm ci rejects this lockfile (npm 11 left out optional
# platform packages of @swc/core). `--no-save`: npm install would otherwise
# rewrite the committed lockfile with them; the versions come from it either way.
NPM_INSTALL = ("install", "--no-save", "--no-audit", "--no-fund")


def _tell(config: pytest.Config, text: str) -> None:
    """A line on the terminal even while pytest captures output: the install is a visible step."""
    capture = config.pluginmanager.get_plugin("capturemanager")
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if capture is None or reporter is None:
        print(text)
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line(text)


def ensure_node_modules(config: pytest.Config) -> str:
    node = shutil.which("node")
    if node is None:
        unavailable("node is not on PATH; the wechaty e2e tests need Node.js >= 18")
    if not _node_modules_ready():
        npm = shutil.which("npm")
        if npm is None:
            unavailable("npm is not on PATH; cannot install tests/e2e/node_modules")
        lockfile = E2E_DIR / "package-lock.json"
        pinned = lockfile.read_bytes()
        _tell(config, f"\ne2e: installing the puppet service's Node packages into {E2E_DIR / 'node_modules'} "
                      f"(npm {' '.join(NPM_INSTALL)}; pinned by package-lock.json; about 170 MB, once)")
        started = time.monotonic()
        result = subprocess.run([npm, *NPM_INSTALL], cwd=E2E_DIR, capture_output=True, text=True,
                                timeout=NPM_TIMEOUT, check=False)
        if lockfile.read_bytes() != pinned:
            # Whatever this npm version does, the committed lockfile stays as committed.
            lockfile.write_bytes(pinned)
        if result.returncode != 0 or not _node_modules_ready():
            pytest.fail(f"npm install in {E2E_DIR} failed:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}")
        _tell(config, f"e2e: Node packages installed in {time.monotonic() - started:.0f} s")
    return node


@pytest.fixture(scope="session")
def node_path(pytestconfig: pytest.Config) -> str:
    """Node, with the puppet service's packages installed (once per session, said on the terminal)."""
    return ensure_node_modules(pytestconfig)


def _http(method: str, url: str, body: Any = None, timeout: float = 10.0) -> Any:
    data = None if body is None else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(url, data=data, method=method, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        raise AssertionError(f"{method} {url} -> {exc.code}: {exc.read().decode('utf-8', 'replace')}") from None


@dataclass(frozen=True)
class Sent:
    text: str
    room: str | None
    to: str | None
    mentions: tuple[str, ...]
    file: str | None = None  # a file's name; its size in `bytes`
    bytes: int = 0


@dataclass
class PuppetService:
    endpoint: str  # host:port of the gRPC puppet service
    http: str  # base URL of the control API
    token: str
    log_path: Path
    _process: subprocess.Popen[str] = field(repr=False)

    # -- control API (blocking; async tests use the a* twins) -----------------

    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = _http("GET", self.http + "/health")
        return result

    def say(
        self,
        member: str,
        text: str,
        *,
        room: str | None = "r1",
        mentions: tuple[str, ...] = (),
        kind: str = "text",
    ) -> str:
        """`member` says `text` in `room`, or to the bot privately when room is None."""
        body: dict[str, Any] = {"from": member, "text": text, "type": kind, "mentions": list(mentions)}
        if room is None:
            body["to_bot"] = True
        else:
            body["room"] = room
        result = _http("POST", self.http + "/say", body)
        return str(result["id"])

    def join(self, member: str, name: str, *, room: str = "r1", inviter: str = "wx_owner") -> None:
        _http("POST", self.http + "/join", {"room": room, "member": member, "name": name, "inviter": inviter})

    def topic(self, topic: str, *, room: str = "r1", by: str = "wx_owner") -> None:
        _http("POST", self.http + "/topic", {"room": room, "topic": topic, "by": by})

    def room(self, room: str, topic: str, owner: str, members: dict[str, str]) -> None:
        """Another group with the bot in it (before the bot starts: it lists its groups when ready)."""
        _http("POST", self.http + "/room", {"room": room, "topic": topic, "owner": owner,
                                            "members": [{"id": m, "name": n} for m, n in members.items()]})

    def scan(self, qrcode: str) -> None:
        _http("POST", self.http + "/scan", {"qrcode": qrcode})

    def sent(self) -> list[Sent]:
        return [
            Sent(text=s["text"], room=s["room"], to=s["to"], mentions=tuple(s["mentions"]), file=s.get("file"),
                 bytes=int(s.get("bytes") or 0))
            for s in _http("GET", self.http + "/sent")
        ]

    def restart_grpc(self) -> None:
        _http("POST", self.http + "/restart-grpc", {})

    def send_delay(self, seconds: float) -> None:
        """Every later send hangs this long, then lands (recorded, echoed) and answers."""
        _http("POST", self.http + "/send-delay", {"ms": int(seconds * 1000)})

    def wait_for_clients(self, count: int = 1, timeout: float = 30.0) -> None:
        self.wait_until(lambda: self.health()["clients"] >= count, timeout, f"{count} bot connection(s)")

    def wait_sent(
        self, predicate: Callable[[Sent], bool], timeout: float = 20.0, what: str = "a message", *, since: int = 0
    ) -> Sent:
        """The first thing the bot said (from the `since`-th on) that matches, polled up to `timeout` s."""
        found: list[Sent] = []

        def check() -> bool:
            found[:] = [s for s in self.sent()[since:] if predicate(s)]
            return bool(found)

        self.wait_until(check, timeout, what)
        return found[0]

    def wait_until(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if condition():
                return
            if self._process.poll() is not None:
                raise AssertionError(f"the puppet service exited ({self._process.returncode}):\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; bot said: {self.sent()!r}")
            time.sleep(0.1)

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""

    async def asay(self, member: str, text: str, **kwargs: Any) -> str:
        return await asyncio.to_thread(self.say, member, text, **kwargs)

    async def ajoin(self, member: str, name: str, **kwargs: Any) -> None:
        await asyncio.to_thread(self.join, member, name, **kwargs)

    async def asent(self) -> list[Sent]:
        return await asyncio.to_thread(self.sent)

    async def await_sent(
        self, predicate: Callable[[Sent], bool], within: float = 20.0, what: str = "a message"
    ) -> Sent:
        return await asyncio.to_thread(self.wait_sent, predicate, within, what)

    async def arestart_grpc(self) -> None:
        await asyncio.to_thread(self.restart_grpc)


def _read_ready(
    process: subprocess.Popen[str], reader: threading.Thread, lines: queue.Queue[str | None], timeout: float
) -> tuple[int, int]:
    """Wait for `READY grpc=P http=Q` on the server's stdout, at most `timeout` s."""
    reader.start()
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no READY line within {timeout:.0f} s")
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            continue
        if line is None:
            raise RuntimeError(f"the puppet service exited ({process.wait()}) before it was ready")
        if line.startswith("READY "):
            fields = dict(part.split("=", 1) for part in line.split()[1:])
            return int(fields["grpc"]), int(fields["http"])


@pytest.fixture
def puppet_service(tmp_path: Path, node_path: str) -> Iterator[PuppetService]:
    node = node_path
    token = "e2e-" + secrets.token_hex(12)
    log_path = tmp_path / "puppet_server.log"
    env = {**os.environ, "WECHATY_LOG": os.environ.get("WECHATY_LOG", "warn")}
    with log_path.open("w", encoding="utf-8") as log_file:
        process = subprocess.Popen(
            [node, str(SERVER_SCRIPT), "--grpc-port", "0", "--http-port", "0", "--token", token],
            cwd=E2E_DIR,
            stdout=subprocess.PIPE,
            stderr=log_file,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
        )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    # The reader keeps draining stdout after READY so the pipe never fills up.
    reader = threading.Thread(target=pump, name="puppet-server-stdout", daemon=True)
    try:
        try:
            grpc_port, http_port = _read_ready(process, reader, lines, READY_TIMEOUT)
        except (TimeoutError, RuntimeError) as exc:
            pytest.fail(f"puppet service did not start: {exc}\n{log_path.read_text(encoding='utf-8')[-4000:]}")
        yield PuppetService(
            endpoint=f"127.0.0.1:{grpc_port}",
            http=f"http://127.0.0.1:{http_port}",
            token=token,
            log_path=log_path,
            _process=process,
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if reader.is_alive():
            reader.join(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
