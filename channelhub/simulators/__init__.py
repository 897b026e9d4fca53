"""Faithful ASGI stand-ins for each platform's published API, for demos, tests and benchmarks.

They follow the platforms' published contracts vendored in the repository's ``contracts/``
(paths, auth, pagination, rate-limit headers, error bodies) with seeded, deterministic data
and switchable faults.
"""
