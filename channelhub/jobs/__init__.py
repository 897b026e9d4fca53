"""The units of scheduled work and the machinery that runs them.

Entry points: :func:`~channelhub.jobs.engine.runner.run_job` (one bounded unit of one job for one
account), :class:`~channelhub.jobs.accounts.connectors.ConnectorFactory` (an account's connector),
:func:`~channelhub.jobs.orders.backfill.backfill_order`,
:func:`~channelhub.jobs.engine.replay.replay_dead_letter` and
:func:`~channelhub.jobs.engine.scheduler.build_scheduler`.
"""

from channelhub.jobs.engine.kinds import JOB_ROLES, JobKind

__all__ = ["JOB_ROLES", "JobKind"]
