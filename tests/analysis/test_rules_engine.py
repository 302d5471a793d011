"""The rules engine on hand-built facts with known answers."""

from __future__ import annotations

import copy

import pytest

from post_mortem.engines.base import AnalysisResult
from post_mortem.engines.rules import RulesEngine, analyze_dict, detect_factors, success_score


def facts(**overrides):
    base = {
        "id": 1, "account": "A", "symbol": "XYZ", "setup": "breakout", "side": "LONG", "quantity": 100.0,
        "entry_price": 100.0, "exit_price": 101.0, "stop_price": 99.0, "target_price": 102.0, "fees": 0.0,
        "gross_pnl": 100.0, "net_pnl": 100.0, "risk_amount": 100.0, "r_multiple": 1.0, "holding_minutes": 30.0,
        "planned_rr": 2.0, "stop_honoured": None, "loss_beyond_stop_r": 0.0, "target_reached": False,
        "has_bars": False, "mfe_price": None, "mae_price": None, "mfe_usd": None, "mae_usd": None, "mfe_r": None,
        "mae_r": None, "exit_efficiency": None, "left_on_table_usd": None, "left_on_table_r": None,
        "trend_atr": None, "atr_pct_of_price": None, "atr_ratio": None, "prior_trades": 40,
        "account_expectancy_r": 0.2, "account_win_rate": 0.5, "setup_prior_trades": 20, "setup_expectancy_r": 0.3,
        "setup_win_rate": 0.55, "usual_quantity": 100.0, "size_ratio": 1.0, "usual_holding_minutes": 30.0,
        "holding_ratio": 1.0, "minutes_since_loss_exit": None, "last_loss_r": None, "loss_streak": 0,
        "after_loss": False, "trade_of_day": 1, "entry_hour": 10, "weekday": "Tue",
        "after_loss_segment_r": None, "after_loss_segment_n": 0, "oversized_segment_r": None,
        "oversized_segment_n": 0, "late_trades_segment_r": None, "late_trades_segment_n": 0,
        "tilt_segment_r": None, "tilt_segment_n": 0, "entry_time": "2026-03-02T15:00:00Z",
        "exit_time": "2026-03-02T15:30:00Z",
    }  # fmt: skip
    base.update(overrides)
    return base


def test_clean_winner_has_no_weakness_and_scores_high():
    result = RulesEngine().analyze(facts())
    assert isinstance(result, AnalysisResult)
    assert result.primary_factors == []
    assert result.analysis_data.improvement_opportunities == []
    assert result.success_score == round(0.6 * 100 + 0.4 * 75)  # process 100, outcome 50 + 25 x 1R
    assert result.analysis_data.performance_analysis.verdict == "good_trade"


def test_stop_not_honoured_quotes_the_numbers_and_impact():
    f = facts(exit_price=97.5, net_pnl=-250.0, r_multiple=-2.5, loss_beyond_stop_r=1.5, stop_honoured=False)
    out = analyze_dict(f)
    assert out["primary_factors"][0] == "stop_not_honoured"
    opp = out["analysis_data"]["improvement_opportunities"][0]
    assert opp["type_code"] == "stop_not_honoured" and opp["area"] == "risk_management"
    assert opp["expected_impact_r"] == 1.5
    assert "-2.50R" in opp["suggestion"]
    assert out["success_score"] == round(0.6 * 65 + 0.4 * 0)  # process 100 - 35, outcome clipped at 0
    assert out["analysis_data"]["performance_analysis"]["verdict"] == "bad_trade"


def test_after_loss_reentry_uses_the_accounts_own_history():
    f = facts(
        after_loss=True, minutes_since_loss_exit=8.0, last_loss_r=-1.2, r_multiple=-1.0, net_pnl=-100.0,
        stop_honoured=True, after_loss_segment_r=-0.6, after_loss_segment_n=12,
    )  # fmt: skip
    out = analyze_dict(f)
    assert "after_loss_reentry" in out["primary_factors"] and "disciplined_stop" in out["primary_factors"]
    opp = next(o for o in out["analysis_data"]["improvement_opportunities"] if o["type_code"] == "after_loss_reentry")
    assert "8 minutes after a -1.20R losing exit" in opp["suggestion"]
    assert "such trades average -0.60R" in opp["suggestion"]
    assert opp["expected_impact_r"] == pytest.approx(0.8)  # 0.2 baseline - (-0.6)
    assert opp["evidence"]["segment_prior_trades"] == 12


