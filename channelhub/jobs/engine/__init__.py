"""The machinery that runs jobs: kinds, leases and fences, the run log, scheduling, dead
letters.
"""
