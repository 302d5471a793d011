"""Pure numpy metrics over plain trade columns and bars (no ORM)."""

from .bars import BarMetrics, BarSeries, compute_bar_metrics
from .facts import compute_facts
from .trade import TradeMetrics, compute_trade_metrics, prior_segment_mean_r

__all__ = [
    "BarMetrics",
    "BarSeries",
    "TradeMetrics",
    "compute_bar_metrics",
    "compute_facts",
    "compute_trade_metrics",
    "prior_segment_mean_r",
]
