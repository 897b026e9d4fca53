"""Pure translation between each platform's wire format and the canonical model.

One module per platform plus shared code tables. A mapping never does I/O and imports
only ``channelhub.core``.
"""
