"""Daily rollups the reports read instead of every order line and ledger movement.

They are derived data, kept in step by :mod:`channelhub.store.repos.rollups` in the same
transaction as the writes that change orders and the ledger, and rebuilt from scratch by
``channelhub report rebuild`` (or migration 0017) after anything wrote around those hooks.

- ``sales_listings``: each listing key orders were placed on (channel, account, listing id,
  variation id, channel SKU) once, under a number; the sales rows group and join on it.
- ``sales_daily``: per UTC day (days since 1970-01-01) x listing key (its number) x
  destination country x currency: net units, revenue in millionths (sums exactly on both
  databases), the orders with a line in the cell, and ``order_heads``, each order counted in
  one cell only per currency (its first line's), so summing any coarser grouping counts an
  order once. Cancelled orders are left out; a cell whose orders went to 0 stays until the
  next rebuild and is read as absent.
- ``stock_daily``: per warehouse x SKU x day, the on-hand and reserved deltas, units shipped
  (``consume``) and received, and how many movements.
- ``stock_position``: per warehouse x SKU, the same sums over all time, so the opening balance
  of a report's window is the position minus the days since, not a sum of all history.

Text keys use '' for "none" (they are primary-key columns).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from channelhub.store.base import Base

LISTING_COLUMNS = ("channel", "account", "listing_id", "variation_id", "channel_sku")
_CLUSTERED = {"sqlite_with_rowid": False}  # SQLite keeps the rows in primary-key order


class SalesListingRow(Base):
    """A listing key sold on, numbered for the sales rows."""

    __tablename__ = "sales_listings"
    __table_args__ = (UniqueConstraint(*LISTING_COLUMNS, name="uq_sales_listings_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(40))
    account: Mapped[str] = mapped_column(String(100))
    listing_id: Mapped[str] = mapped_column(String(255))
    variation_id: Mapped[str] = mapped_column(String(255))
    channel_sku: Mapped[str] = mapped_column(String(255))


class SalesDailyRow(Base):
    """One day x listing key x destination country x currency of sales."""

    __tablename__ = "sales_daily"
    __table_args__ = _CLUSTERED

    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    listing: Mapped[int] = mapped_column(ForeignKey("sales_listings.id"), primary_key=True)
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    units: Mapped[int] = mapped_column(BigInteger)
    revenue_micros: Mapped[int] = mapped_column(BigInteger)
    orders: Mapped[int] = mapped_column(Integer)
    order_heads: Mapped[int] = mapped_column(Integer)


class _StockKeyAndSums:
    """A warehouse x SKU and its ledger sums (the columns both stock rollups share)."""

    warehouse: Mapped[str] = mapped_column(String(64), primary_key=True)
    sku: Mapped[str] = mapped_column(String(128), primary_key=True)
    on_hand: Mapped[int] = mapped_column(BigInteger)
    reserved: Mapped[int] = mapped_column(BigInteger)
    shipped: Mapped[int] = mapped_column(BigInteger)
    received: Mapped[int] = mapped_column(BigInteger)
    moves: Mapped[int] = mapped_column(Integer)


class StockDailyRow(_StockKeyAndSums, Base):
    """One day x warehouse x SKU of the ledger, summed."""

    __tablename__ = "stock_daily"
    __table_args__ = _CLUSTERED  # its receipts index: .rollup_receipts

    day: Mapped[int] = mapped_column(Integer, primary_key=True, sort_order=-1)


class StockPositionRow(_StockKeyAndSums, Base):
    """One warehouse x SKU of the ledger, summed over all time."""

    __tablename__ = "stock_position"
    __table_args__ = _CLUSTERED
