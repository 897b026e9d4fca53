"""Replenishment arithmetic: velocity, safety stock, reorder point, what to send where.

Pure: the store hands in per-(SKU, warehouse) aggregates (:class:`DemandStats`,
:class:`StockPosition`), summed in SQL; this module turns them into numbers a seller acts on,
each carrying the lines that explain it (as ``channelhub stock explain`` does for sellable
quantities). Forecast quantities are floats (they are estimates, not money); suggested
quantities are whole units rounded up to whole cartons.

The policy is a periodic review (R, S): every ``review_days`` the seller orders up to the
target level S = velocity x (lead time + review) + safety stock, where safety stock =
z(service level) x sigma_daily x sqrt(lead time + review). The reorder point
velocity x lead time + safety stock says when waiting for the next review is already late.
The normal quantile comes from :class:`statistics.NormalDist` (standard library).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from statistics import NormalDist

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: Status words of a stock-health row, worst first.
OUT, SHORT, DEAD, SLOW, OK = "out", "below reorder point", "dead", "slow", "ok"


class RouteLeadTimes(BaseModel):
    """Lead time in days per shipping mode of one route (``{sea = 35, air = 8}``)."""

    model_config = ConfigDict(frozen=True, extra="allow")

    def modes(self) -> dict[str, int]:
        """Every mode given, with its days (validated as whole positive days)."""
        extra = self.model_extra or {}
        return {str(k): int(v) for k, v in extra.items()}


class ReplenishmentConfig(BaseModel):
    """``[replenishment]`` in rules.toml; every field has a working default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Days of history velocity and demand variability are computed over.
    window_days: int = Field(default=56, ge=7, le=730)
    #: Days between two replenishment decisions (the R of the (R, S) policy).
    review_days: int = Field(default=7, ge=0, le=180)
    #: Probability of not running out during lead time + review (0.5 .. 0.999).
    service_level: float = Field(default=0.95, ge=0.5, le=0.999)
    #: Where replenishment ships from (the first half of a route key ``CN->US``).
    origin: str = Field(default="CN", min_length=2, max_length=2)
    #: The shipping mode used when a route gives several.
    mode: str = "sea"
    #: Lead time when no route matches (days).
    default_lead_days: int = Field(default=35, ge=1, le=365)
    #: ``"CN->US" = {sea = 35, air = 8}``: lead time per route and mode.
    routes: dict[str, RouteLeadTimes] = Field(default_factory=dict)
    #: Carton size per SKU (base units); a SKU not listed ships in units (or its own case).
    cartons: dict[str, int] = Field(default_factory=dict)
    #: A warehouse gives stock away only above target x (1 + margin).
    transfer_margin: float = Field(default=0.25, ge=0, le=10)
    #: More days of cover than this: a slow mover.
    slow_cover_days: int = Field(default=120, ge=1)

    @field_validator("routes")
    @classmethod
    def _route_days(cls, routes: dict[str, RouteLeadTimes]) -> dict[str, RouteLeadTimes]:
        for key, route in routes.items():
            if "->" not in key:
                raise ValueError(f"route {key!r}: write it as ORIGIN->DESTINATION, e.g. CN->US")
            for mode, days in (route.model_extra or {}).items():
                if not isinstance(days, int) or isinstance(days, bool) or days <= 0:
                    raise ValueError(f"route {key} {mode}: {days!r} is not a whole number of days")
        return routes

    @field_validator("cartons")
    @classmethod
    def _positive_cartons(cls, cartons: dict[str, int]) -> dict[str, int]:
        bad = [sku for sku, size in cartons.items() if size <= 0]
        if bad:
            raise ValueError(f"carton size must be positive: {', '.join(bad)}")
        return cartons

    def lead_time(self, destination: str, origin: str | None = None) -> tuple[int, str]:
        """(days, where the number came from) for shipping ``origin`` -> ``destination``."""
        key = f"{origin or self.origin}->{destination}"
        route = self.routes.get(key)
        if route is not None:
            modes = route.modes()
            if self.mode in modes:
                return modes[self.mode], f"route {key} {self.mode}"
            if modes:
                fastest = min(modes, key=lambda m: modes[m])
                return modes[fastest], f"route {key} {fastest} (no {self.mode} given)"
        return self.default_lead_days, f"default lead time (no route {key} configured)"

    def z(self) -> float:
        """The service level's standard normal quantile (0.95 -> 1.645)."""
        return _z(self.service_level)


