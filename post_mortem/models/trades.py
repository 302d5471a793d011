"""Trades, their import batches, market bars and the reference data imports rely on."""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from ..trade_math import derive_trade_numbers
from .choices import BatchStatus, OptionType, Side


class ImportBatch(models.Model):
    """One uploaded file: who brought which rows in, so the import can be audited and undone."""

    file_name = models.CharField(max_length=255)
    file_hash = models.CharField(max_length=64, db_index=True, help_text="SHA-256 of the file")
    file_format = models.CharField(max_length=40, default="canonical", help_text="Detected or forced layout")
    timezone = models.CharField(max_length=64, default="UTC", help_text="Timezone naive times were read in")
    status = models.CharField(max_length=12, choices=BatchStatus.choices, default=BatchStatus.PENDING)
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="[{line, field, message}], capped")
    skipped = models.JSONField(
        default=list, blank=True, help_text="Lines left out by --skip-invalid: [{line, field, message}], capped"
    )
    notes = models.JSONField(
        default=list,
        blank=True,
        help_text="What the layout left out (open positions, cancelled orders) and ignored columns, capped",
    )
    options = models.JSONField(default=dict, blank=True)
    # Field values of trades this batch overwrote, keyed by trade id, so a rollback can restore them.
    previous_values = models.JSONField(default=dict, blank=True)
    run = models.ForeignKey("post_mortem.JobRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rolled_back_at = models.DateTimeField(null=True, blank=True)
    rolled_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "import batches"

    def __str__(self) -> str:
        # "Batch 3: fills.csv (2026-11-20 09:42 EST)": the page title starts with a capital of its
        # own (the admin capitalizes titles, which would change the file's name), in desk time.
        if not self.created_at:
            return f"Batch {self.pk}: {self.file_name}" if self.pk else self.file_name
        created = self.created_at.astimezone(ZoneInfo(settings.DESK_TIMEZONE))
        return f"Batch {self.pk}: {self.file_name} ({created:%Y-%m-%d %H:%M %Z})"


class Trade(models.Model):
    """A closed round trip. Derived fields are stored so 1M-row lists filter and sort on indexes."""

    external_id = models.CharField(max_length=128)
    account = models.CharField(max_length=64)
    symbol = models.CharField(max_length=40)
    side = models.CharField(max_length=5, choices=Side.choices)
    quantity = models.DecimalField(max_digits=20, decimal_places=6)
    entry_time = models.DateTimeField()
    exit_time = models.DateTimeField()
    entry_price = models.DecimalField(max_digits=20, decimal_places=8)
    exit_price = models.DecimalField(max_digits=20, decimal_places=8)
    fees = models.DecimalField(max_digits=18, decimal_places=4, default=0)
    stop_price = models.DecimalField(max_digits=20, decimal_places=8, null=True, blank=True)
    target_price = models.DecimalField(max_digits=20, decimal_places=8, null=True, blank=True)
    multiplier = models.DecimalField(
        max_digits=12, decimal_places=4, default=1, help_text="Contract multiplier (1 for stocks)"
    )
    # Option contracts only (blank/empty for stocks and futures): the contract's terms, kept so a
    # trade in SPY 450 calls is not just a symbol string.
    option_type = models.CharField(
        max_length=4, choices=OptionType.choices, blank=True, default="", help_text="Call or put (options only)"
    )
    strike = models.DecimalField(max_digits=20, decimal_places=8, null=True, blank=True, help_text="Options only")
    expiry = models.DateField(null=True, blank=True, help_text="Expiration date (options only)")
    underlying = models.CharField(
        max_length=40, blank=True, default="", help_text="The option's underlying (SPY, /ESZ6); options only"
    )
    setup = models.CharField(max_length=64, blank=True, default="")
    tags = models.CharField(max_length=255, blank=True, default="", help_text="';'-separated")
    notes = models.TextField(blank=True, default="")
    import_batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="trades"
    )
    # Hash of the imported field values: re-importing an identical row is detected without a diff.
    source_hash = models.CharField(max_length=40, blank=True, default="")

    # Derived, stored (see post_mortem.trade_math).
    gross_pnl = models.DecimalField(max_digits=20, decimal_places=4, default=0)
    net_pnl = models.DecimalField(max_digits=20, decimal_places=4, default=0)
    risk_amount = models.DecimalField(
        max_digits=20, decimal_places=4, null=True, blank=True, help_text="Money at risk to the stop (1R)"
    )
    r_multiple = models.FloatField(null=True, blank=True)
    return_pct = models.FloatField(default=0)
    holding_minutes = models.FloatField(default=0)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-entry_time", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "external_id"], name="trade_unique_account_external_id"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="trade_quantity_positive"),
            models.CheckConstraint(condition=Q(exit_time__gte=F("entry_time")), name="trade_exit_after_entry"),
        ]
        indexes = [
            models.Index(fields=["-entry_time", "-id"], name="trade_entry_time_idx"),
            models.Index(fields=["account", "entry_time"], name="trade_account_entry_idx"),
            models.Index(fields=["symbol", "entry_time"], name="trade_symbol_entry_idx"),
            models.Index(fields=["setup", "entry_time"], name="trade_setup_entry_idx"),
            models.Index(fields=["exit_time"], name="trade_exit_time_idx"),
            models.Index(fields=["net_pnl"], name="trade_net_pnl_idx"),
            models.Index(fields=["r_multiple"], name="trade_r_multiple_idx"),
            models.Index(fields=["side", "entry_time"], name="trade_side_entry_idx"),
            # The trades of one import batch, newest first, without sorting the batch.
            models.Index(fields=["import_batch", "entry_time"], name="trade_batch_entry_idx"),
            # Trade-id search by prefix; PostgreSQL needs the pattern class for LIKE 'prefix%'.
            models.Index(fields=["external_id"], name="trade_external_id_idx", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.account}/{self.external_id} {self.side} {self.symbol}"

    def save(self, *args, **kwargs) -> None:
        self.refresh_derived()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        """An option names its whole contract (type, strike, expiry) or nothing: half a contract is a typo."""
        from django.core.exceptions import ValidationError

        given = {"option_type": self.option_type, "strike": self.strike, "expiry": self.expiry}
        if any(v not in ("", None) for v in given.values()):
            missing = {name: "Required for an option." for name, v in given.items() if v in ("", None)}
            if missing:
                raise ValidationError(missing)

    @property
    def tag_list(self) -> list[str]:
        return [t for t in self.tags.split(";") if t]

    def refresh_derived(self) -> None:
        """Recompute the stored derived numbers from the raw fields (bulk paths call derive_* directly)."""
        derived = derive_trade_numbers(
            side=self.side,
            quantity=Decimal(self.quantity),
            entry_price=Decimal(self.entry_price),
            exit_price=Decimal(self.exit_price),
            fees=Decimal(self.fees or 0),
            stop_price=Decimal(self.stop_price) if self.stop_price is not None else None,
            multiplier=Decimal(self.multiplier or 1),
            entry_time=self.entry_time,
            exit_time=self.exit_time,
        )
        self.gross_pnl = derived.gross_pnl
        self.net_pnl = derived.net_pnl
        self.risk_amount = derived.risk_amount
        self.r_multiple = derived.r_multiple
        self.return_pct = derived.return_pct
        self.holding_minutes = derived.holding_minutes


class MarketBar(models.Model):
    """One OHLCV bar. Bars around a trade give MAE/MFE, exit efficiency, trend and volatility."""

    symbol = models.CharField(max_length=40)
    timestamp = models.DateTimeField()
    open = models.FloatField()
    high = models.FloatField()
    low = models.FloatField()
    close = models.FloatField()
    volume = models.FloatField(default=0)

    class Meta:
        ordering = ["symbol", "timestamp"]
        constraints = [
            models.UniqueConstraint(fields=["symbol", "timestamp"], name="bar_unique_symbol_timestamp"),
        ]

    def __str__(self) -> str:
        return f"{self.symbol} {self.timestamp:%Y-%m-%d %H:%M}"


class ContractMultiplier(models.Model):
    """Futures point value per root symbol (MNQ 2, ES 50, ...), editable by ops staff.

    Its history is kept: a changed point value changes the P&L of every later import.
    """

    root = models.CharField(max_length=16, unique=True)
    multiplier = models.DecimalField(max_digits=12, decimal_places=4)
    description = models.CharField(max_length=120, blank=True, default="")
    history = HistoricalRecords()

    class Meta:
        ordering = ["root"]

    def __str__(self) -> str:
        return f"{self.root} x{self.multiplier}"


class ImportLayout(models.Model):
    """A column mapping that ops staff saved for a broker file layout we did not ship."""

    name = models.CharField(max_length=80, unique=True)
    signature = models.JSONField(default=list, help_text="Header columns that identify the layout")
    mapping = models.JSONField(default=dict, help_text="canonical field -> column in the file")
    options = models.JSONField(default=dict, blank=True, help_text="date order, money format, ...")
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
