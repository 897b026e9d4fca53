"""The distributed engine: the hub's jobs on procrastinate workers over PostgreSQL.

``[engine] kind = "procrastinate"``. The same handlers and run log as the embedded engine
(:func:`channelhub.jobs.engine.runner.run_job`), with procrastinate doing the scheduling:

- :mod:`.defer` puts jobs in the queue on the caller's own connection (the job commits or
  rolls back with the business write), with per-(account, job) locks and queueing locks;
- :mod:`.events` defers from the commits that cause work (ledger change, outbox message,
  webhook delivery);
- :mod:`.tasks` are the task bodies a worker runs, :mod:`.app` registers them (periodic
  scheduler and "retry stalled jobs" included), :mod:`.worker` runs a worker until SIGTERM;
- :mod:`.queue` reads the queue's state for ``channelhub jobs state`` and the console.
"""
