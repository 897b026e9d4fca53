"""channelhub: an integration hub for cross-border e-commerce sellers.

Layers (imports point inward only): ``cli``/``api``/``jobs`` -> ``connectors``/``store``
-> ``mappings`` -> ``core``. See ``DESIGN.md`` in the shared folder for the whole map.
"""

__version__ = "0.1.0"
