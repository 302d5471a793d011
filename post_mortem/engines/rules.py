"""The rules engine: a deterministic, offline post-mortem from the facts of one trade.

Every verdict is a documented threshold (see ``vocabulary``) over a number in the facts, and every
suggestion quotes the numbers that triggered it, so a desk head can check it by hand. The same
facts always give the same result.

Success score (0-100) = 0.6 x process + 0.4 x outcome, where
- process starts at 100 and loses the penalty of each weakness found (``PENALTIES``), floor 0;
- outcome maps R linearly, 50 + 25 x R clipped to 0..100 (-2R -> 0, 0R -> 50, +2R -> 100);
  without R (no stop) it is 65 for a net winner and 35 for a loser.
A well-executed losing trade therefore outscores a lucky, undisciplined winner.

The verdict reads "good process" only when no weakness was found, so it can never say "the plan was
followed" next to "oversized". Every expected impact (R) is bounded by what this trade could have
made or saved (``impact_cap_r``): avoiding or shrinking a trade saves at most its own loss, a better
exit gains at most the rest of the favorable move the bars show. An impact beyond ``MAX_PLAUSIBLE_R``
is a data problem (a mistyped stop, bars of another market): it is reported, never offered as advice.
"""

from __future__ import annotations

from typing import Any

from .base import AnalysisResult
from .vocabulary import (
    COUNTER_TREND_ATR,
    EARLY_EXIT_EFFICIENCY,
    EARLY_EXIT_MIN_MFE_R,
    FACTOR_BY_CODE,
    GAVE_BACK_MFE_R,
    GOOD_EXIT_EFFICIENCY,
    HELD_LOSER_RATIO,
    HIGH_VOLATILITY_RATIO,
    LEFT_ON_TABLE_R,
    MAX_PLAUSIBLE_R,
    OVERSIZED_RATIO,
    OVERTRADING_NTH,
    POOR_RR,
    STOP_TOLERANCE_R,
    TILT_STREAK,
    WEAK_SETUP_MIN_TRADES,
    WEAK_SETUP_R,
)

ENGINE_NAME = "rules"
ENGINE_VERSION = "rules-1"
PROCESS_WEIGHT = 0.6
MIN_SEGMENT_HISTORY = 5  # prior trades in a segment before its average is quoted as evidence
PENALTIES: dict[str, int] = {
    "stop_not_honoured": 35,
    "no_stop": 25,
    "gave_back_winner": 15,
    "oversized": 15,
    "after_loss_reentry": 15,
    "loss_streak_tilt": 10,
    "overtrading": 10,
    "held_loser_too_long": 10,
    "early_exit": 10,
    "counter_trend": 10,
    "poor_reward_risk": 10,
    "weak_setup": 10,
    "high_volatility_entry": 5,
}

SECTION_METRICS = {
    "performance_analysis": ("net_pnl", "gross_pnl", "r_multiple", "holding_minutes", "account_expectancy_r"),
    "entry_analysis": ("entry_price", "setup", "setup_expectancy_r", "setup_win_rate", "trend_atr", "entry_hour"),
    "exit_analysis": (
        "exit_price",
        "target_reached",
        "mfe_r",
        "mae_r",
        "exit_efficiency",
        "left_on_table_usd",
        "left_on_table_r",
    ),
    "risk_management": (
        "stop_price",
        "risk_amount",
        "stop_honoured",
        "loss_beyond_stop_r",
        "planned_rr",
        "size_ratio",
    ),
    "market_context": ("trend_atr", "atr_pct_of_price", "atr_ratio", "entry_hour", "weekday"),
    "behavioral": (
        "minutes_since_loss_exit",
        "last_loss_r",
        "loss_streak",
        "trade_of_day",
        "holding_ratio",
        "prior_trades",
    ),
}


def _r(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.2f}R"


def _usd(value: float | None, *, signed: bool = False) -> str:
    """Dollars as people read them: -$1,508.49 (with ``signed``, +$152.48 too)."""
    if value is None:
        return "n/a"
    amount = float(value)
    sign = "-" if amount < 0 else ("+" if signed and amount > 0 else "")
    return f"{sign}${abs(amount):,.2f}"