def day_weight(age: int, window: int) -> int:
    """Weight of a day ``age`` days before the last one: the newest weighs ``window``, the
    oldest 1, so velocity follows recent sales without forgetting the window."""
    return window - age


@dataclass(frozen=True)
class DemandStats:
    """Daily demand of one SKU in one warehouse over the window, summed.

    Days at zero stock are left out of the velocity and the variability: nothing could sell
    then, and counting them would hide the demand that was lost.
    """

    window_days: int
    units: int  # sold on in-stock days
    weighted_units: float  # sum of units x day_weight on in-stock days
    in_stock_days: int
    in_stock_weight: float  # sum of day_weight over in-stock days
    sum_squares: float  # sum of (daily units)^2 on in-stock days

    @classmethod
    def from_daily(cls, daily: Sequence[tuple[int, bool]]) -> DemandStats:
        """From (units, in stock) per day, oldest first: the definition the SQL must match."""
        window = len(daily)
        units = weighted = weight = squares = 0.0
        days = 0
        for index, (sold, in_stock) in enumerate(daily):
            if not in_stock:
                continue
            w = day_weight(window - 1 - index, window)
            days += 1
            units += sold
            weighted += sold * w
            weight += w
            squares += sold * sold
        return cls(window, int(units), weighted, days, weight, squares)

    @property
    def velocity(self) -> float:
        """Units a day, weighted to recent days (0 when never in stock)."""
        return self.weighted_units / self.in_stock_weight if self.in_stock_weight else 0.0

    @property
    def mean(self) -> float:
        """Plain mean units a day over in-stock days."""
        return self.units / self.in_stock_days if self.in_stock_days else 0.0

    @property
    def std_dev(self) -> float:
        """Population standard deviation of daily units over in-stock days."""
        if not self.in_stock_days:
            return 0.0
        variance = self.sum_squares / self.in_stock_days - self.mean**2
        return math.sqrt(max(variance, 0.0))


@dataclass(frozen=True)
class StockPosition:
    """What one warehouse holds of one SKU, from the ledger and the in-transit records."""

    sku: str
    warehouse: str
    country: str
    on_hand: int
    reserved: int = 0
    in_flight: int = 0
    days_at_zero: int = 0  # within the window
    avg_on_hand: float = 0.0  # time-weighted over the window
    oldest_unit_age: int | None = None  # days, FIFO over known receipts
    shipped: int = 0  # units shipped in the window (all days)

    @property
    def available(self) -> int:
        """On hand not promised to an order."""
        return self.on_hand - self.reserved

    @property
    def position(self) -> int:
        """Available plus what is on its way: what the next order must top up."""
        return self.available + self.in_flight


def _f(value: float) -> str:
    return f"{value:,.2f}"


