"""Analytics: trends, stock health and replenishment, as the CLI and console show them."""
