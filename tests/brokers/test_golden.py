"""Golden files: each broker fixture must give exactly these trades and this P&L, for both groupings.

The expected numbers were worked out by hand from the fixture rows (see fixtures/brokers/README.md),
not copied from the parser's output. `GOLDEN` is FIFO lot pairing (`--grouping fifo`); `GOLDEN_FLAT`
is the default flat-to-flat grouping, which differs only for execution files with scaling.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from post_mortem.importing.brokers import BrokerOptions, detect_layout, parse_broker_text
from post_mortem.importing.brokers.convert import sheet_to_text
from post_mortem.importing.brokers.parsing import parse_datetime
from post_mortem.importing.readers import xlsx_sheet_rows
from post_mortem.trade_math import derive_trade_numbers

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "brokers"
FLAT_OPTIONS = BrokerOptions(account="OPT-ACCT", session_date=date(2026, 7, 2))
OPTIONS = dataclasses.replace(FLAT_OPTIONS, grouping="fifo")

D = Decimal
# (account, symbol, side, quantity, entry_price, exit_price, fees, multiplier)
GOLDEN: dict[str, tuple[str, list[tuple], str, str]] = {
    # file: (layout, trips, total gross, total fees)
    "ninjatrader_trades.csv": (
        "ninjatrader_trades",
        [
            ("Sim101", "MNQ SEP26", "LONG", "2", "20010.25", "20022.25", "1.24", "2"),
            ("Sim101", "MNQ SEP26", "SHORT", "1", "20030.5", "20068.5", "0.62", "2"),
            ("Sim101", "ES SEP26", "LONG", "1", "5400.25", "5410.75", "2.1", "50"),
            ("Sim101", "AAPL", "LONG", "100", "190.5", "191.25", "1", "1"),
        ],
        "572",
        "4.96",
    ),
    "topstepx.csv": (
        "topstepx",
        [
            ("OPT-ACCT", "MNQU6", "LONG", "2", "20010.25", "20015.75", "1.48", "2"),
            ("OPT-ACCT", "MESU6", "SHORT", "1", "5400.5", "5398", "0.74", "5"),
            ("OPT-ACCT", "NQU6", "LONG", "3", "20000", "19990", "8.4", "20"),
        ],
        "-565.5",
        "10.62",
    ),
    "tradovate_performance.csv": (
        "tradovate_performance",
        [
            ("OPT-ACCT", "MNQU6", "LONG", "2", "20000", "20010.5", "0", "2"),
            ("OPT-ACCT", "MNQU6", "SHORT", "1", "20030", "20050", "0", "2"),
            ("OPT-ACCT", "ESU6", "LONG", "4", "5400", "5406", "0", "50"),
            ("OPT-ACCT", "ESU6", "LONG", "2", "5410", "5406", "0", "50"),
        ],
        "802",
        "0",
    ),
    "tradovate_positions.csv": (
        "tradovate_positions",
        [
            ("APEX-1", "MNQU6", "LONG", "1", "20000.25", "20004.75", "0", "2"),
            ("APEX-1", "MNQU6", "SHORT", "3", "20010", "20000", "0", "2"),
            ("APEX-1", "CLQ6", "LONG", "1", "75.1", "74.85", "0", "1000"),
        ],
        "-181",
        "0",
    ),
    "mt5.csv": (
        "mt5",
        [
            ("OPT-ACCT", "EURUSD", "LONG", "1", "1.085", "1.0865", "7", "100000"),
            ("OPT-ACCT", "XAUUSD", "SHORT", "0.5", "2350", "2340", "4.7", "100"),
            ("OPT-ACCT", "US30", "LONG", "2", "39000", "38990", "0", "1"),
        ],
        "630",
        "11.7",
    ),
    # The multi-section statement: 15 fills -> 8 round trips (scale-in, split closes, identical
    # SPY fills, an option, a future), one fill still open (NVDA), one close opened earlier (MSFT).
    # Its own "Profits and Losses" section says OVERALL P/L Day $477.50.
    "thinkorswim_statement.csv": (
        "thinkorswim",
        [
            ("12345678SCHW", "AAPL", "LONG", "100", "190.5", "191", "0.02", "1"),
            ("12345678SCHW", "AAPL", "LONG", "50", "190", "191", "0.01", "1"),
            ("12345678SCHW", "AAPL", "LONG", "50", "190", "189.5", "0.01", "1"),
            ("12345678SCHW", "TSLA", "SHORT", "100", "250", "248", "0.02", "1"),
            ("12345678SCHW", "/MESU26", "LONG", "2", "5400", "5405.25", "2.5", "5"),
            ("12345678SCHW", "SPY", "LONG", "50", "540", "541", "0.01", "1"),
            ("12345678SCHW", "SPY", "LONG", "50", "540", "541", "0.01", "1"),
            ("12345678SCHW", "SPY 16 JAN 26 450 CALL", "LONG", "1", "5.1", "5.6", "1.3", "100"),
        ],
        "477.5",
        "3.88",
    ),
    "tastytrade_transactions.csv": (
        "tastytrade",
        [
            # BUY_TO_OPEN 2 @5.10 (2.00 + 0.28) -> SELL_TO_CLOSE 2 @5.60 (0.29): 0.50 x 2 x 100 = 100
            ("OPT-ACCT", "SPY 261218C00450000", "LONG", "2", "5.1", "5.6", "2.57", "100"),
            # SELL_TO_OPEN 1 @1.25 (1.00 + 0.14), expired: closes at 0: 1.25 x 1 x 100 = 125
            ("OPT-ACCT", "QQQ 260717P00400000", "SHORT", "1", "1.25", "0", "1.14", "100"),
            # /ESU6 BUY @5400.25 -> SELL @5406.75 (1.25 + 0.87 each side): 6.50 x 50 = 325
            ("OPT-ACCT", "/ESU6", "LONG", "1", "5400.25", "5406.75", "4.24", "50"),
            # /ES option: Multiplier says 1, the future's 50 applies (Value 625 = 12.50 x 50): 4.50 x 50 = 225
            ("OPT-ACCT", "./ESU6 EW2N6 260710C5450", "SHORT", "1", "12.5", "8", "4.24", "50"),
            # AAPL 100 @190.00 (0.08) -> @191.50 (0.15): 150
            ("OPT-ACCT", "AAPL", "LONG", "100", "190", "191.5", "0.23", "1"),
        ],
        "925",
        "12.42",
    ),
    "tastyworks_transactions.csv": (
        "tastytrade",
        [
            # BUY_TO_OPEN 3 @4.20 (3.42 fees): 1 sold @6.00 (0.14), 2 removed at expiration (no side) at 0
            ("OPT-ACCT", "TSLA 260821P00250000", "LONG", "1", "4.2", "6", "1.28", "100"),
            ("OPT-ACCT", "TSLA 260821P00250000", "LONG", "2", "4.2", "0", "2.28", "100"),
            # /MNQU6 SELL_TO_OPEN 2 @20050 -> BUY_TO_CLOSE 2 @20010.50 (1.70 a side): 39.50 x 2 x 2 = 158
            ("OPT-ACCT", "/MNQU6", "SHORT", "2", "20050", "20010.5", "3.4", "2"),
        ],
        "-502",
        "6.96",
    ),
    "schwab_transactions.csv": (
        "schwab",
        [
            # Buy 100 @190.00 -> Sell 100 @192.25 ($0.02): 225
            ("OPT-ACCT", "AAPL", "LONG", "100", "190", "192.25", "0.02", "1"),
            # Buy to Open 2 @5.10 ($1.32) -> Sell to Close 2 @5.85 ($1.34): 0.75 x 2 x 100 = 150
            ("OPT-ACCT", "SPY 12/18/2026 450.00 C", "LONG", "2", "5.1", "5.85", "2.66", "100"),
            # Sell to Open 1 @1.25 ($0.66) on the as-of date 07/06, Expired 07/17: 125
            ("OPT-ACCT", "QQQ 07/17/2026 400.00 P", "SHORT", "1", "1.25", "0", "0.66", "100"),
            # Sell Short 50 @250 ($0.05) -> Buy to Cover 50 @248: 100
            ("OPT-ACCT", "TSLA", "SHORT", "50", "250", "248", "0.05", "1"),
        ],
        "600",
        "3.39",
    ),
    "tradenote.csv": (
        "tradenote",
        [
            ("TR-01", "AMD", "LONG", "100", "150", "151", "1.02", "1"),
            ("TR-01", "AMD", "LONG", "100", "150", "149.5", "1.02", "1"),
            ("TR-01", "NFLX", "SHORT", "50", "600", "595", "0.5", "1"),
        ],
        "300",
        "2.54",
    ),
    "ninjatrader_executions.csv": (
        "ninjatrader_executions",
        [
            ("Sim101", "MNQ SEP26", "LONG", "1", "20000", "20010", "1.24", "2"),
            ("Sim101", "MNQ SEP26", "LONG", "1", "20000", "20010", "1.24", "2"),
            ("Sim101", "ES SEP26", "SHORT", "1", "5400", "5395", "2.1", "50"),
            ("Sim101", "ES SEP26", "SHORT", "1", "5400", "5402", "2.1", "50"),
        ],
        "190",
        "6.68",
    ),
    "ibkr_flex.csv": (
        "ibkr_flex",
        [
            ("U1234567", "MSFT", "LONG", "100", "420", "421.5", "2", "1"),
            ("U1234567", "MNQU6", "SHORT", "1", "20000", "19990", "1.24", "2"),
            ("U7654321", "AAPL", "LONG", "10", "190", "189", "0.7", "1"),
        ],
        "160",
        "3.94",
    ),
    "das_trades.csv": (
        "das",
        [
            ("DAS-01", "TSLA", "LONG", "50", "250", "251", "0", "1"),
            ("DAS-01", "TSLA", "LONG", "50", "250", "252", "0", "1"),
            ("DAS-01", "QQQ", "SHORT", "200", "480", "479.5", "0", "1"),
        ],
        "250",
        "0",
    ),
    # Newest first, and a sell of 150 against a long of 100: closes it and opens a short of 50.
    "tradervue.csv": (
        "tradervue",
        [
            ("OPT-ACCT", "NVDA", "LONG", "100", "120", "121", "2.02", "1"),
            ("OPT-ACCT", "NVDA", "SHORT", "50", "121", "120.5", "1.01", "1"),
        ],
        "125",
        "3.03",
    ),
    # Real-export shapes: NinjaTrader 8 with Profit net of more fees than Commission (fees = gross -
    # Profit: 24 - 22.10 = 1.90, 40 - 36.20 = 3.80), TopstepX plain roots (MNQ x2, NQ x20), DAS with
    # a `Symbol` header, Tradovate Orders (Canceled/Rejected rows are not fills), MT5 Position
    # History (deals paired by Position, contract size from Profit: 150 / 0.0015 = 100000,
    # 500 / 5 = 100), IBKR Transaction History (dates only; dividend/tax/FX/interest/deposit rows
    # are not trades; NVDA still open).
    "ninjatrader_trades_net.csv": (
        "ninjatrader_trades",
        [
            ("Sim101", "MNQ SEP26", "LONG", "1", "20010.25", "20022.25", "1.9", "2"),
            ("Sim101", "MNQ SEP26", "SHORT", "2", "20030.5", "20020.5", "3.8", "2"),
        ],
        "64",
        "5.7",
    ),
    "topstepx_roots.csv": (
        "topstepx",
        [
            ("OPT-ACCT", "MNQ", "LONG", "1", "20010.25", "20015.75", "0.74", "2"),
            ("OPT-ACCT", "NQ", "SHORT", "1", "20000", "19990", "2.8", "20"),
        ],
        "211",
        "3.54",
    ),
    "tradovate_orders.csv": (
        "tradovate_orders",
        [
            ("APEX-2", "MNQU6", "LONG", "1", "20000.25", "20010.25", "0", "2"),
            ("APEX-2", "MNQU6", "LONG", "1", "20000.25", "20005.75", "0", "2"),
            ("APEX-2", "NQU6", "SHORT", "1", "20100", "20080", "0", "20"),
        ],
        "431",
        "0",
    ),
    "mt5_positions.csv": (
        "mt5_positions",
        [
            ("5012345", "EURUSD", "LONG", "1", "1.085", "1.0865", "0", "100000"),
            ("5012345", "XAUUSD", "SHORT", "0.5", "2350", "2340", "0", "100"),
        ],
        "650",
        "0",
    ),
    "ibkr_transactions.csv": (
        "ibkr_transactions",
        [
            ("U***1234", "AAPL", "LONG", "50", "190", "191", "1", "1"),
            ("U***1234", "MSFT", "LONG", "100", "420", "425.5", "2", "1"),
        ],
        "600",
        "3",
    ),
}
GOLDEN["das_symbol_header.csv"] = GOLDEN["das_trades.csv"]

# Platform exports (fixtures/brokers/README.md has the rows and where their shapes come from):
# Tradovate Fills (the Performance report's fills, with commissions; one inactive fill left out),
# Rithmic Completed Orders (Filled orders only, an MNQ scale-out, fees = rate x qty) and Trade
# Performance (the same trades plus an MES short in a second account), Quantower (signed
# quantities, negative fees), TradeStation orders (Filled only, an option x100, ES "5,412.25"),
# TradeZero (read by the tradenote layout: SS/BC, an ECN rebate lowering the fees).
GOLDEN.update(
    {
        "tradovate_fills.csv": (
            "tradovate_fills",
            [
                # fees: MNQ 0.52 and ES 1.29 per contract per side
                ("APEX-3", "MNQU6", "LONG", "2", "20000", "20010.5", "2.08", "2"),
                ("APEX-3", "MNQU6", "SHORT", "1", "20030", "20050", "1.04", "2"),
                ("APEX-3", "ESU6", "LONG", "4", "5400", "5406", "10.32", "50"),
                ("APEX-3", "ESU6", "LONG", "2", "5410", "5406", "5.16", "50"),
            ],
            "802",
            "18.6",
        ),
        "rithmic_orders.csv": (
            "rithmic_orders",
            [
                # B 2 @20000.25 (rate 0.51 x 2 = 1.02, half to each lot) -> S 1 @20010 + S 1 @20004.50
                ("APEX-33521-11", "MNQU6", "LONG", "1", "20000.25", "20010", "1.02", "2"),
                ("APEX-33521-11", "MNQU6", "LONG", "1", "20000.25", "20004.5", "1.02", "2"),
                ("APEX-33521-11", "ESU6", "SHORT", "1", "5400.5", "5396.25", "2.58", "50"),
            ],
            "240.5",
            "4.62",
        ),
        "rithmic_performance.csv": (
            "rithmic_performance",
            [
                ("APEX-33521-11", "MNQU6", "LONG", "1", "20000.25", "20010", "1.02", "2"),
                ("APEX-33521-11", "MNQU6", "LONG", "1", "20000.25", "20004.5", "1.02", "2"),
                ("APEX-33521-11", "ESU6", "SHORT", "1", "5400.5", "5396.25", "2.58", "50"),
                ("APEX-33521-12", "MESU6", "SHORT", "2", "5410", "5412.5", "1.04", "5"),
            ],
            "215.5",
            "5.66",
        ),
        "quantower.csv": (
            "quantower",
            [
                ("QT-EVAL-1", "MNQU6", "LONG", "1", "20000.25", "20012.25", "1.04", "2"),
                ("QT-EVAL-1", "MNQU6", "LONG", "1", "20000.25", "19995.75", "1.04", "2"),
                ("QT-EVAL-1", "AAPL", "SHORT", "100", "190.5", "189.75", "0.7", "1"),
            ],
            "90",
            "2.78",
        ),
        "tradestation.csv": (
            "tradestation",
            [
                ("11223344", "AAPL", "LONG", "100", "190.5", "191.75", "2", "1"),
                ("11223344", "TSLA", "SHORT", "50", "250", "248.5", "1", "1"),
                ("11223344", "ESU26", "LONG", "1", "5412.25", "5418.75", "5", "50"),
                ("11223344", "AAPL 260717C190", "LONG", "2", "3.2", "3.65", "2.6", "100"),
            ],
            "615",
            "10.6",
        ),
        "tradezero.csv": (
            "tradenote",
            [
                # SS 200 @121.50 (fees 1.66, half per lot) -> BC 100 @120.75 (0.50 - 0.20 rebate) + BC 100 @121.90
                ("TZ-778899", "NVDA", "SHORT", "100", "121.5", "120.75", "1.13", "1"),
                ("TZ-778899", "NVDA", "SHORT", "100", "121.5", "121.9", "1.63", "1"),
                ("TZ-778899", "SOFI", "LONG", "1000", "8.12", "8.19", "2.49", "1"),
            ],
            "105",
            "5.25",
        ),
    }
)


# Flat to flat: scaling in and out is one trade (quantity = size opened, VWAP entry and exit, fees
# summed); the totals are the FIFO totals, because grouping never changes the money.
GOLDEN_FLAT = {
    **GOLDEN,
    "thinkorswim_statement.csv": (
        "thinkorswim",
        [
            # buy 100 @190.50 + buy 100 @190 -> sell 150 @191 + sell 50 @189.50
            ("12345678SCHW", "AAPL", "LONG", "200", "190.25", "190.625", "0.04", "1"),
            ("12345678SCHW", "TSLA", "SHORT", "100", "250", "248", "0.02", "1"),
            ("12345678SCHW", "/MESU26", "LONG", "2", "5400", "5405.25", "2.5", "5"),
            # two identical buys of 50 closed by one sell of 100
            ("12345678SCHW", "SPY", "LONG", "100", "540", "541", "0.02", "1"),
            ("12345678SCHW", "SPY 16 JAN 26 450 CALL", "LONG", "1", "5.1", "5.6", "1.3", "100"),
        ],
        "477.5",
        "3.88",
    ),
    "tradenote.csv": (
        "tradenote",
        [
            # B 200 @150 (1.00) -> S 100 @151 (0.52) + S 100 @149.50 (0.52)
            ("TR-01", "AMD", "LONG", "200", "150", "150.25", "2.04", "1"),
            ("TR-01", "NFLX", "SHORT", "50", "600", "595", "0.5", "1"),
        ],
        "300",
        "2.54",
    ),
    "ninjatrader_executions.csv": (
        "ninjatrader_executions",
        [
            ("Sim101", "MNQ SEP26", "LONG", "2", "20000", "20010", "2.48", "2"),
            # S 2 @5400 -> B 1 @5395 + B 1 @5402: exit 5398.50
            ("Sim101", "ES SEP26", "SHORT", "2", "5400", "5398.5", "4.2", "50"),
        ],
        "190",
        "6.68",
    ),
    "das_trades.csv": (
        "das",
        [
            ("DAS-01", "TSLA", "LONG", "100", "250", "251.5", "0", "1"),
            ("DAS-01", "QQQ", "SHORT", "200", "480", "479.5", "0", "1"),
        ],
        "250",
        "0",
    ),
    # The flip: sell 150 against a long of 100 closes it (fee 1.53 x 100/150 = 1.02) and opens a
    # short of 50 (fee 0.51), closed by the buy of 50.
    "tradervue.csv": GOLDEN["tradervue.csv"],
    "tradovate_orders.csv": (
        "tradovate_orders",
        [
            # B 2 @20000.25 -> S 1 @20010.25 + S 1 @20005.75: exit 20008
            ("APEX-2", "MNQU6", "LONG", "2", "20000.25", "20008", "0", "2"),
            ("APEX-2", "NQU6", "SHORT", "1", "20100", "20080", "0", "20"),
        ],
        "431",
        "0",
    ),
}
GOLDEN_FLAT["das_symbol_header.csv"] = GOLDEN_FLAT["das_trades.csv"]
GOLDEN_FLAT["tastyworks_transactions.csv"] = (
    "tastytrade",
    [
        # 3 bought @4.20, closed by 1 @6.00 and 2 at 0 (expired): exit (6.00 + 0 + 0) / 3 = 2.00
        ("OPT-ACCT", "TSLA 260821P00250000", "LONG", "3", "4.2", "2", "3.56", "100"),
        ("OPT-ACCT", "/MNQU6", "SHORT", "2", "20050", "20010.5", "3.4", "2"),
    ],
    "-502",
    "6.96",
)

# Option terms each option round trip must carry: (symbol, type, strike, expiry, underlying, multiplier).
OPTION_TERMS = {
    "tastytrade_transactions.csv": [
        ("./ESU6 EW2N6 260710C5450", "CALL", "5450", "2026-07-10", "/ESU6", "50"),
        ("QQQ 260717P00400000", "PUT", "400", "2026-07-17", "QQQ", "100"),
        ("SPY 261218C00450000", "CALL", "450", "2026-12-18", "SPY", "100"),
    ],
    "tastyworks_transactions.csv": [
        ("TSLA 260821P00250000", "PUT", "250", "2026-08-21", "TSLA", "100"),
        ("TSLA 260821P00250000", "PUT", "250", "2026-08-21", "TSLA", "100"),
    ],
    "schwab_transactions.csv": [
        ("QQQ 07/17/2026 400.00 P", "PUT", "400", "2026-07-17", "QQQ", "100"),
        ("SPY 12/18/2026 450.00 C", "CALL", "450", "2026-12-18", "SPY", "100"),
    ],
    "thinkorswim_statement.csv": [("SPY 16 JAN 26 450 CALL", "CALL", "450", "2026-01-16", "SPY", "100")],
}
GOLDEN_FLAT.update(
    {
        "rithmic_orders.csv": (
            "rithmic_orders",
            [
                # B 2 @20000.25 -> S 1 @20010 + S 1 @20004.50: exit 20007.25
                ("APEX-33521-11", "MNQU6", "LONG", "2", "20000.25", "20007.25", "2.04", "2"),
                ("APEX-33521-11", "ESU6", "SHORT", "1", "5400.5", "5396.25", "2.58", "50"),
            ],
            "240.5",
            "4.62",
        ),
        "quantower.csv": (
            "quantower",
            [
                # B 2 @20000.25 -> S 1 @20012.25 + S 1 @19995.75: exit 20004
                ("QT-EVAL-1", "MNQU6", "LONG", "2", "20000.25", "20004", "2.08", "2"),
                ("QT-EVAL-1", "AAPL", "SHORT", "100", "190.5", "189.75", "0.7", "1"),
            ],
            "90",
            "2.78",
        ),
        "tradezero.csv": (
            "tradenote",
            [
                # SS 200 @121.50 -> BC 100 @120.75 + BC 100 @121.90: exit 121.325
                ("TZ-778899", "NVDA", "SHORT", "200", "121.5", "121.325", "2.76", "1"),
                ("TZ-778899", "SOFI", "LONG", "1000", "8.12", "8.19", "2.49", "1"),
            ],
            "105",
            "5.25",
        ),
    }
)

# IBKR Activity Statement: the Order row of AAPL's buy is repeated by two Trade rows (600 + 400,
# commissions 3 + 2); the sell of 1,000 (commission 5) is an Order row alone. FIFO splits it
# 600/400 (exit commission 3 + 2); flat to flat it is one trade of 1,000 with fees 10.
GOLDEN["ibkr_activity.csv"] = (
    "ibkr_activity",
    [
        ("U1111111", "AAPL", "LONG", "600", "190", "191.5", "6", "1"),
        ("U1111111", "AAPL", "LONG", "400", "190", "191.5", "4", "1"),
        ("U1111111", "TSLA", "SHORT", "200", "250", "248", "2", "1"),
        ("U2222222", "NVDA", "LONG", "50", "120", "119", "1", "1"),
        ("U1111111", "SPY 18DEC26 450 C", "LONG", "2", "5.1", "5.6", "2.6", "100"),
        ("U2222222", "MESU6", "SHORT", "2", "5400.25", "5398", "2.48", "5"),
    ],
    "1972.5",
    "18.08",
)
# MetaTrader 5 Trade History Report (XLSX, built by make_mt5_report.py): the Positions table
# only; contract size from Profit (EURUSD/GBPUSD 100000, XAUUSD 100, US30 1), fees = -(commission + swap).
GOLDEN["mt5_report.xlsx"] = GOLDEN_FLAT["mt5_report.xlsx"] = (
    "mt5_report",
    [
        ("5012345", "EURUSD", "LONG", "1", "1.085", "1.0865", "7", "100000"),
        ("5012345", "XAUUSD", "SHORT", "0.5", "2350", "2340", "3.7", "100"),
        ("5012345", "US30", "LONG", "2", "39000", "38990", "0", "1"),
        ("5012345", "GBPUSD", "SHORT", "0.3", "1.27", "1.272", "2.1", "100000"),
    ],
    "570",
    "12.8",
)
GOLDEN_FLAT["ibkr_activity.csv"] = (
    "ibkr_activity",
    [
        ("U1111111", "AAPL", "LONG", "1000", "190", "191.5", "10", "1"),
        *GOLDEN["ibkr_activity.csv"][1][2:],
    ],
    "1972.5",
    "18.08",
)


def _key(row: dict[str, str]) -> tuple:
    return tuple(
        row[k] for k in ("account", "symbol", "side", "quantity", "entry_price", "exit_price", "fees", "multiplier")
    )


def _fixture_text(name: str) -> str:
    """The file as the import's layout stage sees it (an XLSX sheet row by row, as CSV text)."""
    if name.endswith(".xlsx"):
        return sheet_to_text(xlsx_sheet_rows(FIXTURES / name))[0]
    return (FIXTURES / name).read_text(encoding="utf-8-sig")


