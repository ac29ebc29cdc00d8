"""What a new user meets in the first hour: bad files, a second bot on one
database, a console restarted, replay without --db, and the installed command.

Every refusal here is one line on stderr, exit code 2, and nothing written.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from bot import cli
from tests.project.test_cli import CASE_01, ROOT, run


def _refused(r: subprocess.CompletedProcess[str], *words: str) -> None:
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    for word in words:
        assert word in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


# -- transcripts -----------------------------------------------------------------


def test_a_transcript_that_is_not_utf8_is_refused_and_no_database_is_made(tmp_path: Path) -> None:
    chat = tmp_path / "chat.jsonl"
    chat.write_bytes(CASE_01.read_text(encoding="utf-8").encode("gb18030"))
    _refused(run("replay", chat, "--db", tmp_path / "b.sqlite"), "is not UTF-8 text")
    assert list(tmp_path.iterdir()) == [chat]


def test_a_file_that_is_not_a_transcript_is_refused_and_no_database_is_made(tmp_path: Path) -> None:
    # The README: it used to print 256 warnings, exit 0 and make a database. It
    # quotes a few transcript lines, so "no event at all" is not enough of a test.
    _refused(run("replay", ROOT / "README.md", "--db", tmp_path / "b.sqlite"),
             "README.md does not look like a transcript:", "lines are not chat events (line 1: not JSON")
    _refused(run("replay", ROOT / "pyproject.toml", "--db", tmp_path / "b.sqlite"),
             "pyproject.toml holds no chat events (line 1: not JSON")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("content", ["", "\n\n", '{"kind": "message"}\n[1, 2]\n"text"\n'])
def test_an_empty_or_eventless_transcript_is_refused(tmp_path: Path, content: str) -> None:
    chat = tmp_path / "chat.jsonl"
    chat.write_text(content, encoding="utf-8")
    _refused(run("replay", chat, "--db", tmp_path / "b.sqlite"), "holds no chat events")
    assert not (tmp_path / "b.sqlite").exists()


def _replay_in(tmp_path: Path, *extra: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    """A replay without --db whose temporary folders go to their own place, to be looked at."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    r = subprocess.run([sys.executable, str(ROOT / "bot.py"), "replay", str(CASE_01), *extra], cwd=tmp_path,
                       capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PYTHONIOENCODING": "utf-8", "TMPDIR": str(temp)})
    return r, temp


def test_replay_without_db_leaves_nothing_behind(tmp_path: Path) -> None:
    r, temp = _replay_in(tmp_path)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert json.loads(r.stdout.splitlines()[0])["text"].startswith("🎉 开团啦")
    assert list(temp.iterdir()) == []  # its temporary database folder is gone
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tmp"]  # and the live data/ was never touched


def test_replay_keeps_its_temporary_database_when_asked_and_says_where(tmp_path: Path) -> None:
    r, temp = _replay_in(tmp_path, "--keep-db")
    assert r.returncode == 0, r.stderr
    (line,) = r.stderr.splitlines()
    assert line.startswith("bot.py: replay without --db: keeping its database in ")
    named = Path(line.rsplit(" ", 1)[1])
    assert named.parent.parent == temp
    book = json.loads(run("export", "--db", named).stdout)
    assert len(book["campaigns"][0]["orders"]) == 3


# -- database files and folders -----------------------------------------------------


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """CASE_01 replayed by the real command once for the module; each test takes a copy."""
    db = tmp_path_factory.mktemp("replayed") / "b.sqlite"
    assert run("replay", CASE_01, "--db", db).returncode == 0
    return db


def _replayed_db(replayed: Path, tmp_path: Path) -> Path:
    db = tmp_path / "b.sqlite"
    shutil.copyfile(replayed, db)
    return db


def test_a_database_with_corrupt_pages_is_refused_and_left_untouched(replayed: Path, tmp_path: Path) -> None:
    db = _replayed_db(replayed, tmp_path)
    conn = sqlite3.connect(db)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'lines'").fetchone()
    conn.close()
    # The b-tree page of the order lines gets an invalid page type: the schema on
    # page 1 still reads fine, so only a check of the pages finds it.
    with db.open("r+b") as fh:
        fh.seek((root - 1) * page_size)
        fh.write(b"\x07" + b"\xff" * 7)
    before = db.read_bytes()
    runs: list[list[str | Path]] = [["replay", CASE_01, "--db", db], ["export", "--db", db],
                                    ["--db", db, "--transport", "console"]]
    for args in runs:
        _refused(run(*args, stdin=""), str(db), "is damaged (quick_check:")
    assert db.read_bytes() == before


def test_a_missing_folder_for_the_database_is_refused_not_created(tmp_path: Path) -> None:
    db = tmp_path / "no" / "such" / "b.sqlite"
    _refused(run("replay", CASE_01, "--db", db), f"the folder {db.parent} for the database", "does not exist")
    _refused(run("--db", db, "--transport", "console", stdin=""), "does not exist")
    assert list(tmp_path.iterdir()) == []


