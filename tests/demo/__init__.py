"""Demo tests: one small demo run in virtual time is shared (see conftest)."""

#: Ordinary orders per channel of the shared demo run.
SIZE = 2
