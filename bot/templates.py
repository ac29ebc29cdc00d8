"""Renders the texts the bot posts from `scripts_templates/`.

Templates render in jinja2's sandbox with undefined names as errors, so a
broken template fails loudly instead of posting half a message.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "scripts_templates"


def money(cents: int | None) -> str:
    if cents is None:
        return "未定价"
    yuan, fen = divmod(int(cents), 100)
    return f"¥{yuan}" if fen == 0 else f"¥{yuan}.{fen:02d}"


def when(value: datetime | None) -> str:
    if value is None:
        return ""
    return f"{value.month}月{value.day}日 {value:%H:%M}"


class Templates:
    def __init__(self, folder: Path = TEMPLATE_DIR) -> None:
        self.env = SandboxedEnvironment(
            loader=FileSystemLoader(str(folder)),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            autoescape=False,
        )
        self.env.filters["money"] = money
        self.env.filters["when"] = when

    def render(self, template: str, **context: Any) -> str:
        text = self.env.get_template(f"{template}.j2").render(**context)
        return text.strip("\n")
