"""channelhub: an integration hub for cross-border e-commerce sellers.

Layers (imports point inward only): ``cli``/``api``/``jobs`` -> ``connectors``/``store``
-> ``mappings`` -> ``core``. The README's Layout section has the whole map.
"""

__version__ = "0.1.0"
