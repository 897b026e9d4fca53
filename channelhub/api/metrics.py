"""Prometheus text exposition of what an operator watches: job runs by outcome, the outbox
by state, the dead letters and the stock pushes the mass-drop guard holds. Written by hand
(a few lines) rather than adding prometheus-client: the numbers are counted in the database,
so every process reports the same totals and nothing is kept in memory."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from channelhub.store.repos.jobs import (
    dead_letter_counts,
    outbox_counts_by_state,
    run_counts_by_outcome,
)
from channelhub.store.repos.stock_sync import block_states
from channelhub.store.tables.jobs import RefusedDelivery, WebhookDelivery
from channelhub.store.tables.outbox import OutboxState

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _family(
    name: str, kind: str, help_text: str, samples: Iterable[tuple[Mapping[str, str], int]]
) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    for labels, value in samples:
        rendered = ",".join(f'{key}="{_label(val)}"' for key, val in labels.items())
        lines.append(f"{name}{{{rendered}}} {value}" if rendered else f"{name} {value}")
    return lines


def render_metrics(session: Session) -> str:
    """The metrics page, read from the database in one session."""
    runs = run_counts_by_outcome(session)
    outbox = outbox_counts_by_state(session)
    dead = dead_letter_counts(session)
    lines = _family(
        "channelhub_job_runs_total",
        "counter",
        "Job runs by job kind and outcome.",
        (({"job": job, "outcome": outcome}, n) for (job, outcome), n in sorted(runs.items())),
    )
    lines += _family(
        "channelhub_outbox_messages",
        "gauge",
        "Outbox messages by state.",
        (({"state": state.value}, outbox.get(state.value, 0)) for state in OutboxState),
    )
    lines += _family(
        "channelhub_dead_letters",
        "gauge",
        "Dead letters by job kind and state.",
        (({"job": job, "state": state}, n) for (job, state), n in sorted(dead.items())),
    )
    lines += _family(
        "channelhub_stock_push_blocked",
        "gauge",
        "1 while the mass-drop guard holds a channel account's stock push for confirmation "
        "(channelhub stock push ACCOUNT --confirm).",
        (
            ({"account": account, "channel": channel}, int(blocked))
            for (channel, account), blocked in block_states(session).items()
        ),
    )
    pending, refused = inbound_counts(session)
    lines += _family(
        "channelhub_webhook_deliveries_pending",
        "gauge",
        "Webhook deliveries stored and answered, not yet applied by the intake job.",
        [({}, pending)],
    )
    lines += _family(
        "channelhub_refused_deliveries",
        "gauge",
        "Refused inbound requests kept as evidence, by account.",
        (({"account": account}, n) for account, n in sorted(refused.items())),
    )
    return "\n".join(lines) + "\n"


def inbound_counts(session: Session) -> tuple[int, dict[str, int]]:
    """Deliveries pending, and refusals kept per account."""
    pending = session.scalar(
        select(func.count())
        .select_from(WebhookDelivery)
        .where(WebhookDelivery.processed_at.is_(None))
    )
    refused = session.execute(
        select(RefusedDelivery.account, func.count()).group_by(RefusedDelivery.account)
    )
    return int(pending or 0), {account: int(n) for account, n in refused}
