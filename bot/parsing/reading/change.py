"""What a message does to one product of a member's order, as values (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from bot.parsing.catalog import ProductRef


@dataclass(frozen=True)
class Item:
    product: ProductRef
    qty: int


class Op(StrEnum):
    SET = "set"  # her quantity becomes `qty` (草莓2盒, 草莓改成3盒)
    ADD = "add"  # `qty` more (草莓+1, 再来一盒草莓, 草莓也要一份)
    LESS = "less"  # `qty` fewer (草莓-1, 草莓少要一盒, 多写了一盒草莓)
    CANCEL = "cancel"  # none of it (草莓不要了)
    # Her quantity of `source` becomes this product's (砂糖橘换成草莓, 是草莓不是砂糖橘).
    MOVE = "move"


class Change(NamedTuple):
    """One product's change (a tuple: a message makes several)."""

    op: Op
    product: ProductRef
    qty: int = 0  # SET, ADD, LESS
    source: ProductRef | None = None  # MOVE

    def label(self) -> str:
        """As a confirmation or a question shows it."""
        unit = self.product.unit or "份"
        if self.op is Op.SET:
            return f"{self.product.name}×{self.qty}"
        if self.op is Op.ADD:
            return f"{self.product.name}加{self.qty}{unit}"
        if self.op is Op.LESS:
            return f"{self.product.name}减{self.qty}{unit}"
        if self.op is Op.CANCEL:
            return f"{self.product.name}不要了"
        assert self.source is not None
        return f"{self.source.name}换成{self.product.name}"
