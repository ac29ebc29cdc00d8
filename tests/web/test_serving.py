"""`bot.py --web HOST:PORT`: the page served by the bot's own process, beside its console chat."""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a bot process

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _bot(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, str(ROOT / "bot.py"), *args], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONIOENCODING": "utf-8"})


def test_the_bot_serves_its_page_and_gives_a_link_in_the_private_chat(tmp_path: Path) -> None:
    port = _free_port()
    bot = _bot("--db", str(tmp_path / "b.sqlite"), "--web", f"127.0.0.1:{port}")
    try:
        assert bot.stdin is not None and bot.stdout is not None and bot.stderr is not None
        started = bot.stderr.readline()
        assert f"web page on http://127.0.0.1:{port}" in started
        bot.stdin.write("私聊 团长: /后台\n")
        bot.stdin.flush()
        link = ""
        while not link:
            line = bot.stdout.readline()
            assert line, "the bot ended without a link"
            found = re.search(r"(http://127\.0\.0\.1:\d+/login/\S+)", line)
            link = found.group(1) if found else ""
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        with browser.open(link, timeout=10) as page:
            html = page.read().decode()
            assert page.headers["Referrer-Policy"] == "no-referrer" and "进入" in html
        fields = dict(re.findall(r'name="(token|check)" value="([^"]*)"', html))
        body = urllib.parse.urlencode(fields).encode()
        with browser.open(f"http://127.0.0.1:{port}/login", data=body, timeout=10) as home:
            assert home.geturl() == f"http://127.0.0.1:{port}/" and "取货" in home.read().decode()
        bot.stdin.close()  # end of the console: the bot stops, and its page with it
        assert bot.wait(timeout=30) == 0
        with pytest.raises(urllib.error.URLError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5)
    finally:
        if bot.poll() is None:
            bot.kill()
            bot.wait()
        for stream in (bot.stdout, bot.stderr):
            if stream is not None:
                stream.close()


@pytest.mark.parametrize(("args", "message"), [
    (["--web", "0.0.0.0:99999"], "give HOST:PORT"),
    (["--web", "here"], "give HOST:PORT"),
    (["--web-url", "https://tuan.example.com"], "--web-url needs --web HOST:PORT"),
    (["--web", "127.0.0.1:8080", "--web-url", "tuan.example.com"], "give the page's address as a phone opens it"),
])
def test_bad_web_arguments_give_one_line_and_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, str(ROOT / "bot.py"), "--db", str(tmp_path / "b.sqlite"), *args], cwd=ROOT,
                       capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert r.returncode == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not (tmp_path / "b.sqlite").exists()


def test_a_port_in_use_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = subprocess.run([sys.executable, str(ROOT / "bot.py"), "--db", str(tmp_path / "b.sqlite"),
                            "--web", f"127.0.0.1:{port}"], cwd=ROOT, capture_output=True, text=True, timeout=60,
                           stdin=subprocess.DEVNULL)
    assert r.returncode == 2, r.stderr
    assert f"cannot serve the web page on 127.0.0.1:{port}" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "b.sqlite").exists()