def test_wechat_without_its_settings_is_refused_before_any_file_is_made(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WECHATY_")} | {"PYTHONIOENCODING": "utf-8"}
    r = subprocess.run([sys.executable, str(ROOT / "bot.py"), "--transport", "wechaty"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=60, env=env)
    _refused(r, "needs WECHATY_PUPPET_SERVICE_TOKEN")
    assert list(tmp_path.iterdir()) == []


def test_an_export_into_a_missing_folder_is_refused(replayed: Path, tmp_path: Path) -> None:
    db = _replayed_db(replayed, tmp_path)
    for fmt in ("csv", "xlsx"):
        _refused(run("export", "--db", db, "--format", fmt, "--out", tmp_path / "no" / f"book.{fmt}"),
                 f"the folder {tmp_path / 'no'} does not exist")
    assert not (tmp_path / "no").exists()


def test_a_file_where_the_folder_should_be_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes").write_text("x", encoding="utf-8")
    _refused(run("replay", CASE_01, "--db", tmp_path / "notes" / "b.sqlite"), "is not a folder")


def test_the_default_data_folder_is_made_where_the_bot_runs(tmp_path: Path) -> None:
    r = run("--transport", "console", stdin="团长: /帮助\n", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "data" / "bot.sqlite").is_file()


def test_an_unwritable_folder_for_the_database_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    if os.access(folder, os.W_OK):
        # Run as root, permissions do not bind; answer as the file system would for anyone else.
        real = os.access
        monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == folder else real(p, mode))
    try:
        with pytest.raises(SystemExit) as stop:
            cli.main(["replay", str(CASE_01), "--db", str(folder / "b.sqlite")])
    finally:
        folder.chmod(0o755)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"cannot write in the folder {folder}" in err
    assert list(folder.iterdir()) == []


# -- one writer per database -----------------------------------------------------------


def test_a_second_writer_is_refused_while_export_may_read(tmp_path: Path) -> None:
    db = tmp_path / "live.sqlite"
    bot = subprocess.Popen([sys.executable, str(ROOT / "bot.py"), "--db", str(db), "--transport", "console"],
                           cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    try:
        assert bot.stdout is not None and bot.stdin is not None
        assert bot.stdout.readline().startswith("接龙团购助手")  # running: it holds the lock
        # A replay into the live database would have sold the same stock twice.
        _refused(run("replay", CASE_01, "--db", db), f"{db} is in use by another jielong-bot (pid {bot.pid})")
        _refused(run("--db", db, "--transport", "console", stdin=""), "is in use")
        export = run("export", "--db", db)
        assert export.returncode == 0 and json.loads(export.stdout) == {"campaigns": []}
        bot.stdin.close()
        assert bot.wait(timeout=60) == 0
    finally:
        if bot.poll() is None:
            bot.kill()
            bot.wait()
    # The lock goes with the process: the next writer is welcome.
    assert run("replay", CASE_01, "--db", db).returncode == 0


# -- the console remembers -----------------------------------------------------------------


def test_the_console_after_a_restart_knows_each_member_and_every_new_message(tmp_path: Path) -> None:
    db = tmp_path / "c.sqlite"
    first = run("--db", db, "--transport", "console", "--ack-within", "0",
                stdin="团长: /开团 周六水果团\\n草莓 30元/盒\\n砂糖橘 25元/箱\n张三: 草莓2盒\n李四: 砂糖橘1箱\n")
    assert first.returncode == 0, first.stderr
    assert "@李四 已记录：砂糖橘×1，共¥25" in first.stdout
    # A restart; 李四 speaks first this time (ids by speaking order gave her 张三's id).
    second = run("--db", db, "--transport", "console", "--ack-within", "0",
                 stdin="李四: 我的订单\n张三: 草莓3盒\n")
    assert second.returncode == 0, second.stderr
    assert "砂糖橘×1" in second.stdout and "草莓×2" not in second.stdout
    assert "@张三 已记录：草莓×3，共¥90" in second.stdout  # a new message, not taken for a re-delivery
    book = json.loads(run("export", "--db", db).stdout)
    orders = {(o["name"], i["product"]): i["qty"] for o in book["campaigns"][0]["orders"] for i in o["items"]}
    assert orders == {("张三", "草莓"): 3, ("李四", "砂糖橘"): 1}


# -- numeric options --------------------------------------------------------------------------


def test_a_number_out_of_range_is_refused_by_the_process() -> None:
    _refused(run("--ack-window", "-5"), "argument --ack-window: '-5': give a number of seconds from 0 to 300")


@pytest.mark.parametrize(("args", "message"), [
    (["--ack-window", "nan"], "argument --ack-window"),
    (["replay", "x.jsonl", "--ack-window", "1e9"], "argument --ack-window"),
    (["--group-interval", "-1"], "argument --group-interval"),
    (["--per-minute", "0"], "argument --per-minute: '0'"),
    (["--per-minute", "2.5"], "argument --per-minute"),
    (["export", "--campaign", "-1"], "argument --campaign"),
])
def test_numeric_options_out_of_range_are_refused(args: list[str], message: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    # The same main as the process above, called in this one: what is checked is the line and the code.
    with pytest.raises(SystemExit) as stop:
        cli.main(args)
    captured = capsys.readouterr()
    _refused(subprocess.CompletedProcess(args, int(str(stop.value.code)), captured.out, captured.err), message)


# -- the e2e tests' Node packages ----------------------------------------------------------------


def test_the_node_install_is_announced_and_never_rewrites_the_lockfile(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pytestconfig: pytest.Config) -> None:
    from tests.e2e import conftest as e2e

    project = tmp_path / "e2e"
    project.mkdir()
    lockfile = project / "package-lock.json"
    lockfile.write_text('{"lockfileVersion": 3}\n', encoding="utf-8")
    pinned = lockfile.read_bytes()
    tools = tmp_path / "bin"
    tools.mkdir()
    # An npm that behaves like npm 11 without --no-save: it installs, and "fixes" the lockfile.
    (tools / "npm").write_text(
        "#!/bin/sh\necho \"$@\" > npm-args\nmkdir -p node_modules/wechaty-puppet-service\n"
        "echo {} > node_modules/wechaty-puppet-service/package.json\necho '// rewritten' >> package-lock.json\n",
        encoding="utf-8")
    (tools / "node").write_text("#!/bin/sh\n", encoding="utf-8")
    for tool in ("npm", "node"):
        (tools / tool).chmod(0o755)
    monkeypatch.setenv("PATH", f"{tools}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(e2e, "E2E_DIR", project)
    shown: list[str] = []  # what the terminal gets, past pytest's capture
    reporter = pytestconfig.pluginmanager.get_plugin("terminalreporter")
    assert reporter is not None
    monkeypatch.setattr(reporter, "write_line", lambda line, **_: shown.append(line))
    assert e2e.ensure_node_modules(pytestconfig) == str(tools / "node")
    assert (project / "npm-args").read_text(encoding="utf-8").split() == ["install", "--no-save", "--no-audit",
                                                                          "--no-fund"]
    assert lockfile.read_bytes() == pinned
    assert shown[0].strip().startswith(f"e2e: installing the puppet service's Node packages into {project}")
    assert shown[1].startswith("e2e: Node packages installed in")


# -- the installed package ------------------------------------------------------------------------


@pytest.mark.slow
def test_pip_install_gives_a_jielong_bot_command_that_works_from_any_folder(tmp_path: Path) -> None:
    # A copy of the source, so the build never writes into the working tree.
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", "node_modules", "data", "build", "dist", "*.egg-info", "__pycache__", ".*_cache"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    pip = subprocess.run([str(bindir / "python"), "-m", "pip", "install", "--quiet", "--no-deps", str(src)],
                         capture_output=True, text=True, timeout=600)
    assert pip.returncode == 0, pip.stderr[-3000:]
    # The dependencies come from the environment running the tests (no second
    # download); the package itself only from the new venv.
    site = subprocess.run([str(bindir / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    shutil.rmtree(src)  # nothing may lean on the source tree
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONIOENCODING": "utf-8"}

    def bot(*args: str | Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(bindir / "jielong-bot"), *map(str, args)], cwd=elsewhere, capture_output=True,
                              text=True, input=stdin, timeout=120, env=env)

    where = subprocess.run([str(bindir / "python"), "-c", "import bot, scripts_templates; print(bot.__file__)"],
                           cwd=elsewhere, capture_output=True, text=True, env=env)
    assert where.stdout.startswith(str(venv)), where
    # The pickup page's templates and script are package data too (bot/web/).
    page = subprocess.run([str(bindir / "python"), "-c", "from importlib import resources; r = resources.files('bot.web'); "
                           "print((r / 'templates' / 'pickup.html').is_file(), (r / 'static' / 'app.js').is_file())"],
                          cwd=elsewhere, capture_output=True, text=True, env=env)
    assert page.stdout.split() == ["True", "True"], page
    helped = bot("--help")
    assert helped.returncode == 0 and helped.stdout.startswith("usage: jielong-bot")
    chat = elsewhere / "chat.jsonl"
    shutil.copy(CASE_01, chat)
    replay = bot("replay", chat, "--db", "b.sqlite")
    assert replay.returncode == 0, replay.stderr
    said = [json.loads(line)["text"] for line in replay.stdout.splitlines()]
    assert said[0].startswith("🎉 开团啦：周六水果团")
    exported = bot("export", "--db", "b.sqlite", "--format", "csv", "--out", "orders.csv")
    csv_bytes = (elsewhere / "orders.csv").read_bytes()
    assert exported.returncode == 0 and csv_bytes.startswith(b"\xef\xbb\xbf")
    assert "张三" in csv_bytes.decode("utf-8-sig")  # her copied line is in the book
    console = bot("--ack-window", "0", stdin="团长: /帮助\n")  # the help text is a packaged template
    assert console.returncode == 0 and "/开团" in console.stdout, console.stderr
    assert (elsewhere / "data" / "bot.sqlite").is_file()
