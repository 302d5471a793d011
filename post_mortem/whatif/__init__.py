"""What-if replay: rules replayed on the desk's actual trade sequence, with honest uncertainty.

Pure numpy on plain data (no ORM): `rules` validates scenarios, `bars` replays stops and
targets on a trade's own market bars, `replay` walks the sequence with context recomputed from
the kept trades, `stats` compares actual and replayed outcomes with a bootstrap over days.
"""
