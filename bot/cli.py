"""接龙团购助手 — command line and composition root (`jielong-bot`, or `python bot.py`).

    jielong-bot                        the bot in a console group chat (or WeChat, see --transport)
    jielong-bot replay CHAT.jsonl      feed a recorded chat through the same pipeline
    jielong-bot export --format json   the order book

Everything a person can get wrong here (an argument, a transcript, a database
file or its folder, a second bot on the same database) ends in one line on
stderr and exit code 2, before anything is written.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Coroutine
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from bot.app.runtime import Beside
    from bot.clock import ManualClock
    from bot.models import Event

DEFAULT_DB = Path("data") / "bot.sqlite"


def _prog() -> str:
    # `python bot.py` and the installed `jielong-bot` name themselves as typed.
    name = Path(sys.argv[0]).name
    return name if name in ("bot.py", "jielong-bot") else "jielong-bot"


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One clear line, exit 2: scripts and people both read it.
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise argparse.ArgumentTypeError(f"unknown time zone {name!r}") from exc


def _number(kind: Callable[[str], float], low: float, high: float, what: str) -> Callable[[str], float]:
    """An argparse type: a number within [low, high], or one line saying what is wanted."""
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and low <= value <= high):
            raise argparse.ArgumentTypeError(f"{text!r}: give {what}")
        return value
    return parse


_SECONDS = _number(float, 0, 300, "a number of seconds from 0 to 300")
_INTERVAL = _number(float, 0, 3600, "a number of seconds from 0 to 3600")
_PER_MINUTE = _number(int, 1, 1000, "a whole number of messages from 1 to 1000")
_CAMPAIGN = _number(int, 1, 2**62, "a campaign id: a whole number, 1 or more (see export's \"id\")")


def _listen(text: str) -> tuple[str, int]:
    """--web HOST:PORT (":8080" or "8080": every address of this machine)."""
    host, sep, port = text.rpartition(":")
    if not sep:
        host, port = "", text
    host = host.strip("[]") or "0.0.0.0"
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r}: give HOST:PORT, e.g. 0.0.0.0:8080")
    return host, int(port)


def _web_url(text: str) -> str:
    if not text.startswith(("http://", "https://")) or len(text) < 10 or any(c.isspace() for c in text):
        raise argparse.ArgumentTypeError(f"{text!r}: give the page's address as a phone opens it, "
                                         "e.g. https://tuan.example.com")
    return text.rstrip("/")


def build_parser() -> Parser:
    parser = Parser(prog=_prog(), description="接龙团购助手: turns WeChat group 接龙 into an exact order book.")
    parser.add_argument("--db", type=Path, default=None,
                        help=f"SQLite file (default {DEFAULT_DB}; its folder must exist, except data/)")
    parser.add_argument("--transport", choices=["console", "wechaty"], default=None,
                        help="console (default) or wechaty (default when WECHATY_PUPPET_SERVICE_TOKEN is set)")
    parser.add_argument("--tz", type=_zone, default="Asia/Shanghai", metavar="ZONE",
                        help="time zone for schedules, deadlines and the times in exports (default Asia/Shanghai)")
    parser.add_argument("--ack-window", type=_SECONDS, default=3.0, metavar="SECONDS",
                        help="a lone order in a group the bot has been quiet in for 10 minutes is confirmed "
                             "after this many quiet seconds (default 3)")
    parser.add_argument("--ack-within", type=_SECONDS, default=290.0, metavar="SECONDS",
                        help="otherwise acknowledgements gather, and a member hears hers within this many seconds "
                             "(default 290; anything not as she wrote within 40; 0 confirms every order at once)")
    parser.add_argument("--group-interval", type=_INTERVAL, default=2.0, metavar="SECONDS",
                        help="WeChat: at least this long between two bot messages in one group (default 2)")
    parser.add_argument("--per-minute", type=_PER_MINUTE, default=20, metavar="N",
                        help="WeChat: at most N bot messages a minute over all chats (default 20)")
    parser.add_argument("--web", type=_listen, default=None, metavar="HOST:PORT",
                        help="serve the pickup-day web page here (off by default), e.g. 0.0.0.0:8080; "
                             "log in with /后台 in the private chat")
    parser.add_argument("--web-url", type=_web_url, default=None, metavar="URL",
                        help="the page's address as a phone opens it, when it is behind a reverse proxy "
                             "(https://…); default http://<this machine's LAN address>:PORT")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", parser_class=Parser)

    replay = sub.add_parser("replay", help="replay a recorded chat (transcript.jsonl) and print what the bot says")
    replay.add_argument("transcript", type=Path)
    replay.add_argument("--db", type=Path, default=argparse.SUPPRESS,
                        help="SQLite file (default: a new temporary one, removed at the end)")
    replay.add_argument("--keep-db", action="store_true",
                        help="without --db: keep the temporary database and say where it is")
    replay.add_argument("--ack-window", type=_SECONDS, default=argparse.SUPPRESS, metavar="SECONDS")
    replay.add_argument("--ack-within", type=_SECONDS, default=argparse.SUPPRESS, metavar="SECONDS")
    replay.add_argument("--tz", type=_zone, default=argparse.SUPPRESS, metavar="ZONE")

    export = sub.add_parser("export", help="print or write the order book and the after-the-drop reports")
    export.add_argument("--db", type=Path, default=argparse.SUPPRESS, help=f"SQLite file (default {DEFAULT_DB})")
    export.add_argument("--format", choices=["json", "csv", "xlsx"], default="json",
                        help="json (default), csv (UTF-8 with BOM) or xlsx (one sheet per report; needs --out)")
    export.add_argument("--campaign", type=_CAMPAIGN, default=None, metavar="ID", help="only this campaign")
    export.add_argument("--report", choices=["orders", "supplier", "packing", "members"], default=None,
                        help="orders (the order book, default for json/csv), supplier (what to buy), packing "
                             "(by pickup point and building), members (owed, paid, collected); "
                             "xlsx: every sheet unless given")
    export.add_argument("--out", type=Path, default=None, metavar="FILE", help="write here instead of stdout")
    export.add_argument("--tz", type=_zone, default=argparse.SUPPRESS, metavar="ZONE")
    return parser


def _fail(message: str) -> NoReturn:
    sys.stderr.write(f"{_prog()}: error: {message}\n")
    raise SystemExit(2)


def _writable_db(args: argparse.Namespace) -> Path:
    """The database this run writes: checked, and created only in the default data/ folder."""
    from storage.access import check_writable

    path: Path = args.db if args.db is not None else DEFAULT_DB
    check_writable(path, may_create_folder=args.db is None)
    return path


def _temporary_db(keep: bool) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="jielong-replay-"))
    path = folder / "replay.sqlite"
    if keep:
        sys.stderr.write(f"{_prog()}: replay without --db: keeping its database in {path}\n")
    return path


def _wechaty_settings() -> tuple[str, str]:
    token = os.environ.get("WECHATY_PUPPET_SERVICE_TOKEN", "")
    endpoint = os.environ.get("WECHATY_PUPPET_SERVICE_ENDPOINT", "")
    if not token:
        _fail("--transport wechaty needs WECHATY_PUPPET_SERVICE_TOKEN (see README, Connect to WeChat)")
    if not endpoint:
        _fail("set WECHATY_PUPPET_SERVICE_ENDPOINT=host:port of your puppet service "
              "(see README, Connect to WeChat)")
    return token, endpoint


def _beside(args: argparse.Namespace) -> tuple[list[Beside], str | None]:
    """What runs beside the bot (the web page, with --web) and the page's address."""
    if args.web is None:
        return [], None
    from bot.web.server import default_url, serve

    host, port = args.web
    url: str = args.web_url or default_url(host, port)
    sys.stderr.write(f"{_prog()}: web page on {url} (send /后台 to the bot privately for a login link)\n")
    return [lambda app: serve(app, host, port, url)], url