def _parse(name: str, options: BrokerOptions = OPTIONS):
    text = _fixture_text(name)
    layout = detect_layout(text)
    return layout, parse_broker_text(text, layout=layout, options=options) if layout else None


@pytest.mark.parametrize(
    ("name", "grouping"), [(n, "fifo") for n in sorted(GOLDEN)] + [(n, "flat") for n in sorted(GOLDEN_FLAT)]
)
def test_golden_file(name: str, grouping: str) -> None:
    expected_layout, trips, gross_total, fee_total = (GOLDEN if grouping == "fifo" else GOLDEN_FLAT)[name]
    options = OPTIONS if grouping == "fifo" else FLAT_OPTIONS
    layout, parsed = _parse(name, options)
    assert layout == expected_layout
    assert parsed.errors == []
    assert sorted(_key(row) for _line, row in parsed.rows) == sorted(trips)
    gross = D(0)
    net = D(0)
    for _line, row in parsed.rows:
        numbers = derive_trade_numbers(
            side=row["side"],
            quantity=D(row["quantity"]),
            entry_price=D(row["entry_price"]),
            exit_price=D(row["exit_price"]),
            fees=D(row["fees"]),
            stop_price=None,
            multiplier=D(row["multiplier"]),
            entry_time=parse_datetime(row["entry_time"]),
            exit_time=parse_datetime(row["exit_time"]),
        )
        assert numbers.holding_minutes >= 0
        gross += numbers.gross_pnl
        net += numbers.net_pnl
    assert gross == D(gross_total)
    assert net == D(gross_total) - D(fee_total)
    # every round trip has its own external id, and ids are stable (a second parse gives the same)
    ids = [row["external_id"] for _line, row in parsed.rows]
    assert len(set(ids)) == len(ids)
    _layout, again = _parse(name, options)
    assert [row["external_id"] for _line, row in again.rows] == ids