@dataclass(frozen=True)
class StockHealth:
    """Velocity, cover, turnover, age and stock-outs of one (SKU, warehouse), explained.

    The explanation (:attr:`lines`) is written only when read: a report over 30,000 keys
    prints a table, not 30,000 explanations.
    """

    position: StockPosition
    demand: DemandStats
    velocity: float
    days_of_cover: float | None  # None: nothing sells
    turnover: float | None  # annualised; None: nothing held
    lost_sales: float
    status: str

    @property
    def lines(self) -> tuple[str, ...]:
        p, demand, window, velocity = (
            self.position,
            self.demand,
            self.demand.window_days,
            self.velocity,
        )
        cover, turnover = self.days_of_cover, self.turnover
        lines = [
            f"{p.sku} @ {p.warehouse}: on hand {p.on_hand} - reserved {p.reserved} = "
            f"{p.available} available, {p.in_flight} in flight",
            f"velocity = {_f(demand.weighted_units)} weighted units / "
            f"{_f(demand.in_stock_weight)} weight over {demand.in_stock_days} in-stock days "
            f"of {window} = {_f(velocity)} a day",
            f"days of cover = {p.available} / {_f(velocity)} = {_f(cover)}"
            if cover is not None
            else "days of cover: nothing sold in the window",
            f"turnover = {p.shipped} shipped / {_f(p.avg_on_hand)} average on hand x 365/{window}"
            f" = {_f(turnover)} a year"
            if turnover is not None
            else "turnover: nothing held in the window",
        ]
        if p.days_at_zero:
            lines.append(
                f"lost sales = {p.days_at_zero} days at zero x {_f(velocity)} = "
                f"{_f(self.lost_sales)} units"
            )
        if p.oldest_unit_age is not None:
            lines.append(f"oldest unit on hand received {p.oldest_unit_age} days ago (FIFO)")
        lines.append(f"status: {self.status}")
        return tuple(lines)


def stock_health(
    position: StockPosition, demand: DemandStats, config: ReplenishmentConfig
) -> StockHealth:
    """Classify one (SKU, warehouse): out, slow, dead or ok, with its numbers."""
    p, window = position, demand.window_days
    velocity = demand.velocity
    available = p.on_hand - p.reserved
    cover = available / velocity if velocity > 0 else None
    turnover = p.shipped / p.avg_on_hand * 365 / window if p.avg_on_hand > 0 else None
    lost = p.days_at_zero * velocity
    if available <= 0 and (velocity > 0 or p.days_at_zero):
        status = OUT
    elif p.on_hand > 0 and demand.units == 0 and p.shipped == 0:
        status = DEAD
    elif cover is not None and cover > config.slow_cover_days:
        status = SLOW
    else:
        status = OK
    return StockHealth(p, demand, velocity, cover, turnover, lost, status)


@lru_cache(maxsize=64)
def _z(service_level: float) -> float:
    return NormalDist().inv_cdf(service_level)


@dataclass(frozen=True)
class Suggestion:
    """How much to order for one (SKU, warehouse), and why (:attr:`lines`, built on read)."""

    position: StockPosition
    demand: DemandStats
    lead_days: int
    lead_source: str
    review_days: int
    service_level: float
    z: float
    safety_stock: float
    reorder_point: float
    target: float
    quantity: int  # whole cartons, in base units
    cartons: int
    carton_size: int
    below_reorder_point: bool

    @property
    def sku(self) -> str:
        return self.position.sku

    @property
    def warehouse(self) -> str:
        return self.position.warehouse

    @property
    def lines(self) -> tuple[str, ...]:
        p, lead, horizon = self.position, self.lead_days, self.lead_days + self.review_days
        velocity, sigma, safety = self.demand.velocity, self.demand.std_dev, self.safety_stock
        units = max(0, math.ceil(self.target - p.position - 1e-9))
        return (
            f"{p.sku} -> {p.warehouse} ({p.country})",
            f"lead time {lead} days ({self.lead_source}) + review {self.review_days} = "
            f"{horizon} days",
            f"velocity {_f(velocity)} a day, sigma daily {_f(sigma)} "
            f"over {self.demand.in_stock_days} in-stock days",
            f"safety stock = z({self.service_level}) {self.z:.3f} x {_f(sigma)} x sqrt({horizon})"
            f" = {_f(safety)}",
            f"reorder point = {_f(velocity)} x {lead} + {_f(safety)} = {_f(self.reorder_point)}",
            f"target = {_f(velocity)} x {horizon} + {_f(safety)} = {_f(self.target)}",
            f"position = available {p.available} + in flight {p.in_flight} = {p.position}"
            + (" (below the reorder point: order now)" if self.below_reorder_point else ""),
            f"suggested = max(0, {_f(self.target)} - {p.position}) = {units} -> "
            f"{self.cartons} carton(s) of {self.carton_size} = {self.quantity}",
        )


