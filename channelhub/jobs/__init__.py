"""The units of scheduled work and the machinery that runs them.

Entry points: :func:`~channelhub.jobs.runner.run_job` (one bounded unit of one job for one
account), :class:`~channelhub.jobs.connectors.ConnectorFactory` (an account's connector),
:func:`~channelhub.jobs.backfill.backfill_order`,
:func:`~channelhub.jobs.replay.replay_dead_letter` and
:func:`~channelhub.jobs.scheduler.build_scheduler`.
"""

from channelhub.jobs.kinds import JOB_ROLES, JobKind

__all__ = ["JOB_ROLES", "JobKind"]