def _clock(f: dict[str, Any]) -> str:
    """Desk-local HH:MM of the entry."""
    hour, minute = f.get("entry_hour"), f.get("entry_minute")
    if hour is None:
        return "n/a"
    return f"{hour:02d}:{minute:02d}" if minute is not None else f"{hour:02d}h"


def _known(value: Any) -> bool:
    return value is not None


def detect_factors(f: dict[str, Any]) -> list[str]:
    """The vocabulary codes that apply to this trade, weaknesses first, in vocabulary order."""
    codes: list[str] = []
    r = f.get("r_multiple")
    if f.get("stop_price") is None:
        codes.append("no_stop")
    elif r is not None and r < -STOP_TOLERANCE_R:
        codes.append("stop_not_honoured")
    if _known(f.get("size_ratio")) and f["size_ratio"] >= OVERSIZED_RATIO:
        codes.append("oversized")
    if _known(f.get("planned_rr")) and f["planned_rr"] < POOR_RR:
        codes.append("poor_reward_risk")
    if f.get("after_loss"):
        codes.append("after_loss_reentry")
    if (f.get("loss_streak") or 0) >= TILT_STREAK:
        codes.append("loss_streak_tilt")
    if (f.get("trade_of_day") or 0) >= OVERTRADING_NTH:
        codes.append("overtrading")
    if (f.get("net_pnl") or 0) < 0 and _known(f.get("holding_ratio")) and f["holding_ratio"] >= HELD_LOSER_RATIO:
        codes.append("held_loser_too_long")
    eff, mfe_r, left_r = f.get("exit_efficiency"), f.get("mfe_r"), f.get("left_on_table_r")
    gave_back = _known(mfe_r) and mfe_r >= GAVE_BACK_MFE_R and r is not None and r <= 0
    if gave_back:
        codes.append("gave_back_winner")
    elif (r is not None and r > 0) and (
        (_known(eff) and _known(mfe_r) and eff < EARLY_EXIT_EFFICIENCY and mfe_r >= EARLY_EXIT_MIN_MFE_R)
        or (_known(left_r) and left_r >= LEFT_ON_TABLE_R)
    ):
        codes.append("early_exit")
    trend = f.get("trend_atr")
    if _known(trend) and trend <= -COUNTER_TREND_ATR:
        codes.append("counter_trend")
    if _known(f.get("atr_ratio")) and f["atr_ratio"] >= HIGH_VOLATILITY_RATIO:
        codes.append("high_volatility_entry")
    setup_r = f.get("setup_expectancy_r")
    if (f.get("setup_prior_trades") or 0) >= WEAK_SETUP_MIN_TRADES and _known(setup_r) and setup_r <= WEAK_SETUP_R:
        codes.append("weak_setup")
    # strengths
    if f.get("stop_honoured") is True:
        codes.append("disciplined_stop")
    if f.get("target_reached") is True:
        codes.append("target_reached")
    if _known(eff) and eff >= GOOD_EXIT_EFFICIENCY and (r is None or r > 0):
        codes.append("efficient_exit")
    if _known(trend) and trend >= COUNTER_TREND_ATR:
        codes.append("with_trend")
    return codes


def _segment_gap(f: dict[str, Any], prefix: str) -> tuple[float | None, dict[str, Any]]:
    """Expectancy lost per trade in a segment vs the account's baseline, from prior trades only."""
    seg_r, seg_n, base = f.get(f"{prefix}_segment_r"), f.get(f"{prefix}_segment_n") or 0, f.get("account_expectancy_r")
    evidence = {"segment_mean_r": seg_r, "segment_prior_trades": seg_n, "account_expectancy_r": base}
    if seg_r is None or base is None or seg_n < MIN_SEGMENT_HISTORY:
        return None, evidence
    gap = round(base - seg_r, 3)
    return (gap if gap > 0 else None), evidence


