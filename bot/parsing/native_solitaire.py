"""WeChat's own 群接龙 (appmsg type 53) as the service delivers it (pure).

The visible list is in <title>; who wrote each entry is in the CDATA of
<solitaire_info>, one <i><u>member id</u></i> per entry, in entry order.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as SafeET

from bot.parsing.jielong import JielongCopy, parse_copy


@dataclass(frozen=True)
class NativeList:
    copy: JielongCopy
    authors: tuple[str, ...]  # entry i was written by authors[i]; may be shorter

    @property
    def intact(self) -> bool:
        """Every entry has its author: only then does the list say who ordered what."""
        return len(self.authors) == len(self.copy.entries) and all(self.authors)


def _find_text(root: Element, path: str) -> str:
    node = root.find(path)
    return node.text or "" if node is not None else ""


def looks_like_xml(text: str) -> bool:
    """The message is (the start of) a native 接龙's XML, parseable or not."""
    head = text.lstrip()[:200]
    return head.startswith("<") and ("<msg" in head or "<appmsg" in head or "<?xml" in head)


def parse_native(xml_text: str) -> NativeList | None:
    """The list and its authors, or None when the text is not a native 接龙's XML."""
    if "<" not in xml_text:
        return None
    try:
        root = SafeET.fromstring(xml_text.strip().encode("utf-8"))
    except Exception:  # defusedxml raises several types for hostile or broken XML
        return None
    title = _find_text(root, "appmsg/title") if root.tag == "msg" else _find_text(root, "title")
    copy = parse_copy(title)
    if copy is None:
        return None
    info = _find_text(root, ".//solitaire_info")
    authors: tuple[str, ...] = ()
    if info.strip():
        try:
            inner = SafeET.fromstring(info.strip().encode("utf-8"))
            authors = tuple((i.findtext("u") or "").strip() for i in inner.findall("content/i"))
        except Exception:
            authors = ()
    return NativeList(copy=copy, authors=authors)
