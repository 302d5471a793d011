"""Saved layouts (a column mapping made from a sample) behave like built-in ones on real samples."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from post_mortem.models import Trade
from post_mortem.services.brokers import import_layout_create, import_layout_trial
from post_mortem.services.imports import trades_import

pytestmark = pytest.mark.django_db

# A platform export whose header starts with a blank cell (a row-number column) and whose
# prices are averages with more decimals than the stored 8.
SAMPLE = (
    ",Ticker,Direction,Shares,Avg In,Avg Out,Opened,Closed\n"
    "1,IBM,Long,3,200.123456789012,201.5,2026-07-02 09:30:00,2026-07-02 10:00:00\n"
    "2,IBM,Short,10,202,201,2026-07-02 11:00:00,2026-07-02 11:30:00\n"
)
MAPPING = {
    "symbol": "Ticker",
    "side": "Direction",
    "quantity": "Shares",
    "entry_price": "Avg In",
    "exit_price": "Avg Out",
    "entry_time": "Opened",
    "exit_time": "Closed",
}


def test_header_with_a_blank_first_cell_and_long_averaged_prices():
    trial = import_layout_trial(name="rownum_export", kind="round_trips", mapping=MAPPING, sample_text=SAMPLE)
    assert [row["entry_price"] for _line, row in trial.parsed.rows] == ["200.12345679", "202"]
    import_layout_create(name="rownum_export", kind="round_trips", mapping=MAPPING, sample_text=SAMPLE)
    result = trades_import(
        source=SAMPLE.encode(), file_name="x.csv", file_format="auto", options={"account": "X-1"}, tz_name="UTC"
    )
    assert (result.errors, result.file_format, result.created) == ([], "rownum_export", 2)
    assert str(Trade.objects.get(side="LONG").entry_price) == "200.12345679"


def test_trial_parse_runs_the_checks_the_import_runs():
    bad = SAMPLE.replace("2026-07-02 10:00:00", "2026-07-02 09:00:00")  # exit before entry
    with pytest.raises(ValidationError) as info:
        import_layout_trial(name="rownum_export", kind="round_trips", mapping=MAPPING, sample_text=bad)
    assert "line 2, exit_time: exit time" in str(info.value)
