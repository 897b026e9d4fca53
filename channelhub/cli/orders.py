"""``channelhub orders list|show|approve|hold|release|cancel|intercept|split|merge|unmerge``.

Every command runs in one transaction through the pipeline's own functions (process_order,
stop_order, the re-grouping of jobs.regroup), so what a person does is recorded exactly like
what the hub does, with the actor and the reason, and ``orders show`` explains it all.
ORDER is written ``CHANNEL:ACCOUNT:ORDER_ID`` (as ``orders list`` prints it).
"""

from __future__ import annotations

import getpass
from datetime import UTC, datetime
from pathlib import Path

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from channelhub.cli import app
from channelhub.cli.home import open_session, settings_for
from channelhub.cli.order_view import money_text, render_order
from channelhub.cli.rules import RULES_OPTION, load_rules, pipeline_settings
from channelhub.core.errors import ChannelhubError, InvalidInput
from channelhub.core.lifecycle import OPEN_STATUSES, HubStatus
from channelhub.core.order import OrderKey
from channelhub.jobs.intercept import request_intercept
from channelhub.jobs.pipeline import process_order
from channelhub.jobs.regroup import (
    merge_into_order,
    regrouped_into,
    split_into_orders,
    unmerge_order,
)
from channelhub.jobs.stopping import stop_order
from channelhub.store.repos.orders import get_order_row, transition_order
from channelhub.store.tables.orders import OrderRow

orders_app = typer.Typer(
    help="Orders: review, hold, intercept, split, merge.", no_args_is_help=True
)
app.add_typer(orders_app, name="orders")

ACTOR_OPTION = typer.Option(None, "--actor", help="who acts (default: the login name)")


def parse_key(text: str) -> OrderKey:
    """``CHANNEL:ACCOUNT:ORDER_ID`` (the order id may itself contain ':')."""
    parts = text.split(":", 2)
    if len(parts) != 3 or not all(p.strip() for p in parts):
        raise InvalidInput.field("ORDER", text, "is not CHANNEL:ACCOUNT:ORDER_ID")
    return OrderKey(channel=parts[0], account=parts[1], external_id=parts[2])


def parse_part(text: str) -> list[tuple[str, int]]:
    """``1:2,2:1`` -> [("1", 2), ("2", 1)]: line id and quantity of one part."""
    out: list[tuple[str, int]] = []
    for item in (x.strip() for x in text.split(",")):
        line_id, sep, qty = item.rpartition(":")
        if not sep or not line_id or not qty.isdigit() or int(qty) < 1:
            raise InvalidInput.field("--lines", text, f"has {item!r}, not LINE_ID:QUANTITY")
        out.append((line_id, int(qty)))
    return out


def _actor(actor: str | None) -> str:
    if actor:
        return actor
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        return "cli"


def _not_regrouped(session: Session, key: OrderKey) -> int:
    row = get_order_row(session, key)
    gone = regrouped_into(session, row.id)
    if gone:
        raise ChannelhubError(f"order {key}: {gone} (unmerge it first)")
    return row.id


@orders_app.command("list")
def list_orders(
    ctx: typer.Context,
    status: list[HubStatus] = typer.Option([], "--status", help="only these hub statuses"),
    limit: int = typer.Option(50, "--limit", min=1, max=1_000_000),
) -> None:
    """The newest orders: key, hub status, channel status, placed, total, lines."""
    with open_session(settings_for(ctx)) as session:
        query = select(OrderRow).order_by(OrderRow.placed_at.desc(), OrderRow.id.desc())
        if status:
            query = query.where(OrderRow.hub_status.in_([s.value for s in status]))
        rows = list(session.scalars(query.limit(limit)))
        for row in rows:
            typer.echo(
                f"{row.channel}:{row.account}:{row.external_id}  {row.hub_status:<16} "
                f"{row.channel_status:<12} {row.placed_at:%Y-%m-%d %H:%M}  "
                f"{money_text(row.total_amount, row.currency)}  {len(row.lines)} line(s)"
            )
    typer.echo(f"{len(rows)} order(s)")


