"""Stock: warehouse levels in, sellable quantities out to the channels, and the seller's stock
desk.
"""