def suggest(
    position: StockPosition,
    demand: DemandStats,
    config: ReplenishmentConfig,
    *,
    carton_size: int = 1,
    lead: tuple[int, str] | None = None,
) -> Suggestion:
    """The order-up-to quantity for one (SKU, warehouse), rounded up to whole cartons.
    ``lead`` is ``config.lead_time(position.country)`` when the caller already has it (a
    report looks it up once per country, not once per row)."""
    p = position
    days, source = lead or config.lead_time(p.country)
    horizon = days + config.review_days
    z, sigma, velocity = _z(config.service_level), demand.std_dev, demand.velocity
    safety = z * sigma * math.sqrt(horizon)
    reorder = velocity * days + safety
    target = velocity * horizon + safety
    on_order = p.on_hand - p.reserved + p.in_flight
    units = max(0, math.ceil(target - on_order - 1e-9))
    cartons = -(-units // carton_size)
    return Suggestion(
        p, demand, days, source, config.review_days, config.service_level, z, safety, reorder,
        target, cartons * carton_size, cartons, carton_size, on_order <= reorder,
    )  # fmt: skip


@dataclass(frozen=True)
class Transfer:
    """Move ``quantity`` of ``sku`` from a warehouse with excess to one running short."""

    sku: str
    source: str
    destination: str
    quantity: int
    lines: tuple[str, ...]


def suggest_transfers(
    suggestions: Mapping[tuple[str, str], Suggestion],
    positions: Mapping[tuple[str, str], StockPosition],
    config: ReplenishmentConfig,
) -> list[Transfer]:
    """Per SKU: warehouses above target x (1 + margin) give whole cartons to those below
    their reorder point, the largest need served first from the largest excess."""
    by_sku: dict[str, list[tuple[str, str]]] = {}
    for key in sorted(suggestions):
        by_sku.setdefault(key[0], []).append(key)
    transfers: list[Transfer] = []
    for sku, keys in by_sku.items():
        spare: dict[str, int] = {}
        needs: dict[str, int] = {}
        for key in keys:
            s, p = suggestions[key], positions[key]
            ceiling = s.target * (1 + config.transfer_margin)
            if p.available > ceiling:
                give = (math.floor(p.available - ceiling) // s.carton_size) * s.carton_size
                if give > 0:
                    spare[key[1]] = give
            elif s.below_reorder_point:
                needs[key[1]] = max(0, math.ceil(s.target - p.position))
        for dest in sorted(needs, key=lambda w: (-needs[w], w)):
            for source in sorted(spare, key=lambda w: (-spare[w], w)):
                size = suggestions[(sku, source)].carton_size
                qty = (min(needs[dest], spare[source]) // size) * size
                if qty <= 0:
                    continue
                s_src, s_dst = suggestions[(sku, source)], suggestions[(sku, dest)]
                p_src, p_dst = positions[(sku, source)], positions[(sku, dest)]
                transfers.append(
                    Transfer(
                        sku, source, dest, qty,
                        (
                            f"{source} holds {p_src.available} available, above target "
                            f"{_f(s_src.target)} x {1 + config.transfer_margin:g} = "
                            f"{_f(s_src.target * (1 + config.transfer_margin))}: "
                            f"{spare[source]} to spare",
                            f"{dest} position {p_dst.position} is at or below its reorder point "
                            f"{_f(s_dst.reorder_point)}: needs {needs[dest]} to reach "
                            f"{_f(s_dst.target)}",
                            f"transfer {qty} (whole cartons of {size})",
                        ),
                    )
                )  # fmt: skip
                spare[source] -= qty
                needs[dest] -= qty
    return transfers