async def _serve(args: argparse.Namespace, transport_name: str, db_path: Path) -> None:
    from bot.app.outbox import SendLimits
    from bot.app.runtime import run_bot
    from bot.clock import SystemClock
    from bot.routers import build_dispatcher

    clock = SystemClock(args.tz)
    beside, web_url = _beside(args)
    if transport_name == "wechaty":
        from bot.transports.wechaty import WechatyTransport

        token, endpoint = _wechaty_settings()
        try:
            transport = WechatyTransport(token=token, endpoint=endpoint, clock=clock)
            limits = SendLimits(per_group_interval=args.group_interval, per_account_per_minute=args.per_minute)
        except ValueError as exc:
            _fail(str(exc))
        await run_bot(transport, db_path, clock, timedelta(seconds=args.ack_window), build_dispatcher(), live=True,
                      limits=limits, ack_within=timedelta(seconds=args.ack_within),
                      beside=beside, web_url=web_url)
    else:
        from bot.transports.console import ConsoleTransport

        await run_bot(ConsoleTransport(clock), db_path, clock, timedelta(seconds=args.ack_window), build_dispatcher(),
                      live=True, ack_within=timedelta(seconds=args.ack_within),
                      beside=beside, web_url=web_url)


def _load_transcript(args: argparse.Namespace) -> tuple[list[Event], ManualClock]:
    """The whole transcript, checked before any database is touched."""
    from bot.clock import ManualClock
    from bot.transports.replay import TranscriptError, load_transcript

    if not args.transcript.is_file() or not os.access(args.transcript, os.R_OK):
        _fail(f"cannot read transcript {args.transcript}")
    clock = ManualClock(tz=args.tz)
    try:
        transcript = load_transcript(args.transcript, clock)
    except TranscriptError as exc:
        _fail(str(exc))
    shown = transcript.skipped[:_SKIPPED_SHOWN]
    for number, why in shown:
        sys.stderr.write(f"{_prog()}: warning: {args.transcript}:{number} skipped: {why}\n")
    if len(transcript.skipped) > len(shown):
        sys.stderr.write(f"{_prog()}: warning: {args.transcript}: "
                         f"{len(transcript.skipped) - len(shown)} more lines skipped\n")
    return transcript.events, clock


