"""缺货 plans, the refund ledger, 售后 claims, members' photos and the claim window (migration 0030)."""

from storage.aftersales.repo import AfterSalesRepo

__all__ = ["AfterSalesRepo"]