# What kind of gain each weakness's expected impact is (see ``impact_cap_r``).
AVOIDANCE_CODES = frozenset(
    {"oversized", "after_loss_reentry", "loss_streak_tilt", "overtrading", "weak_setup", "stop_not_honoured"}
)
EXIT_CODES = frozenset({"early_exit", "gave_back_winner"})


def impact_cap_r(f: dict[str, Any], code: str) -> float | None:
    """The most this trade could have made or saved by fixing ``code`` (R); None = no bound known.

    Avoiding, shrinking or stopping out a trade earlier saves at most its loss (nothing on a winner);
    a better exit gains at most the favorable move the (consistent) bars show beyond the exit, or
    the move within ``AFTER_EXIT_BARS`` after it.
    """
    r = f.get("r_multiple")
    if r is None:
        return None
    if code in AVOIDANCE_CODES:
        return max(0.0, -r)
    if code in EXIT_CODES:
        candidates = [v for v in (f.get("mfe_r"), (f.get("left_on_table_r") or 0) + r) if v is not None]
        return max(0.0, max(candidates) - r) if candidates else None
    return None


def _bounded(f: dict[str, Any], opp: dict[str, Any]) -> dict[str, Any]:
    """Clip an opportunity's expected R to what the trade allows; refuse implausible magnitudes."""
    impact_r = opp["expected_impact_r"]
    if impact_r is None:
        return opp
    r = f.get("r_multiple")
    if impact_r > MAX_PLAUSIBLE_R:
        opp["expected_impact_r"] = None
        opp["expected_impact"] = (
            f"Not estimated: {impact_r:.2f}R is beyond ±{MAX_PLAUSIBLE_R:g}R, a data problem, not advice."
        )
        return opp
    cap = impact_cap_r(f, opp["type_code"])
    if cap is not None and impact_r > cap:
        opp["expected_impact_r"] = round(cap, 3)
        if cap == 0:
            opp["expected_impact"] = (
                f"{opp['expected_impact']} This trade made {_r(r)}, so fixing it would have saved nothing here."
            )[:500]
        else:
            opp["expected_impact"] = (
                f"{opp['expected_impact']} On this trade at most {cap:.2f}R (what it lost or could still have made)."
            )[:500]
    return opp


def _opportunity(f: dict[str, Any], code: str) -> dict[str, Any]:
    """One improvement opportunity, its expected impact computed from the facts and bounded by them."""
    return _bounded(f, _raw_opportunity(f, code))