# A few bad lines are listed one by one; a flood of them is counted.
_SKIPPED_SHOWN = 10


async def _replay(args: argparse.Namespace, events: list[Event], clock: ManualClock, db_path: Path) -> None:
    from bot.app.runtime import run_bot
    from bot.routers import build_dispatcher
    from bot.transports.replay import ReplayTransport

    await run_bot(ReplayTransport(events, clock), db_path, clock, timedelta(seconds=args.ack_window),
                  build_dispatcher(), live=False, ack_within=timedelta(seconds=args.ack_within))


def _readable_db(args: argparse.Namespace) -> Path:
    """The database an export reads: it must be there and sound; no lock (the bot may be running)."""
    from storage.access import check_pages

    if args.format == "xlsx" and args.out is None:
        _fail("--format xlsx writes a workbook: give it a file with --out FILE.xlsx")
    path: Path = args.db if args.db is not None else DEFAULT_DB
    if not path.is_file():
        _fail(f"no database at {path}")
    if args.out is not None and not args.out.parent.is_dir():
        _fail(f"cannot write {args.out}: the folder {args.out.parent} does not exist")
    check_pages(path)
    return path


async def _export(args: argparse.Namespace, path: Path) -> None:
    from bot.domain.reports import UnknownCampaign, load_reports
    from bot.render.export import TABLES, order_book, report_json, table_csv, to_json
    from storage.db import Database

    db = await Database.open(path)
    try:
        if args.format == "xlsx":
            from bot.render.xlsx_export import SHEETS, export_xlsx

            try:
                await export_xlsx(db, args.out, args.tz, args.campaign,
                                  SHEETS if args.report is None else (args.report,))
            except UnknownCampaign as exc:
                _fail(str(exc))
            except OSError as exc:
                _fail(f"cannot write {args.out}: {exc.strerror}")
            return
        if args.report in (None, "orders") and args.format == "json":
            # The order book's own shape: the corpus check and scripts read it.
            book = await order_book(db, args.campaign)
            if args.campaign is not None and not book["campaigns"]:
                _fail(f"no campaign with id {args.campaign}")
            text = to_json(book)
        else:
            try:
                reports = await load_reports(db, args.campaign)
            except UnknownCampaign as exc:
                _fail(str(exc))
            report = args.report or "orders"
            text = (to_json(report_json(reports, report, args.tz)) if args.format == "json"
                    else table_csv(TABLES[report](reports, args.tz)))
    finally:
        await db.close()
    data = text.encode("utf-8") if args.format == "json" else text.encode("utf-8-sig")
    if args.out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        try:
            args.out.write_bytes(data)
        except OSError as exc:
            _fail(f"cannot write {args.out}: {exc.strerror}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.web_url is not None and args.web is None:
        build_parser().error("--web-url needs --web HOST:PORT (where the page listens)")
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # APScheduler logs two lines at INFO for every one-second tick: -v would show nothing else.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    from bot.web.server import WebError
    from storage.access import DatabaseBusy
    from storage.db import DatabaseError

    try:
        if args.command == "export":
            path = _readable_db(args)
            asyncio.run(_export(args, path))
        elif args.command == "replay":
            events, clock = _load_transcript(args)
            if args.db is not None:
                path = _writable_db(args)
                _write(path, lambda: _replay(args, events, clock, path))
            else:
                # A replay without --db is a look at what the bot would say: its database (and the
                # exports beside it) go when it ends, unless asked to keep them.
                path = _temporary_db(args.keep_db)
                try:
                    _write(path, lambda: _replay(args, events, clock, path))
                finally:
                    if not args.keep_db:
                        shutil.rmtree(path.parent, ignore_errors=True)
        else:
            token = os.environ.get("WECHATY_PUPPET_SERVICE_TOKEN")
            transport = args.transport or ("wechaty" if token else "console")
            if transport == "wechaty":
                _wechaty_settings()  # a missing setting is said before any file is made
            if args.web is not None:
                from bot.web.server import check_address

                check_address(*args.web)
            path = _writable_db(args)
            _write(path, lambda: _serve(args, transport, path))
    except (DatabaseError, DatabaseBusy, WebError) as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        return 130
    return 0


def _write(path: Path, run: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Runs a writer: alone on its database, and only on a database whose pages are sound."""
    from storage.access import check_pages, writer_lock

    with writer_lock(path):
        check_pages(path)
        asyncio.run(run())
