"""Through `bot.py replay`: every member whose message the bot could not read exactly was asked —
in the group, or on the owner's list when she did not answer — never confirmed wrongly, never left
silent. tests/fixtures/asked holds chats where nobody answers; their expected.json is what the
members meant (the careful owner's reading), so every member there is one the bot got "wrong"."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
ASKED = ROOT / "tests" / "fixtures" / "asked"
# The words a member (and the shared tools/ask_check.py) recognises a question by.
ASK_WORDS = ("没看懂", "没有记录", "请写", "待确认", "确认", "哪个", "哪一个", "对应好几个", "转给团长")


def run(*args: str | Path) -> str:
    r = subprocess.run([sys.executable, str(ROOT / "bot.py"), *map(str, args)], cwd=ROOT, capture_output=True,
                       text=True, timeout=120, env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.mark.parametrize("case", sorted(p.name for p in ASKED.iterdir() if (p / "expected.json").is_file()))
def test_every_member_not_read_exactly_was_asked(case: str, tmp_path: Path) -> None:
    folder = ASKED / case
    names: dict[str, str] = {}
    for line in (folder / "transcript.jsonl").read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        if event["kind"] == "room":
            names.update(event["members"])
    said = [json.loads(line) for line in run("replay", folder / "transcript.jsonl", "--db", tmp_path / "b.sqlite")
            .splitlines()]
    book = json.loads(run("export", "--db", tmp_path / "b.sqlite"))
    got = Counter({(o["member"], i["product"]): i["qty"] for c in book["campaigns"] for o in c["orders"]
                   for i in o["items"]})
    want = Counter({(m, p): q for c in json.loads((folder / "expected.json").read_text(encoding="utf-8"))["campaigns"]
                    for m, p, q in c["orders"]})
    wrong = {m for m, _ in (got - want) + (want - got)}
    assert wrong, "a chat here is one the bot cannot read alone"
    for member in sorted(wrong):
        name = names[member]
        to_her = [s["text"] for s in said if f"@{name} " in s.get("text", "") or s.get("to") == member
                  or (s.get("to") and f"{name}：" in s.get("text", "") and "待确认" in s.get("text", ""))]
        assert to_her, f"{name} was never told anything"
        # Asked in the group, in words she knows, and on the owner's list once she did not answer.
        assert any(f"@{name} " in t and any(w in t for w in ASK_WORDS) for t in to_her), (name, to_her)
        assert any("待确认" in t and f"{name}：" in t for t in to_her), (name, to_her)
        # Never a confirmation of something she did not order.
        for t in to_her:
            for part in t.split("\n"):
                if part.startswith(f"@{name} 已记录："):
                    booked = part.split("：", 1)[1].split("，共")[0]
                    for item in booked.split("、"):
                        product, qty = item.rsplit("×", 1)
                        assert want[(member, product)] == int(qty), (name, part)
