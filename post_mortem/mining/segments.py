"""Segment definitions: factor name -> readable segment values -> which trades are in each.

Pattern mining, improvement plans and impact measurement must agree on what "setup=fade" or
"after_loss=true" means, trade by trade. This module is that single definition. It works on the
columnar TradeFrame / ContextFrame (no ORM), so it is as cheap at 1M trades as at 1k.

Each factor is encoded as a categorical column: readable labels plus, per trade, the index of its
label (-1 = unknown, e.g. position size with too little history). `primary_factor` is multi-label
(a post-mortem may name several codes), so a column is stored as (row, label) pairs. The miner uses
the codes directly (bincount per factor instead of a mask per segment); other callers use
`segment_mask`.

Factors and values (all values are strings):

- `setup`, `symbol`, `side`, `account`: the trade's own value (empty setup reads `(none)`).
- `weekday`: `Monday` ... `Sunday`; `hour`: `00` ... `23` (entry, in the desk's timezone).
- `holding_time`: `<5 min`, `5-15 min`, `15-60 min`, `60-240 min`, `240+ min`.
- `after_loss`: `true` / `false` (entered within N minutes, default 30, of a losing exit on the same
  account). Only `true` is mined: `false` is the same test with the sign flipped.
- `loss_streak`: `0`, `1`, `2+` consecutive losing exits right before the entry (same account).
- `position_size`: quantity against the account's usual (mean of prior) quantity: `<0.75x`,
  `0.75-1.5x`, `1.5x+`; unknown with fewer than 5 prior trades on the account.
- `trade_of_day`: `1`, `2`, `3`, `4+` (per account and desk-local day).
- `primary_factor`: every code in the post-mortems' `primary_factors` (value = the code; the rest =
  the other analysed trades; trades without a post-mortem are unknown).
- `trend`, `volatility`: the regime at entry as recorded by the analysis (`TradeAnalysis.facts`),
  when bars existed; unknown otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..context import ContextFrame, TradeFrame

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
HOLDING_EDGES = (5.0, 15.0, 60.0, 240.0)
HOLDING_LABELS = ("<5 min", "5-15 min", "15-60 min", "60-240 min", "240+ min")
SIZE_EDGES = (0.75, 1.5)
SIZE_LABELS = ("<0.75x", "0.75-1.5x", "1.5x+")
STREAK_LABELS = ("0", "1", "2+")
TRADE_OF_DAY_LABELS = ("1", "2", "3", "4+")
BOOL_LABELS = ("false", "true")
NO_SETUP = "(none)"

FACTORS = (
    "setup",
    "symbol",
    "side",
    "account",
    "weekday",
    "hour",
    "holding_time",
    "after_loss",
    "loss_streak",
    "position_size",
    "trade_of_day",
    "primary_factor",
    "trend",
    "volatility",
)


@dataclass(slots=True)
class AnalysisColumns:
    """What the post-mortems add, aligned with a TradeFrame (None/empty = no analysis or no bars).

    `primary_factors`: object array of lists of codes (None when the trade has no post-mortem);
    `trend`, `volatility`: object arrays of readable strings or None.
    """

    primary_factors: np.ndarray
    trend: np.ndarray
    volatility: np.ndarray

    @classmethod
    def empty(cls, n: int) -> AnalysisColumns:
        none = np.full(n, None, dtype=object)
        return cls(primary_factors=none.copy(), trend=none.copy(), volatility=none.copy())

    def take(self, index: np.ndarray) -> AnalysisColumns:
        return AnalysisColumns(
            primary_factors=self.primary_factors[index], trend=self.trend[index], volatility=self.volatility[index]
        )


@dataclass(slots=True)
class FactorColumn:
    """One factor over a frame: labels, (row, label) membership pairs, and where it is known.

    For single-valued factors each known row appears once in `rows`; for `primary_factor` a row may
    appear several times (once per code). `mined` lists the label indices worth testing (for a
    true/false factor only `true`).
    """

    factor: str
    labels: tuple[str, ...]
    rows: np.ndarray  # int64 trade positions
    codes: np.ndarray  # int64 label index per pair
    known: np.ndarray  # bool per trade: the factor has a value for this trade
    mined: tuple[int, ...]

    def mask(self, label_index: int) -> np.ndarray:
        out = np.zeros(len(self.known), dtype=bool)
        out[self.rows[self.codes == label_index]] = True
        return out


def _factorize(values) -> tuple[tuple[str, ...], np.ndarray]:
    """Sorted distinct labels and each value's label index, with a dict (np.unique on object
    arrays compares Python strings while sorting: ~10x slower at 1M trades)."""
    lookup: dict[str, int] = {}
    first = np.fromiter((lookup.setdefault(v, len(lookup)) for v in values), dtype=np.int64, count=len(values))
    labels = sorted(lookup)
    remap = np.empty(len(lookup), dtype=np.int64)
    for new_index, label in enumerate(labels):
        remap[lookup[label]] = new_index
    return tuple(labels), remap[first] if len(first) else first


def _categorical(factor: str, values: np.ndarray) -> FactorColumn:
    """Encode a per-trade label array (None = unknown) as a FactorColumn."""
    n = len(values)
    known = np.fromiter((v is not None for v in values), dtype=bool, count=n)
    rows = np.flatnonzero(known).astype(np.int64)
    labels, codes = _factorize(values[known].tolist() if n else [])
    mined = tuple(range(len(labels)))
    return FactorColumn(factor=factor, labels=labels, rows=rows, codes=codes, known=known, mined=mined)


def _coded(
    factor: str, codes: np.ndarray, labels: tuple[str, ...], *, mined: tuple[int, ...] | None = None
) -> FactorColumn:
    """A FactorColumn from integer codes already computed (-1 = unknown)."""
    codes = np.asarray(codes, dtype=np.int64)
    known = codes >= 0
    rows = np.flatnonzero(known).astype(np.int64)
    return FactorColumn(
        factor=factor,
        labels=labels,
        rows=rows,
        codes=codes[known],
        known=known,
        mined=tuple(range(len(labels))) if mined is None else mined,
    )


def _text(values: np.ndarray, *, empty: str | None = None) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = [(empty if (v is None or v == "") else str(v)) for v in values]
    return out


def _setup(frame: TradeFrame, context: ContextFrame, analyses: AnalysisColumns | None) -> FactorColumn:
    return _categorical("setup", _text(frame.setup, empty=NO_SETUP))


def _symbol(frame: TradeFrame, context: ContextFrame, analyses: AnalysisColumns | None) -> FactorColumn:
    return _categorical("symbol", _text(frame.symbol))


def _side(frame: TradeFrame, context: ContextFrame, analyses: AnalysisColumns | None) -> FactorColumn:
    return _categorical("side", _text(frame.side))


def _account(frame: TradeFrame, context: ContextFrame, analyses: AnalysisColumns | None) -> FactorColumn:
    return _categorical("account", _text(frame.account))


def _weekday(frame: TradeFrame, context: ContextFrame, analyses: AnalysisColumns | None) -> FactorColumn:
    return _coded("weekday", context.weekday, WEEKDAYS)


def _hour(frame: TradeFrame, context: ContextFrame, analyses: AnalysisColumns | None) -> FactorColumn:
    return _coded("hour", context.entry_hour, tuple(f"{h:02d}" for h in range(24)))


def _holding_time(frame: TradeFrame, context: ContextFrame, analyses: AnalysisColumns | None) -> FactorColumn:
    minutes = np.asarray(frame.holding_minutes, dtype=float)
    codes = np.where(np.isnan(minutes), -1, np.searchsorted(HOLDING_EDGES, minutes, side="right"))
    return _coded("holding_time", codes, HOLDING_LABELS)


def _after_loss(frame: TradeFrame, context: ContextFrame, analyses: AnalysisColumns | None) -> FactorColumn:
    return _coded("after_loss", np.asarray(context.after_loss, dtype=bool).astype(np.int64), BOOL_LABELS, mined=(1,))


def _loss_streak(frame: TradeFrame, context: ContextFrame, analyses: AnalysisColumns | None) -> FactorColumn:
    return _coded("loss_streak", np.minimum(np.asarray(context.loss_streak, dtype=np.int64), 2), STREAK_LABELS)


def _position_size(frame: TradeFrame, context: ContextFrame, analyses: AnalysisColumns | None) -> FactorColumn:
    ratio = np.asarray(context.size_ratio, dtype=float)
    # Lower edges inclusive: exactly 0.75x is normal, exactly 1.5x is oversized.
    codes = np.where(np.isnan(ratio), -1, np.where(ratio < SIZE_EDGES[0], 0, np.where(ratio < SIZE_EDGES[1], 1, 2)))
    return _coded("position_size", codes, SIZE_LABELS)


def _trade_of_day(frame: TradeFrame, context: ContextFrame, analyses: AnalysisColumns | None) -> FactorColumn:
    nth = np.asarray(context.trade_of_day, dtype=np.int64)
    codes = np.where(nth <= 0, -1, np.minimum(nth, 4) - 1)
    return _coded("trade_of_day", codes, TRADE_OF_DAY_LABELS)


def _primary_factor(frame: TradeFrame, context: ContextFrame, analyses: AnalysisColumns | None) -> FactorColumn:
    n = len(frame)
    if analyses is None:
        return _coded("primary_factor", np.full(n, -1), ())
    known = np.fromiter((v is not None for v in analyses.primary_factors), dtype=bool, count=n)
    # Group trades by their (deduplicated) code list: few distinct lists exist, so the per-trade
    # work is one dict lookup and the pairs are built per group with numpy.
    groups: dict[tuple[str, ...], list[int]] = {}
    for i in np.flatnonzero(known):
        codes_i = analyses.primary_factors[i] or ()
        groups.setdefault(tuple(dict.fromkeys(str(c) for c in codes_i)), []).append(int(i))
    labels_t = tuple(sorted({c for key in groups for c in key}))
    index = {label: k for k, label in enumerate(labels_t)}
    row_parts: list[np.ndarray] = []
    code_parts: list[np.ndarray] = []
    for key, members in groups.items():
        member_rows = np.array(members, dtype=np.int64)
        for code in key:
            row_parts.append(member_rows)
            code_parts.append(np.full(len(member_rows), index[code], dtype=np.int64))
    return FactorColumn(
        factor="primary_factor",
        labels=labels_t,
        rows=np.concatenate(row_parts) if row_parts else np.zeros(0, dtype=np.int64),
        codes=np.concatenate(code_parts) if code_parts else np.zeros(0, dtype=np.int64),
        known=known,
        mined=tuple(range(len(labels_t))),
    )


def _regime(name: str) -> Callable[[TradeFrame, ContextFrame, AnalysisColumns | None], FactorColumn]:
    def build(frame: TradeFrame, context: ContextFrame, analyses: AnalysisColumns | None) -> FactorColumn:
        if analyses is None:
            return _coded(name, np.full(len(frame), -1), ())
        values = getattr(analyses, name)
        return _categorical(name, np.array([None if v in (None, "") else str(v) for v in values], dtype=object))

    return build


_BUILDERS: dict[str, Callable[[TradeFrame, ContextFrame, AnalysisColumns | None], FactorColumn]] = {
    "setup": _setup,
    "symbol": _symbol,
    "side": _side,
    "account": _account,
    "weekday": _weekday,
    "hour": _hour,
    "holding_time": _holding_time,
    "after_loss": _after_loss,
    "loss_streak": _loss_streak,
    "position_size": _position_size,
    "trade_of_day": _trade_of_day,
    "primary_factor": _primary_factor,
    "trend": _regime("trend"),
    "volatility": _regime("volatility"),
}


def factor_column(
    frame: TradeFrame, context: ContextFrame, *, factor: str, analyses: AnalysisColumns | None = None
) -> FactorColumn:
    """The encoded column of one factor (ValueError naming the factor when it is not one we know)."""
    try:
        builder = _BUILDERS[factor]
    except KeyError:
        raise ValueError(f"unknown factor {factor!r}; known factors: {', '.join(FACTORS)}") from None
    return builder(frame, context, analyses)


def factor_columns(
    frame: TradeFrame, context: ContextFrame, *, analyses: AnalysisColumns | None = None
) -> list[FactorColumn]:
    """Every factor's column, in FACTORS order (factors with no known value have no labels)."""
    return [factor_column(frame, context, factor=f, analyses=analyses) for f in FACTORS]


def segment_mask(
    frame: TradeFrame,
    context: ContextFrame,
    *,
    factor: str,
    value: str,
    analyses: AnalysisColumns | None = None,
) -> np.ndarray:
    """Boolean mask of the trades in segment `factor=value`, aligned with `frame`.

    This is the one definition shared by the miner, the plans and impact measurement, so a
    recommendation built from "after_loss=true" later targets exactly the trades the pattern was
    measured on. A value that no trade has gives an all-False mask; an unknown factor raises
    ValueError. For `after_loss`, `false` means "known and not after a loss". Trades whose factor is
    unknown (no size history, no post-mortem) are never in any segment.
    """
    column = factor_column(frame, context, factor=factor, analyses=analyses)
    value = str(value)
    if value not in column.labels:
        return np.zeros(len(frame), dtype=bool)
    return column.mask(column.labels.index(value))


def factor_known_mask(
    frame: TradeFrame, context: ContextFrame, *, factor: str, analyses: AnalysisColumns | None = None
) -> np.ndarray:
    """Trades for which `factor` has a value: the "rest" of a segment is drawn from these only."""
    return factor_column(frame, context, factor=factor, analyses=analyses).known
