"""Orders in (imports, webhooks, backfills), through the pipeline, and what a person does to
them.
"""
