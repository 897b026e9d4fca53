"""``channelhub orders list|show|approve|hold|release|cancel|intercept|split|merge|unmerge``.

Every command runs in one transaction through :mod:`channelhub.jobs.orders.actions` (the
console's order actions call the same functions), so what a person does is recorded exactly
like what the hub does, with the actor and the reason, and ``orders show`` explains it all.
ORDER is written ``CHANNEL:ACCOUNT:ORDER_ID`` (as ``orders list`` prints it).
"""

from __future__ import annotations

import getpass
from datetime import UTC, datetime
from pathlib import Path

import typer

from channelhub.cli import app
from channelhub.cli.home import open_session, settings_for
from channelhub.cli.rules import RULES_OPTION, load_rules, pipeline_settings
from channelhub.core.errors import NotFound
from channelhub.core.lifecycle import HubStatus
from channelhub.core.money import money_text
from channelhub.core.order import OrderKey, parse_order_key
from channelhub.store.repos.order_search import OrderFilter, order_row_id, search_orders

orders_app = typer.Typer(
    help="Orders: review, hold, intercept, split, merge.", no_args_is_help=True
)
app.add_typer(orders_app, name="orders")

ACTOR_OPTION = typer.Option(None, "--actor", help="who acts (default: the login name)")


def parse_key(text: str) -> OrderKey:
    """``CHANNEL:ACCOUNT:ORDER_ID`` (the order id may itself contain ':')."""
    return parse_order_key(text)


def _actor(actor: str | None) -> str:
    if actor:
        return actor
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        return "cli"


@orders_app.command("list")
def list_orders(
    ctx: typer.Context,
    status: list[HubStatus] = typer.Option([], "--status", help="only these hub statuses"),
    limit: int = typer.Option(50, "--limit", min=1, max=1_000_000),
    after: str | None = typer.Option(
        None, "--after", help="the page after this order (CHANNEL:ACCOUNT:ORDER_ID)"
    ),
) -> None:
    """The newest orders: key, hub status, channel status, placed, total, lines."""
    wanted = OrderFilter(statuses=tuple(s.value for s in status))
    with open_session(settings_for(ctx)) as session:
        after_id = None
        if after is not None:
            after_id = order_row_id(session, str(parse_key(after)))
            if after_id is None:
                raise NotFound(f"no order {after}: --after takes a key `orders list` printed")
        rows = search_orders(session, wanted, limit=limit + 1, after=after_id)
    more = len(rows) > limit
    rows = rows[:limit]
    same = "".join(f" --status {s.value}" for s in status) + (
        f" --limit {limit}" if limit != 50 else ""
    )
    typer.echo(
        "\n".join(
            f"{row.key}  {row.hub_status:<16} "
            f"{row.channel_status:<12} {row.placed_at:%Y-%m-%d %H:%M}  "
            f"{money_text(row.total_amount, row.currency)}  {row.lines} line(s)"
            for row in rows
        )
        + ("\n" if rows else "")
        + f"{len(rows)} order(s)"
        + (f"; next page: channelhub orders list{same} --after {rows[-1].key}" if more else "")
    )


@orders_app.command("show")
def show(
    ctx: typer.Context, order: str = typer.Argument(..., help="CHANNEL:ACCOUNT:ORDER_ID")
) -> None:
    """The order, its lines, every transition and decision, warehouse orders and tracking."""
    from channelhub.cli.order_view import render_order  # its queries, not `orders list`'s

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
    from channelhub.jobs.orders import actions  # the order flow, not `orders list`'s

    settings = settings_for(ctx)
    pipeline = pipeline_settings(load_rules(settings, rules))
    with open_session(settings) as session:
        said = actions.approve_order(
            session, parse_key(order), settings=pipeline, now=datetime.now(UTC), actor=_actor(actor)
        )
    typer.echo(said)