def _raw_opportunity(f: dict[str, Any], code: str) -> dict[str, Any]:
    """The opportunity's text and expected impact from the facts (never invented), before bounds."""
    r = f.get("r_multiple")
    impact_r: float | None = None
    evidence: dict[str, Any] = {"r_multiple": r}
    if code == "stop_not_honoured":
        impact_r = f.get("loss_beyond_stop_r")
        suggestion = (
            f"The loss reached {_r(r)} against a planned -1R stop at {f.get('stop_price')}. Place the stop as a "
            f"resting order at entry and never widen it."
        )
        impact = f"Honoring the stop would have saved {impact_r:.2f}R on this trade."
        evidence["loss_beyond_stop_r"] = impact_r
    elif code == "no_stop":
        suggestion = "No stop price was recorded. Define the stop before entry so the risk (1R) is known and capped."
        impact = "Makes risk measurable; losses beyond the plan become visible and can be capped."
    elif code == "oversized":
        ratio = f["size_ratio"]
        impact_r, evidence = _segment_gap(f, "oversized")
        evidence.update(size_ratio=ratio, usual_quantity=f.get("usual_quantity"), quantity=f.get("quantity"))
        seg = evidence.get("segment_mean_r")
        history = (
            f"; on this account oversized trades average {_r(seg)} over {evidence['segment_prior_trades']} prior trades"
            if impact_r is not None
            else ""
        )
        suggestion = (
            f"Size was {ratio:.1f}x the usual {f.get('usual_quantity')} units{history}. Cap size at the usual "
            f"quantity unless the setup's plan says otherwise."
        )
        if impact_r is None and r is not None and r < 0:
            impact_r = round(-r * (1 - 1 / ratio), 3)
            impact = f"At the usual size this loss would have been {impact_r:.2f}R smaller."
        elif impact_r is not None:
            impact = f"About {impact_r:.2f}R per trade better than oversized trades on this account."
        else:
            impact = "Keeps one trade from dominating the account's results."
    elif code == "after_loss_reentry":
        impact_r, evidence = _segment_gap(f, "after_loss")
        evidence.update(minutes_since_loss_exit=f.get("minutes_since_loss_exit"), last_loss_r=f.get("last_loss_r"))
        seg = evidence.get("segment_mean_r")
        history = (
            f"; on this account such trades average {_r(seg)} against {_r(evidence['account_expectancy_r'])} overall"
            if impact_r is not None
            else ""
        )
        suggestion = (
            f"Re-entered {f.get('minutes_since_loss_exit'):.0f} minutes after a "
            f"{_r(f['last_loss_r']) + ' ' if f.get('last_loss_r') is not None else ''}losing exit"
            f"{history}. Take a 30-minute break after a losing exit."
        )
        impact = (
            f"About {impact_r:.2f}R per avoided re-entry." if impact_r is not None else "Fewer impulsive re-entries."
        )
    elif code == "loss_streak_tilt":
        impact_r, evidence = _segment_gap(f, "tilt")
        evidence["loss_streak"] = f.get("loss_streak")
        suggestion = (
            f"Entered after {f.get('loss_streak')} consecutive losses. "
            f"Stop for the day after {TILT_STREAK} losses in a row."
        )
        impact = f"About {impact_r:.2f}R per avoided trade." if impact_r is not None else "Limits losses on tilt."
    elif code == "overtrading":
        impact_r, evidence = _segment_gap(f, "late_trades")
        evidence["trade_of_day"] = f.get("trade_of_day")
        suggestion = (
            f"This was trade number {f.get('trade_of_day')} of the day. Set a daily limit of "
            f"{OVERTRADING_NTH - 1} trades."
        )
        impact = f"About {impact_r:.2f}R per avoided trade." if impact_r is not None else "Fewer low-quality trades."
    elif code == "held_loser_too_long":
        evidence.update(holding_ratio=f.get("holding_ratio"), usual_holding_minutes=f.get("usual_holding_minutes"))
        suggestion = (
            f"Held this loser {f.get('holding_minutes'):.0f} minutes, {f.get('holding_ratio'):.1f}x the usual "
            f"{f.get('usual_holding_minutes'):.0f}. Add a time stop at twice the usual holding time."
        )
        impact = "Smaller losses on trades that do not work."
    elif code == "early_exit":
        mfe_r, eff, left_r = f.get("mfe_r"), f.get("exit_efficiency"), f.get("left_on_table_r")
        candidates = [v for v in (left_r, (0.6 * mfe_r - r) if mfe_r is not None and r is not None else None) if v]
        impact_r = round(max(candidates), 3) if candidates else None
        impact_r = impact_r if impact_r and impact_r > 0 else None
        evidence.update(mfe_r=mfe_r, exit_efficiency=eff, left_on_table_r=left_r)
        parts = []
        if eff is not None:
            parts.append(f"kept {eff:.0%} of a {_r(mfe_r)} favorable move")
        if left_r is not None:
            parts.append(f"price ran {left_r:.2f}R further within 12 bars of the exit")
        suggestion = f"Exited early: {', '.join(parts)}. Trail the stop instead of taking profit before the target."
        impact = f"Up to {impact_r:.2f}R more on this trade." if impact_r is not None else "Larger average winner."
    elif code == "gave_back_winner":
        mfe_r = f.get("mfe_r")
        impact_r = round(max(0.0, 0.5 * mfe_r - (r or 0)), 3)
        evidence["mfe_r"] = mfe_r
        suggestion = (
            f"Was {_r(mfe_r)} in profit and closed at {_r(r)}. Move the stop to breakeven once the trade is 1R up."
        )
        impact = f"A stop at half the best open profit would have kept about {impact_r:.2f}R more."
    elif code == "counter_trend":
        evidence["trend_atr"] = f.get("trend_atr")
        suggestion = (
            f"Entered against a {abs(f['trend_atr']):.1f} ATR move over the prior 20 bars. Require a trend filter "
            f"or a reversal signal for counter-trend entries."
        )
        impact = "Fewer entries against momentum."
    elif code == "high_volatility_entry":
        evidence["atr_ratio"] = f.get("atr_ratio")
        suggestion = (
            f"Volatility at entry was {f['atr_ratio']:.1f}x its recent average. Reduce size in proportion to ATR."
        )
        impact = "Keeps risk per trade constant across volatility regimes."
    elif code == "poor_reward_risk":
        evidence["planned_rr"] = f.get("planned_rr")
        suggestion = (
            f"The plan risked 1R to make {f['planned_rr']:.2f}R. Only take setups with a target at least 1.5R away."
        )
        impact = "A higher payoff per winner at the same win rate."
    elif code == "weak_setup":
        impact_r = round(-f["setup_expectancy_r"], 3)
        evidence.update(
            setup=f.get("setup"),
            setup_expectancy_r=f.get("setup_expectancy_r"),
            setup_prior_trades=f.get("setup_prior_trades"),
        )
        suggestion = (
            f"The '{f.get('setup')}' setup averages {_r(f.get('setup_expectancy_r'))} over "
            f"{f.get('setup_prior_trades')} prior trades on this account. Pause it until it is reviewed."
        )
        impact = f"About {impact_r:.2f}R per trade not taken."
    else:  # pragma: no cover - every negative code is handled above
        raise ValueError(code)
    factor = FACTOR_BY_CODE[code]
    return {
        "area": factor.area,
        "type_code": code,
        "suggestion": suggestion,
        "expected_impact": impact,
        "expected_impact_r": impact_r,
        "evidence": {k: v for k, v in evidence.items() if isinstance(v, (int, float, str, bool)) or v is None},
    }