def test_flat_grouping_is_the_default_and_its_ids_come_from_the_fills() -> None:
    assert BrokerOptions().grouping == "flat"
    _layout, parsed = _parse("ninjatrader_executions.csv", FLAT_OPTIONS)
    by_symbol = {row["symbol"]: (line, row) for line, row in parsed.rows}
    line, mnq = by_symbol["MNQ SEP26"]
    assert mnq["external_id"] == "nt-a1f0c3~nt-a1f0c5" and line == 4  # first opening ~ last closing fill
    assert (mnq["entry_time"], mnq["exit_time"]) == ("2026-07-02T09:30:00", "2026-07-02T09:45:00")
    line, es = by_symbol["ES SEP26"]
    assert es["external_id"] == "nt-b2e1d1~nt-b2e1d3" and line == 8
    assert (es["entry_time"], es["exit_time"]) == ("2026-07-02T10:00:00", "2026-07-02T10:20:00")


def test_flat_grouping_reports_open_positions_and_closes_without_an_opening() -> None:
    _layout, parsed = _parse("thinkorswim_statement.csv", FLAT_OPTIONS)
    messages = {(w.line, w.field): w.message for w in parsed.warnings}
    assert "5 NVDA still open" in messages[(35, "position")]
    assert "10 MSFT has no opening fill" in messages[(48, "position")]