@orders_app.command("hold")
def hold(
    ctx: typer.Context,
    order: str = typer.Argument(...),
    reason: str = typer.Option(..., "--reason", help="why the order is held"),
    actor: str | None = ACTOR_OPTION,
) -> None:
    """Hold an order (its reservation is released, queued warehouse orders cancelled)."""
    from channelhub.jobs.orders import actions  # the order flow, not `orders list`'s

    with open_session(settings_for(ctx)) as session:
        said = actions.hold_order(
            session, parse_key(order), reason=reason, now=datetime.now(UTC), actor=_actor(actor)
        )
    typer.echo(said)


@orders_app.command("release")
def release(
    ctx: typer.Context,
    order: str = typer.Argument(...),
    rules: Path | None = RULES_OPTION,
    actor: str | None = ACTOR_OPTION,
) -> None:
    """Release a hold: the order goes back through the pipeline (review rules still apply)."""
    from channelhub.jobs.orders import actions  # the order flow, not `orders list`'s

    settings = settings_for(ctx)
    pipeline = pipeline_settings(load_rules(settings, rules))
    with open_session(settings) as session:
        said = actions.release_order(
            session, parse_key(order), settings=pipeline, now=datetime.now(UTC), actor=_actor(actor)
        )
    typer.echo(said)


@orders_app.command("cancel")
def cancel(
    ctx: typer.Context,
    order: str = typer.Argument(...),
    reason: str = typer.Option(..., "--reason", help="why the order is cancelled"),
    actor: str | None = ACTOR_OPTION,
) -> None:
    """Cancel an order the hub still holds (after dispatch: use intercept)."""
    from channelhub.jobs.orders import actions  # the order flow, not `orders list`'s

    with open_session(settings_for(ctx)) as session:
        said = actions.cancel_order(
            session, parse_key(order), reason=reason, now=datetime.now(UTC), actor=_actor(actor)
        )
    typer.echo(said)


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
    from channelhub.jobs.orders import actions  # the order flow, not `orders list`'s

    with open_session(settings_for(ctx)) as session:
        said = actions.intercept_order(
            session,
            parse_key(order),
            reason=reason,
            then=then,
            now=datetime.now(UTC),
            actor=_actor(actor),
        )
    typer.echo(said)


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
    from channelhub.jobs.orders import actions  # the order flow, not `orders list`'s
    from channelhub.jobs.orders.actions import parse_part

    settings = settings_for(ctx)
    key, who = parse_key(order), _actor(actor)
    pipeline = pipeline_settings(load_rules(settings, rules))
    assignment = [parse_part(part) for part in lines]
    with open_session(settings) as session:
        said = actions.split_order(
            session,
            key,
            assignment,
            settings=pipeline,
            now=datetime.now(UTC),
            actor=who,
            max_parts=max_parts,
        )
    typer.echo(said)


@orders_app.command("merge")
def merge(
    ctx: typer.Context,
    orders: list[str] = typer.Argument(..., help="two or more orders"),
    rules: Path | None = RULES_OPTION,
    actor: str | None = ACTOR_OPTION,
) -> None:
    """Merge orders of one buyer to one address into one shipment (undo: orders unmerge)."""
    from channelhub.jobs.orders import actions  # the order flow, not `orders list`'s

    settings = settings_for(ctx)
    rulebook = load_rules(settings, rules)
    keys = [parse_key(o) for o in orders]
    with open_session(settings) as session:
        said = actions.merge_orders(
            session, keys, rules=rulebook, now=datetime.now(UTC), actor=_actor(actor)
        )
    typer.echo(said)


@orders_app.command("unmerge")
def unmerge(
    ctx: typer.Context,
    order: str = typer.Argument(..., help="the merged order (M-...)"),
    rules: Path | None = RULES_OPTION,
    actor: str | None = ACTOR_OPTION,
) -> None:
    """Undo a merge: the merged order is cancelled, its sources are planned again."""
    from channelhub.jobs.orders import actions  # the order flow, not `orders list`'s

    settings = settings_for(ctx)
    pipeline = pipeline_settings(load_rules(settings, rules))
    with open_session(settings) as session:
        said = actions.unmerge(
            session, parse_key(order), settings=pipeline, now=datetime.now(UTC), actor=_actor(actor)
        )
    typer.echo(said)