def success_score(f: dict[str, Any], codes: list[str]) -> tuple[int, int, float]:
    """(score, process, outcome) as documented in the module docstring."""
    process = max(0, 100 - sum(PENALTIES.get(c, 0) for c in codes))
    r = f.get("r_multiple")
    without_r = 65.0 if (f.get("net_pnl") or 0) > 0 else 35.0
    outcome = min(100.0, max(0.0, 50.0 + 25.0 * r)) if r is not None else without_r
    return round(PROCESS_WEIGHT * process + (1 - PROCESS_WEIGHT) * outcome), process, outcome


def _verdict(codes: list[str], f: dict[str, Any]) -> str:
    """Good process = no weakness found, so the verdict agrees with the factors listed beside it."""
    won = (f.get("net_pnl") or 0) > 0
    if not any(FACTOR_BY_CODE[c].polarity == "negative" for c in codes):
        return "good_trade" if won else "good_process_bad_outcome"
    return "bad_process_good_outcome" if won else "bad_trade"


VERDICT_TEXT = {
    "good_trade": "A well-executed winner: the plan was followed and it paid.",
    "good_process_bad_outcome": "A well-executed loser: the process was sound; the loss is the cost of the edge.",
    "bad_process_good_outcome": "A winner despite the process: the result hides mistakes that cost money over time.",
    "bad_trade": "A poorly executed loser: the mistakes below made it worse than the plan allowed.",
}
# The verdict as a person reads it (the report's badge); the code stays in analysis_data.
VERDICT_LABELS = {
    "good_trade": "Good trade",
    "good_process_bad_outcome": "Good process, bad outcome",
    "bad_process_good_outcome": "Bad process, good outcome",
    "bad_trade": "Bad trade",
    "neutral": "Neutral",
}


