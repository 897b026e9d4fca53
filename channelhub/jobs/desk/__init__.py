"""The seller's desk across flows: is everything flowing, and what waits for a person."""
