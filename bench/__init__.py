"""Benchmarks: API calls against the contract minimum, orders per second, memory."""