def _section(f: dict[str, Any], name: str, assessment: str, observations: list[str]) -> dict[str, Any]:
    return {
        "assessment": assessment,
        "observations": observations,
        "metrics": dict(zip(SECTION_METRICS[name], map(f.get, SECTION_METRICS[name]), strict=True)),
    }


def build_sections(f: dict[str, Any], codes: list[str], process: int, score: int) -> dict[str, Any]:
    """The narrative sections, each quoting its numbers."""
    r = f.get("r_multiple")
    verdict = _verdict(codes, f)
    weak = [FACTOR_BY_CODE[c].title for c in codes if FACTOR_BY_CODE[c].polarity == "negative"]
    strong = [FACTOR_BY_CODE[c].title for c in codes if FACTOR_BY_CODE[c].polarity == "positive"]
    perf_obs = [f"Net P&L {_usd(f.get('net_pnl'), signed=True)} ({_r(r)}) over {f.get('holding_minutes'):.0f} minutes."]
    if f.get("account_expectancy_r") is not None:
        perf_obs.append(f"The account's prior expectancy is {_r(f['account_expectancy_r'])} per trade.")
    perf_obs += [f"Data problem: {p}" for p in f.get("data_problems") or [] if p != f.get("bars_note")]
    if strong:
        perf_obs.append("Strengths: " + ", ".join(strong) + ".")
    if weak:
        perf_obs.append("Weaknesses: " + ", ".join(weak) + ".")

    entry_obs = []
    if f.get("setup"):
        if f.get("setup_expectancy_r") is not None:
            entry_obs.append(
                f"Setup '{f['setup']}' averages {_r(f['setup_expectancy_r'])} with a "
                f"{f.get('setup_win_rate') or 0:.0%} win rate over {f.get('setup_prior_trades')} prior trades."
            )
        else:
            entry_obs.append(f"Setup '{f['setup']}' has no prior history on this account.")
    if f.get("trend_atr") is not None:
        entry_obs.append(f"The 20 bars before entry moved {f['trend_atr']:+.1f} ATR in the trade's direction.")
    entry_assessment = (
        "Entry against the prevailing trend."
        if "counter_trend" in codes
        else ("Entry with the trend." if "with_trend" in codes else "Entry timing shows no notable issue.")
    )

    exit_obs = []
    if f.get("has_bars"):
        exit_obs.append(
            f"Best open profit {_r(f.get('mfe_r'))} (MFE {_usd(f.get('mfe_usd'), signed=True)}), "
            f"worst {_r(f.get('mae_r'))} (MAE {_usd(f.get('mae_usd'), signed=True)})."
        )
        if f.get("exit_efficiency") is not None:
            exit_obs.append(f"Exit efficiency {f['exit_efficiency']:.0%} of the favorable move.")
        if f.get("left_on_table_usd") is not None:
            exit_obs.append(
                f"Price moved a further {_usd(f['left_on_table_usd'])} (at this size) in the trade's favor "
                "after the exit."
            )
    else:
        exit_obs.append(
            f.get("bars_note") or "No market bars cover this trade: MAE/MFE and exit efficiency are unavailable."
        )
    if f.get("target_reached") is not None:
        exit_obs.append("The target was reached." if f["target_reached"] else "The target was not reached.")
    exit_assessment = next(
        (
            FACTOR_BY_CODE[c].rule
            for c in codes
            if c in {"early_exit", "gave_back_winner", "held_loser_too_long", "target_reached", "efficient_exit"}
        ),
        "Exit in line with the plan.",
    )

    risk_obs = []
    if f.get("stop_price") is None:
        risk_obs.append("No stop was recorded.")
    else:
        risk_obs.append(f"Stop at {f['stop_price']}, risking {_usd(f.get('risk_amount'))} (1R).")
        if f.get("loss_beyond_stop_r"):
            risk_obs.append(f"The loss went {f['loss_beyond_stop_r']:.2f}R beyond the stop.")
    if f.get("planned_rr") is not None:
        risk_obs.append(f"Planned reward:risk {f['planned_rr']:.2f}.")
    if f.get("size_ratio") is not None:
        risk_obs.append(f"Size {f['size_ratio']:.2f}x the account's usual quantity.")
    risk_codes = [c for c in codes if FACTOR_BY_CODE[c].area == "risk_management"]
    risk_assessment = (
        "; ".join(FACTOR_BY_CODE[c].title for c in risk_codes) + "." if risk_codes else "Risk within the plan."
    )

    market_obs = [f"Entered {f.get('weekday')} at {_clock(f)} desk time."]
    if f.get("atr_ratio") is not None:
        market_obs.append(
            f"ATR {f.get('atr_pct_of_price')}% of price, {f['atr_ratio']:.2f}x its trailing average at entry."
        )
    market_assessment = (
        "High-volatility conditions at entry." if "high_volatility_entry" in codes else "Normal market conditions."
    )

    behav_obs = [f"Trade {f.get('trade_of_day')} of the day; {f.get('prior_trades')} prior trades on the account."]
    if f.get("minutes_since_loss_exit") is not None:
        behav_obs.append(
            f"{f['minutes_since_loss_exit']:.0f} minutes after the last losing exit ({_r(f.get('last_loss_r'))})."
        )
    if f.get("loss_streak"):
        behav_obs.append(f"Losing streak before entry: {f['loss_streak']}.")
    behav_codes = [c for c in codes if FACTOR_BY_CODE[c].area == "behavioral"]
    behav_assessment = (
        "; ".join(FACTOR_BY_CODE[c].title for c in behav_codes) + "." if behav_codes else "No behavioral red flags."
    )

    perf = _section(f, "performance_analysis", VERDICT_TEXT[verdict], perf_obs)
    perf["overall_evaluation"] = f"{VERDICT_TEXT[verdict]} Success score {score}/100 (process {process}/100)."
    perf["verdict"] = verdict
    return {
        "performance_analysis": perf,
        "entry_analysis": _section(f, "entry_analysis", entry_assessment, entry_obs),
        "exit_analysis": _section(f, "exit_analysis", exit_assessment, exit_obs),
        "risk_management": _section(f, "risk_management", risk_assessment, risk_obs),
        "market_context": _section(f, "market_context", market_assessment, market_obs),
        "behavioral": _section(f, "behavioral", behav_assessment, behav_obs),
    }


