"""A report of a problem in traditional characters is read like one in simplified characters: the
reader's own conversion (textnorm.fold, OpenCC), not a short table of the problem words."""

from __future__ import annotations

from bot.parsing.aftersale import Problem, read_problem
from bot.parsing.catalog import Catalog, ProductRef

CATALOG = Catalog([ProductRef(1, "紅富士蘋果", unit="箱"), ProductRef(2, "鳳梨", unit="個")])


def test_a_product_and_a_problem_in_traditional_characters_are_read() -> None:
    report = read_problem("蘋果有兩個壞掉了", CATALOG)
    assert report is not None and report.problem is Problem.DAMAGED
    assert [(line.product.name if line.product else None, line.qty) for line in report.lines] == [("紅富士蘋果", 2)]


def test_a_missing_item_in_hong_kong_words_names_its_product() -> None:
    report = read_problem("鳳梨漏發了一個", CATALOG)
    assert report is not None and report.problem is Problem.MISSING
    assert [line.product.name if line.product else None for line in report.lines] == ["鳳梨"]