def test_thinkorswim_reports_what_it_could_not_pair() -> None:
    _layout, parsed = _parse("thinkorswim_statement.csv")
    messages = {(w.line, w.field): w.message for w in parsed.warnings}
    assert "5 NVDA still open" in messages[(35, "position")]
    assert "10 MSFT has no opening fill" in messages[(48, "position")]
    assert parsed.executions == 15


def test_thinkorswim_entry_and_exit_times_and_lines() -> None:
    _layout, parsed = _parse("thinkorswim_statement.csv")
    by_key = {(_key(row)[1], row["entry_price"], row["exit_price"]): (line, row) for line, row in parsed.rows}
    line, row = by_key[("AAPL", "190.5", "191")]
    assert row["entry_time"] == "2026-07-02T09:31:05"
    assert row["exit_time"] == "2026-07-02T10:15:00"
    assert line == 46  # the closing fill's line in the statement


def test_ninjatrader_executions_drops_the_repeated_execution_id_only() -> None:
    _layout, parsed = _parse("ninjatrader_executions.csv")
    assert parsed.duplicates == 1
    assert [(w.line, w.field) for w in parsed.warnings] == [(5, "execution id")]
    # the two identical MNQ fills (same time, price, qty; ids a1f0c3/a1f0c4) are two trades
    ids = sorted(row["external_id"] for _line, row in parsed.rows if row["symbol"] == "MNQ SEP26")
    assert ids == ["nt-a1f0c3~nt-a1f0c5", "nt-a1f0c4~nt-a1f0c5"]