def test_each_documented_threshold():
    assert "oversized" in detect_factors(facts(size_ratio=1.5))
    assert "oversized" not in detect_factors(facts(size_ratio=1.49))
    assert "overtrading" in detect_factors(facts(trade_of_day=6))
    assert "loss_streak_tilt" in detect_factors(facts(loss_streak=3))
    assert "poor_reward_risk" in detect_factors(facts(planned_rr=0.8))
    assert "no_stop" in detect_factors(facts(stop_price=None, r_multiple=None))
    assert "counter_trend" in detect_factors(facts(trend_atr=-6.7))
    assert "counter_trend" not in detect_factors(facts(trend_atr=-6.6))
    assert "with_trend" in detect_factors(facts(trend_atr=7.0))
    assert "high_volatility_entry" in detect_factors(facts(atr_ratio=1.6))
    assert "weak_setup" in detect_factors(facts(setup_expectancy_r=-0.25, setup_prior_trades=20))
    assert "weak_setup" not in detect_factors(facts(setup_expectancy_r=-0.25, setup_prior_trades=19))
    assert "weak_setup" not in detect_factors(facts(setup_expectancy_r=-0.2, setup_prior_trades=50))
    loser_held = facts(net_pnl=-50.0, r_multiple=-0.5, holding_ratio=2.5)
    assert "held_loser_too_long" in detect_factors(loser_held)
    early = facts(mfe_r=3.0, exit_efficiency=0.3, left_on_table_r=0.2)
    assert "early_exit" in detect_factors(early)
    gave_back = facts(mfe_r=1.5, r_multiple=-0.2, net_pnl=-20.0, exit_efficiency=-0.1)
    codes = detect_factors(gave_back)
    assert "gave_back_winner" in codes and "early_exit" not in codes


def test_early_exit_impact_and_score_blend():
    out = analyze_dict(facts(mfe_r=3.0, exit_efficiency=0.3, left_on_table_r=1.4, r_multiple=0.9, net_pnl=90.0))
    opp = out["analysis_data"]["improvement_opportunities"][0]
    assert opp["type_code"] == "early_exit"
    assert opp["expected_impact_r"] == pytest.approx(1.4)  # max(left on table 1.4, 0.6 x 3 - 0.9 = 0.9)
    score, process, outcome = success_score(facts(r_multiple=0.9), ["early_exit"])
    assert (process, outcome, score) == (90, 72.5, round(0.6 * 90 + 0.4 * 72.5))


def test_deterministic_and_does_not_mutate_facts():
    f = facts(after_loss=True, minutes_since_loss_exit=5.0, last_loss_r=-1.0, size_ratio=2.0)
    frozen = copy.deepcopy(f)
    assert analyze_dict(f) == analyze_dict(f)
    assert f == frozen


def test_a_disciplined_loser_outscores_a_reckless_winner():
    disciplined = analyze_dict(facts(r_multiple=-1.0, net_pnl=-100.0, stop_honoured=True))
    reckless = analyze_dict(
        facts(r_multiple=1.5, net_pnl=150.0, size_ratio=3.0, after_loss=True, minutes_since_loss_exit=3.0,
              last_loss_r=-2.0, stop_price=None)
    )  # fmt: skip
    assert disciplined["success_score"] > reckless["success_score"]
    assert reckless["analysis_data"]["performance_analysis"]["verdict"] == "bad_process_good_outcome"


def test_sections_quote_money_in_dollars():
    f = facts(
        exit_price=84.9,
        net_pnl=-1510.0,
        r_multiple=-15.1,
        has_bars=True,
        mfe_usd=152.48,
        mae_usd=-1508.49,
        mfe_r=1.52,
        mae_r=-15.08,
        left_on_table_usd=86.59,
        left_on_table_r=0.87,
    )
    sections = analyze_dict(f)["analysis_data"]
    text = " ".join(
        " ".join(sections[name]["observations"])
        for name in ("performance_analysis", "exit_analysis", "risk_management")
    )
    assert "Net P&L -$1,510.00" in text
    assert "(MFE +$152.48)" in text and "(MAE -$1,508.49)" in text
    assert "a further $86.59" in text and "risking $100.00 (1R)" in text
