"""Pattern mining across trades: segment definitions, the statistical miner, and its text."""