def test_tradovate_performance_ids_match_fifo_pairing_of_the_same_fills() -> None:
    _layout, parsed = _parse("tradovate_performance.csv")
    ids = sorted(row["external_id"] for _line, row in parsed.rows)
    # a short is opened by its sell fill: the id starts with the opening fill
    assert ids == ["310001~310002", "310003~310004", "310005~310006", "310007~310008"]


def test_topstepx_keeps_the_utc_offset_and_ids() -> None:
    _layout, parsed = _parse("topstepx.csv")
    first = parsed.rows[0][1]
    assert first["external_id"] == "tsx-90001"
    assert first["entry_time"] == "2026-07-02T13:12:05.117000+00:00"


def test_every_fixture_file_is_golden_and_detects_as_its_layout() -> None:
    """A new fixture cannot be forgotten, and a new layout cannot take over another one's files."""
    files = {path.name for path in FIXTURES.iterdir() if path.suffix in {".csv", ".xlsx"}}
    assert files - {"unknown_renamed_columns.csv"} == set(GOLDEN)
    for name in sorted(files):
        layout, _parsed = _parse(name)
        assert layout == GOLDEN.get(name, (None,))[0], name


def test_thinkorswim_option_keeps_expiry_strike_and_type() -> None:
    _layout, parsed = _parse("thinkorswim_statement.csv")
    (option,) = [row for _line, row in parsed.rows if row["option_type"]]
    assert (option["symbol"], option["multiplier"]) == ("SPY 16 JAN 26 450 CALL", "100")
    assert (option["option_type"], option["strike"], option["expiry"], option["underlying"]) == (
        "CALL",
        "450",
        "2026-01-16",
        "SPY",
    )
    assert all(
        row["option_type"] == row["strike"] == row["expiry"] == "" for _l, row in parsed.rows if row is not option
    )


