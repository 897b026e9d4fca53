"""`channelhub demo`: the whole hub end to end against simulators on loopback."""