# Numbers measured in R: meaningless when R itself is implausible (a stop typed next to the entry).
R_DENOMINATED = ("r_multiple", "loss_beyond_stop_r", "stop_honoured", "mfe_r", "mae_r", "left_on_table_r")


def _without_implausible_r(facts: dict[str, Any]) -> dict[str, Any]:
    """Facts the engine may reason over: an |R| beyond MAX_PLAUSIBLE_R is a data problem, so no
    factor, score or advice rests on it (the data problem itself is reported)."""
    r = facts.get("r_multiple")
    if r is None or abs(r) <= MAX_PLAUSIBLE_R:
        return facts
    return {**facts, **dict.fromkeys(R_DENOMINATED)}


def analyze_dict(facts: dict[str, Any]) -> dict[str, Any]:
    """The result as plain data (the bulk path skips re-validation; ``analyze`` validates)."""
    facts = _without_implausible_r(facts)
    codes = detect_factors(facts)
    score, process, _ = success_score(facts, codes)
    data = build_sections(facts, codes, process, score)
    opportunities = [_opportunity(facts, c) for c in codes if FACTOR_BY_CODE[c].polarity == "negative"]
    opportunities.sort(key=lambda o: -(o["expected_impact_r"] or 0))
    data["improvement_opportunities"] = opportunities[:10]
    return {
        "analysis_data": data,
        "success_score": score,
        "primary_factors": codes[:10],
        "engine": ENGINE_NAME,
        "model": "",
        "prompt_version": ENGINE_VERSION,
    }


class RulesEngine:
    """Deterministic and offline: the default engine without an API key."""

    name = ENGINE_NAME

    def analyze(self, facts: dict[str, Any], *, notes: str = "") -> AnalysisResult:
        return AnalysisResult.model_validate(analyze_dict(facts))