def test_options_in_a_layout_without_a_multiplier_column_get_100_or_the_futures_point_value() -> None:
    text = (
        "Date,Time,Symbol,Quantity,Price,Side\n"
        "2026-07-02,09:30:00,SPY   261218P00450000,2,5.10,Buy\n"
        "2026-07-02,10:00:00,SPY   261218P00450000,2,5.60,Sell\n"
        "2026-07-02,09:30:00,./ESZ6 E2BZ6 261218C6880,1,12.25,Sell\n"
        "2026-07-02,10:00:00,./ESZ6 E2BZ6 261218C6880,1,10.00,Buy\n"
    )
    parsed = parse_broker_text(text, layout="tradervue", options=FLAT_OPTIONS)
    assert parsed.errors == []
    rows = {row["underlying"]: row for _line, row in parsed.rows}
    # a put of 450 on SPY, 2 contracts x 100 shares: (5.60 - 5.10) x 2 x 100 = 100
    assert (rows["SPY"]["multiplier"], rows["SPY"]["option_type"], rows["SPY"]["strike"]) == ("100", "PUT", "450")
    assert rows["SPY"]["expiry"] == "2026-12-18"
    # an option on /ES moves $50 a point, like /ES: (12.25 - 10.00) x 1 x 50 = 112.50
    assert (rows["/ESZ6"]["multiplier"], rows["/ESZ6"]["side"], rows["/ESZ6"]["strike"]) == ("50", "SHORT", "6880")


