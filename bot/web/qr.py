"""A pickup code's QR, drawn as SVG by the `qrcode` package (no Pillow needed)."""

from __future__ import annotations

import qrcode
import qrcode.image.svg
from markupsafe import Markup


def qr_svg(text: str) -> Markup:
    """An inline <svg> of `text` as a QR code, sized by the page's CSS."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    return Markup(image.to_string(encoding="unicode"))
