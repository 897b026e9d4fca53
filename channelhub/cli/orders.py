"""``channelhub orders list|show|approve|hold|release|cancel|intercept|split|merge|unmerge``.

Every command runs in one transaction through :mod:`channelhub.jobs.orders.actions` (the
console's order actions call the same functions), so what a person does is recorded exactly
like what the hub does, with the actor and the reason, and ``orders show`` explains it all.
ORDER is written ``CHANNEL:ACCOUNT:ORDER_ID`` (as ``orders list`` prints it).
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from channelhub.cli import app
from channelhub.cli.home import open_session, settings_for
from channelhub.cli.rules import RULES_OPTION, load_rules, pipeline_settings
from channelhub.core.errors import NotFound
from channelhub.core.lifecycle import HubStatus
from channelhub.core.money import money_text
from channelhub.core.order import OrderKey, parse_order_key
from channelhub.store.repos.order_search import OrderFilter, order_row_id, search_orders

if TYPE_CHECKING:
    from channelhub.jobs.orders.pipeline import PipelineSettings
    from channelhub.settings import Settings

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


def _act(
    hub: Settings,
    action: Callable[..., str],
    order: str | OrderKey | list[OrderKey],
    /,
    *,
    actor: str | None,
    **options: object,
) -> None:
    """Run one hand action the way every one runs: in one transaction, at this moment, by
    the actor (default: the login name), printing the line the action returns; a user error
    is the app's one ``error:`` line. One helper, so no command can skip a step.

    ``order`` as typed is parsed inside the session (a missing database is said first); keys
    a command has already parsed pass through. ``options``: the action's own arguments."""
    with open_session(hub) as session:
        target = parse_key(order) if isinstance(order, str) else order
        said = action(session, target, now=datetime.now(UTC), actor=_actor(actor), **options)
    typer.echo(said)


def _pipeline(settings: Settings, rules: Path | None) -> PipelineSettings:
    """The pipeline settings of the rules (``--rules``, else the home's)."""
    return pipeline_settings(load_rules(settings, rules))


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
    _act(settings, actions.approve_order, order, actor=actor, settings=_pipeline(settings, rules))


@orders_app.command("hold")
def hold(
    ctx: typer.Context,
    order: str = typer.Argument(...),
    reason: str = typer.Option(..., "--reason", help="why the order is held"),
    actor: str | None = ACTOR_OPTION,
) -> None:
    """Hold an order (its reservation is released, queued warehouse orders cancelled)."""
    from channelhub.jobs.orders import actions  # the order flow, not `orders list`'s

    _act(settings_for(ctx), actions.hold_order, order, actor=actor, reason=reason)


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
    _act(settings, actions.release_order, order, actor=actor, settings=_pipeline(settings, rules))


@orders_app.command("cancel")
def cancel(
    ctx: typer.Context,
    order: str = typer.Argument(...),
    reason: str = typer.Option(..., "--reason", help="why the order is cancelled"),
    actor: str | None = ACTOR_OPTION,
) -> None:
    """Cancel an order the hub still holds (after dispatch: use intercept)."""
    from channelhub.jobs.orders import actions  # the order flow, not `orders list`'s

    _act(settings_for(ctx), actions.cancel_order, order, actor=actor, reason=reason)


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

    _act(settings_for(ctx), actions.intercept_order, order, actor=actor, reason=reason, then=then)


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
    key = parse_key(order)  # the key, the rules, then the parts: each said before the next
    pipeline = _pipeline(settings, rules)
    assignment = [parse_part(part) for part in lines]
    _act(
        settings,
        actions.split_order,
        key,
        actor=actor,
        parts=assignment,
        settings=pipeline,
        max_parts=max_parts,
    )


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
    _act(settings, actions.merge_orders, keys, actor=actor, rules=rulebook)


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
    _act(settings, actions.unmerge, order, actor=actor, settings=_pipeline(settings, rules))