@pytest.mark.parametrize("name", sorted(OPTION_TERMS))
def test_option_round_trips_keep_expiry_strike_type_and_multiplier(name: str) -> None:
    _layout, parsed = _parse(name)
    terms = [
        (row["symbol"], row["option_type"], row["strike"], row["expiry"], row["underlying"], row["multiplier"])
        for _line, row in parsed.rows
        if row["option_type"]
    ]
    assert sorted(terms) == sorted(OPTION_TERMS[name])


def test_tastytrade_leaves_out_money_rows_and_says_which() -> None:
    _layout, parsed = _parse("tastytrade_transactions.csv")
    (note,) = [w for w in parsed.warnings if w.field == "Type"]
    assert "5 row(s) are not trades" in note.message
    for kind in ("Deposit", "Credit Interest", "Dividend", "Balance Adjustment", "Mark to Market"):
        assert f"1 Money Movement: {kind}" in note.message
    assert parsed.executions == 10  # 9 trade rows + 1 expiration
    times = {row["symbol"]: (row["entry_time"], row["exit_time"]) for _l, row in parsed.rows}
    assert times["QQQ 260717P00400000"] == ("2026-07-06T10:00:00-04:00", "2026-07-17T16:00:00-04:00")


def test_tastytrade_refuses_a_value_that_disagrees_with_price_and_multiplier() -> None:
    text = (FIXTURES / "tastytrade_transactions.csv").read_text()
    broken = text.replace("Call 5450.00 @ 12.5,625.00", "Call 5450.00 @ 12.5,62.50")
    parsed = parse_broker_text(broken, layout="tastytrade", options=OPTIONS)
    assert [(e.line, e.field) for e in parsed.errors] == [(6, "Value")]
    assert "multiplier 50" in parsed.errors[0].message


def test_tastytrade_needs_the_account_chosen_for_the_import() -> None:
    text = (FIXTURES / "tastytrade_transactions.csv").read_text()
    parsed = parse_broker_text(text, layout="tastytrade", options=dataclasses.replace(OPTIONS, account=""))
    assert [(e.line, e.field) for e in parsed.errors] == [(1, "account")]