@orders_app.command("show")
def show(
    ctx: typer.Context, order: str = typer.Argument(..., help="CHANNEL:ACCOUNT:ORDER_ID")
) -> None:
    """The order, its lines, every transition and decision, warehouse orders and tracking."""
    with open_session(settings_for(ctx)) as session:
        typer.echo(render_order(session, parse_key(order)), nl=False)


@orders_app.command("approve")
def approve(
    ctx: typer.Context,
    order: str = typer.Argument(...),
    rules: Path | None = RULES_OPTION,
    actor: str | None = ACTOR_OPTION,
) -> None:
    """Approve an order on hold by hand (review rules skipped) and plan it."""
    settings = settings_for(ctx)
    key, who = parse_key(order), _actor(actor)
    pipeline = pipeline_settings(load_rules(settings, rules))
    with open_session(settings) as session:
        row_id = _not_regrouped(session, key)
        status = HubStatus(session.get_one(OrderRow, row_id).hub_status)
        if status is not HubStatus.ON_HOLD:
            raise ChannelhubError(f"order {key} is {status.value}, not on hold: nothing to approve")
        plan = process_order(
            session, key, settings=pipeline, now=datetime.now(UTC), actor=who, approved_by_hand=True
        )
    assert plan is not None  # an order on hold approved by hand is always planned
    typer.echo(f"{key}: approved by {who}; now {plan.status.value}: {plan.reason}")


@orders_app.command("hold")
def hold(
    ctx: typer.Context,
    order: str = typer.Argument(...),
    reason: str = typer.Option(..., "--reason", help="why the order is held"),
    actor: str | None = ACTOR_OPTION,
) -> None:
    """Hold an order (its reservation is released, queued warehouse orders cancelled)."""
    _stop(ctx, order, HubStatus.ON_HOLD, "held", reason, actor)


@orders_app.command("release")
def release(
    ctx: typer.Context,
    order: str = typer.Argument(...),
    rules: Path | None = RULES_OPTION,
    actor: str | None = ACTOR_OPTION,
) -> None:
    """Release a hold: the order goes back through the pipeline (review rules still apply)."""
    settings = settings_for(ctx)
    key, who = parse_key(order), _actor(actor)
    pipeline = pipeline_settings(load_rules(settings, rules))
    now = datetime.now(UTC)
    with open_session(settings) as session:
        row_id = _not_regrouped(session, key)
        status = HubStatus(session.get_one(OrderRow, row_id).hub_status)
        if status is not HubStatus.ON_HOLD:
            raise ChannelhubError(f"order {key} is {status.value}, not on hold: nothing to release")
        transition_order(
            session, row_id, HubStatus.NEW, reason=f"released by {who}", at=now, actor=who
        )
        plan = process_order(session, key, settings=pipeline, now=now, actor=who)
    assert plan is not None
    typer.echo(f"{key}: released by {who}; now {plan.status.value}: {plan.reason}")


@orders_app.command("cancel")
def cancel(
    ctx: typer.Context,
    order: str = typer.Argument(...),
    reason: str = typer.Option(..., "--reason", help="why the order is cancelled"),
    actor: str | None = ACTOR_OPTION,
) -> None:
    """Cancel an order the hub still holds (after dispatch: use intercept)."""
    _stop(ctx, order, HubStatus.CANCELLED, "cancelled", reason, actor)


def _stop(
    ctx: typer.Context, order: str, target: HubStatus, verb: str, reason: str, actor: str | None
) -> None:
    """Hold or cancel through the pipeline's stop: reservation released, queued cancels."""
    key, who = parse_key(order), _actor(actor)
    with open_session(settings_for(ctx)) as session:
        released = stop_order(
            session,
            key,
            target=target,
            reason=f"{verb} by {who}: {reason}",
            now=datetime.now(UTC),
            actor=who,
        )
    typer.echo(
        f"{key}: {target.value.replace('_', ' ')}; released "
        f"{sum(m.quantity for m in released)} unit(s)"
    )


