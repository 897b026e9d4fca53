"""Units of scheduled work (pull orders, push stock, dispatch, ...) and their scheduler.

A job resumes from a stored cursor, does one bounded unit of work and commits its cursor
with its data, under a lease per (account, job kind).
"""