def test_schwab_reads_the_account_from_the_title_and_the_trade_date_from_as_of() -> None:
    text = (FIXTURES / "schwab_transactions.csv").read_text()
    parsed = parse_broker_text(text, layout="schwab", options=dataclasses.replace(OPTIONS, account=""))
    assert parsed.errors == []
    assert {row["account"] for _l, row in parsed.rows} == {"Individual ...123"}
    put = next(row for _l, row in parsed.rows if row["symbol"].startswith("QQQ"))
    assert (put["entry_time"], put["exit_time"]) == ("2026-07-06T00:00:00", "2026-07-17T00:00:00")
    (note,) = [w for w in parsed.warnings if w.field == "Action"]
    assert "5 row(s) are not trades" in note.message
    for kind in ("Qualified Dividend", "MoneyLink Transfer", "Journal", "Bank Interest", "Transactions Total"):
        assert f"1 {kind}" in note.message


def test_schwab_refuses_an_amount_that_disagrees_with_the_contract_size() -> None:
    text = (FIXTURES / "schwab_transactions.csv").read_text()
    broken = text.replace('"$5.85","$1.34","$1,168.66"', '"$5.85","$1.34","$10.36"')  # a mini option (x1)?
    parsed = parse_broker_text(broken, layout="schwab", options=OPTIONS)
    assert [(e.line, e.field) for e in parsed.errors] == [(10, "Amount")]


def test_schwab_agrees_with_the_proposer_on_the_same_history() -> None:
    """The proposer's cash-history sample is Schwab's shape with a renamed fee column: read as Schwab,
    it gives the proposer's trial figures (SPY 2.20 x 50 - 1.30 = 108.70, QQQ 1.50 x 20 - 1.30 = 28.70)."""
    sample = Path(__file__).parent / "proposer_samples" / "cash_history.csv"
    text = sample.read_text().replace(",Commission,", ",Fees & Comm,", 1)
    assert detect_layout(text) == "schwab"
    parsed = parse_broker_text(text, layout="schwab", options=OPTIONS)
    assert parsed.errors == []
    net = D(0)
    for _line, row in parsed.rows:
        sign = 1 if row["side"] == "LONG" else -1
        move = (D(row["exit_price"]) - D(row["entry_price"])) * sign
        net += move * D(row["quantity"]) * D(row["multiplier"]) - D(row["fees"])
    assert (len(parsed.rows), net) == (2, D("137.40"))
    spy = next(row for _l, row in parsed.rows if row["symbol"] == "SPY")
    assert (spy["entry_time"], spy["exit_time"]) == ("2026-07-01T09:32:00", "2026-07-01T10:10:00")


def test_tastytrade_assignment_closes_the_option_at_0_and_delivers_the_stock_at_the_strike() -> None:
    header = (FIXTURES / "tastytrade_transactions.csv").read_text().splitlines()[0]
    rows = [
        "2026-08-21T14:00:00-0400,Trade,Sell to Close,SELL_TO_CLOSE,SCHG,Equity,Sold 100 SCHG @ 105.00,"
        '"10,500.00",100,105.00,0.00,-0.10,,,,,,,500004,"10,499.90",USD',
        "2026-08-20T18:00:00-0400,Receive Deliver,Symbol Change,,SCHG,Equity,Symbol change: SCHG to SCHG,"
        "0.00,100,0.00,--,0.00,,,,,,,,0.00,USD",
        "2026-08-17T18:00:00-0400,Receive Deliver,Buy to Open,BUY_TO_OPEN,SCHG,Equity,Buy to Open 100 SCHG @ 103.00,"
        '"-10,300.00",100,-103.00,--,-5.00,,,,,,,,"-10,305.00",USD',
        "2026-08-17T18:00:00-0400,Receive Deliver,Assignment,,SCHG  260817P00103000,Equity Option,"
        "Removal of option due to assignment,0.00,1,0.00,--,0.00,100,SCHG,SCHG,8/17/26,103,PUT,,0.00,USD",
        "2026-07-20T10:30:00-0400,Trade,Sell to Open,SELL_TO_OPEN,SCHG  260817P00103000,Equity Option,"
        "Sold 1 SCHG 08/17/26 Put 103.00 @ 2.05,205.00,1,205.00,-1.00,-0.14,100,SCHG,SCHG,8/17/26,103,PUT,500001,"
        "203.86,USD",
    ]
    parsed = parse_broker_text("\n".join([header, *rows]) + "\n", layout="tastytrade", options=OPTIONS)
    assert parsed.errors == []
    assert sorted(_key(row) for _line, row in parsed.rows) == [
        # 100 SCHG delivered at the 103 strike (5.00 fee), sold at 105 (0.10)
        ("OPT-ACCT", "SCHG", "LONG", "100", "103", "105", "5.1", "1"),
        # the put sold for 2.05 is removed at 0 by the assignment (no Action: it closes the short)
        ("OPT-ACCT", "SCHG 260817P00103000", "SHORT", "1", "2.05", "0", "1.14", "100"),
    ]
    (note,) = [w for w in parsed.warnings if w.field == "Type"]
    assert "1 Receive Deliver: Symbol Change" in note.message