@orders_app.command("intercept")
def intercept(
    ctx: typer.Context,
    order: str = typer.Argument(...),
    reason: str = typer.Option(..., "--reason", help="why the order is stopped"),
    then: HubStatus = typer.Option(
        HubStatus.ON_HOLD, "--then", help="on_hold or cancelled once stopped"
    ),
    actor: str | None = ACTOR_OPTION,
) -> None:
    """Stop an order: in the hub before dispatch; after dispatch, ask the warehouse to cancel
    (the answer — stopped in time or too late — shows in ``orders show``)."""
    if then not in (HubStatus.ON_HOLD, HubStatus.CANCELLED):
        raise InvalidInput.field("--then", then.value, "must be on_hold or cancelled")
    key, who = parse_key(order), _actor(actor)
    now = datetime.now(UTC)
    why = f"intercepted by {who}: {reason}"
    with open_session(settings_for(ctx)) as session:
        row = get_order_row(session, key)
        status = HubStatus(row.hub_status)
        if status in OPEN_STATUSES:
            released = stop_order(session, key, target=then, reason=why, now=now, actor=who)
            units = sum(m.quantity for m in released)
            typer.echo(
                f"{key}: stopped before dispatch, now {then.value}; released {units} unit(s)"
            )
            return
        asked = request_intercept(session, key, then=then, reason=why, now=now, actor=who)
    typer.echo(f"{key}: asked the warehouse to cancel {len(asked)} order(s); see `orders show`")


@orders_app.command("split")
def split(
    ctx: typer.Context,
    order: str = typer.Argument(...),
    lines: list[str] = typer.Option(..., "--lines", help="one part: LINE:QTY,LINE:QTY (repeat)"),
    max_parts: int | None = typer.Option(None, "--max-parts", min=2),
    rules: Path | None = RULES_OPTION,
    actor: str | None = ACTOR_OPTION,
) -> None:
    """Split an order into parts, each planned (and shipped) as an order of its own."""
    settings = settings_for(ctx)
    key, who = parse_key(order), _actor(actor)
    pipeline = pipeline_settings(load_rules(settings, rules))
    assignment = [parse_part(part) for part in lines]
    with open_session(settings) as session:
        children = split_into_orders(
            session,
            key,
            assignment,
            settings=pipeline,
            now=datetime.now(UTC),
            actor=who,
            max_parts=max_parts,
        )
    typer.echo(f"{key}: split into {', '.join(str(c) for c in children)}")


@orders_app.command("merge")
def merge(
    ctx: typer.Context,
    orders: list[str] = typer.Argument(..., help="two or more orders"),
    rules: Path | None = RULES_OPTION,
    actor: str | None = ACTOR_OPTION,
) -> None:
    """Merge orders of one buyer to one address into one shipment (undo: orders unmerge)."""
    settings = settings_for(ctx)
    who = _actor(actor)
    rulebook = load_rules(settings, rules)
    keys = [parse_key(o) for o in orders]
    with open_session(settings) as session:
        merged = merge_into_order(
            session,
            keys,
            config=rulebook.merge,
            settings=pipeline_settings(rulebook),
            now=datetime.now(UTC),
            actor=who,
        )
    typer.echo(f"merged {len(keys)} orders into {merged}")


@orders_app.command("unmerge")
def unmerge(
    ctx: typer.Context,
    order: str = typer.Argument(..., help="the merged order (M-...)"),
    rules: Path | None = RULES_OPTION,
    actor: str | None = ACTOR_OPTION,
) -> None:
    """Undo a merge: the merged order is cancelled, its sources are planned again."""
    settings = settings_for(ctx)
    key, who = parse_key(order), _actor(actor)
    pipeline = pipeline_settings(load_rules(settings, rules))
    with open_session(settings) as session:
        sources = unmerge_order(session, key, settings=pipeline, now=datetime.now(UTC), actor=who)
    typer.echo(f"{key}: unmerged; {', '.join(str(s) for s in sources)} back in the pipeline")
