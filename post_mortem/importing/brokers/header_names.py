"""What header names and cell words mean to the layout proposer, in several conventions and languages.

Why a module of its own: the vocabulary (field names, status and fill words, fee and id names,
zones named in headers) grows with every platform the proposer meets, while the proposing logic
does not; keeping the words here keeps `propose` readable.
"""

from __future__ import annotations

import re
import unicodedata

from .parsing import BOM, ZONE_ABBREVIATIONS

HEADER_ZONE = re.compile(r"\b(UTC|GMT)\s*([+-]\s*\d{1,2}(?::?(\d{2}))?)?\b|\((" + "|".join(ZONE_ABBREVIATIONS) + r")\)")
# Currency codes a header appends to a money column ("Net USD", "Gross EUR", "Price (USD)").
CURRENCY_WORDS = {"usd", "eur", "gbp", "jpy", "chf", "cad", "aud", "usdt", "usdc", "hkd", "sgd"}


def header_words(cell: str) -> str:
    """Header text compared without case, accents, punctuation, zones or currencies: ``Símbolo`` -> ``simbolo``,
    ``Opening Time (UTC+0)`` -> ``opening time``, ``Net USD`` -> ``net``; CJK names are kept (``手续费``)."""
    cell = re.sub(r"(?<=[a-z])(?=[A-Z][a-z])", " ", cell.replace(BOM, ""))  # camelCase: EntryPrice, EnteredAt
    cell = HEADER_ZONE.sub(" ", cell)
    decomposed = unicodedata.normalize("NFKD", cell)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    plain = plain.replace("&", " ").replace("#", " no ")
    plain = re.sub(r"\s*\((?:[a-z]{1,3}|[$€£])\)\s*$", "", plain)  # a unit: "Profit/Loss (C)", "Price ($)"
    words = re.sub(r"[\W_]+", " ", plain).replace("date time", "datetime").split()
    return " ".join(w for w in words if w not in CURRENCY_WORDS) or " ".join(words)


def header_zone(name: str) -> str:
    """The IANA zone a header names for its times (``Date(UTC)`` -> ``UTC``, ``(UTC+2)`` -> ``Etc/GMT-2``), or ""."""
    m = HEADER_ZONE.search(name)
    if not m:
        return ""
    if m.group(4):
        return ZONE_ABBREVIATIONS[m.group(4)]
    signed = (m.group(2) or "+0").replace(" ", "")
    hours = int(signed[1:].split(":")[0][:2])
    if m.group(3) and int(m.group(3)):
        return ""  # no IANA zone for a half-hour offset: the import's zone applies
    if hours == 0:
        return "UTC"
    return f"Etc/GMT{'-' if signed[0] == '+' else '+'}{hours}"  # the Etc zones count the other way


# field -> header names (after header_words), best first. Several conventions and languages (English,
# French, Spanish, Portuguese, Italian, German, Dutch, Chinese, Japanese).
NAMES: dict[str, tuple[str, ...]] = {
    "symbol": (
        "symbol", "ticker", "instrument", "contract", "symbole", "simbolo", "security", "instrument name",
        "contrat", "titre", "valeur", "wertpapier", "stock", "market", "asset", "product", "underlying symbol",
        "sym", "symb", "code", "instrumento", "contrato", "contract name", "symbol name",
        "pair", "trading pair", "currency pair", "coin", "produkt", "product name", "produit", "producto",
        "titolo", "strumento", "ativo", "ticker symbol", "stock code", "security name", "fondsname",
        "代码", "证券代码", "股票代码", "合约", "品种", "交易对", "銘柄", "銘柄コード", "isin",
    ),
    "side": (
        "side", "action", "b s", "buy sell", "bs", "direction", "order side", "sens", "lado", "operation",
        "operacion", "transaction type", "trans code", "type", "long short", "position", "tipo", "richtung",
        "opening direction", "open direction", "trade type", "deal type", "buy or sell", "kauf verkauf",
        "transaktionsart", "art", "segno", "verso", "operazione", "tipo operacion", "tipo de operacion",
        "koop verkoop", "方向", "买卖方向", "买卖", "交易方向", "売買", "売買区分",
    ),
    "quantity": (
        "qty", "quantity", "shares", "volume", "lots", "size", "contracts", "filled qty", "fill qty", "qty filled",
        "filled quantity", "executed qty", "exec qty", "quantite", "cantidad", "menge", "anzahl", "nombre",
        "units", "lot", "quantity filled", "filled", "trade volume lots", "volume lots", "lots traded",
        "executed", "vol", "closing quantity", "closed quantity",
        "quantity closed", "closing volume", "no of shares", "number of shares", "stuck", "stueck", "nominal",
        "quantita", "quantidade", "aantal", "数量", "成交数量", "成交量", "约定数量", "約定数量", "数量 株",
    ),
    "price": (
        "price", "avg price", "average price", "fill price", "exec price", "execution price", "avg fill price",
        "filled price", "trade price", "prix", "prix moyen", "prix d execution", "precio", "kurs", "t price",
        "deal price", "cours", "price share", "price per share", "unit price", "rate", "ausfuhrungskurs",
        "prezzo", "preco", "koers", "价格", "成交价格", "成交均价", "成交价", "約定単価", "単価",
    ),
    "time": (
        "time", "date", "datetime", "date time", "fill time", "exec time", "execution time", "trade date",
        "timestamp", "filled time", "trade time", "transaction date", "activity date", "date heure", "heure",
        "fecha", "datum", "date et heure", "fecha hora", "zeit", "order time", "created",
        "run date", "filled at", "executed at", "execution date", "trade date time", "transaction time",
        "time utc", "date utc", "ausfuhrungszeit", "handelszeit", "handelstag", "data", "data ora", "ora",
        "tijd", "datum tijd", "时间", "成交时间", "成交日期", "日期", "約定日時", "約定日",
    ),
    "fees": (
        "commission", "commissions", "fees", "fee", "comm", "fees comm", "comm fee", "comm fees", "commission fee",
        "commission fees", "commissions fees", "total fees", "frais", "comision", "comisiones", "gebuhren",
        "courtage", "brokerage", "gebuhr", "provision", "provisionen", "spesen", "entgelt", "entgelte",
        "transaktionsgebuhren", "fremde spesen", "frais de courtage", "commissione", "commissioni", "taxa",
        "taxas", "corretagem", "commissie", "kosten", "transactiekosten", "trading fee", "fee amount",
        "charge", "charges", "charge amount", "手续费", "佣金", "交易费", "手数料",
    ),
    "pnl": (
        "p l", "pnl", "profit", "realized p l", "realized pnl", "realized", "net p l", "profit loss", "gain loss",
        "gross", "gross profit", "gross p l", "gross pnl",
        "net profit", "pl", "gain", "resultat", "ganancia", "gewinn", "realized profit", "p l net", "net pnl",
        "net", "result", "gewinn verlust", "profitto", "lucro", "winst", "盈亏", "平仓盈亏", "損益",
    ),
    "account": (
        "account", "account id", "acct", "account number", "compte", "cuenta", "konto", "account name",
        "depot", "conto", "conta", "rekening", "账户", "口座",
    ),
    "exec_id": (
        "exec id", "execution id", "fill id", "trade id", "deal", "deal id", "ticket", "trade no", "transaction id",
        "id", "txid", "trade txid", "fill no", "execution no", "成交编号",
    ),
    "external_id": ("trade id", "position id", "ticket", "trade no", "id", "deal id", "trade number", "position"),
    "entry_time": (
        "entry time", "open time", "opened", "open date", "entry date", "time in", "opening time", "entered",
        "date ouverture", "heure d entree", "entry datetime", "entered at", "opened at", "buy time", "fecha apertura",
        "opening date", "open date time", "eroffnungszeit", "开仓时间",
    ),
    "exit_time": (
        "exit time", "close time", "closed", "close date", "exit date", "time out", "closing time", "exited",
        "date fermeture", "heure de sortie", "exit datetime", "exited at", "closed at", "sell time", "fecha cierre",
        "closing date", "close date time", "schliessungszeit", "平仓时间",
    ),
    "entry_price": (
        "entry price", "open price", "avg entry price", "entry", "price in", "open", "opening price",
        "prix d entree", "prix ouverture", "precio apertura", "avg open price", "open rate", "opening rate",
        "eroffnungskurs", "开仓价",
    ),
    "exit_price": (
        "exit price", "close price", "avg exit price", "exit", "price out", "close", "closing price",
        "prix de sortie", "prix fermeture", "precio cierre", "avg close price", "close rate", "closing rate",
        "schlusskurs", "平仓价",
    ),
}  # fmt: skip
ID_WORDS = {"id", "no", "number", "ticket", "position", "order", "deal", "ref", "reference", "account"}
# Costs beyond the commission that exports put in their own columns; summed into the fee.
EXTRA_FEE_NAMES = (
    "swap", "swaps", "rollover", "financing", "exchange fee", "exchange fees", "clearing fee", "clearing fees",
    "regulatory fee", "regulatory fees", "sec fee", "taf fee", "nfa fee", "nfa fees", "other fees", "misc fees",
    "transaction fee", "transaction fees", "currency conversion fee", "fx fee", "stamp duty", "ptm levy",
    "finra fee", "ecn fee", "routing fee", "platform fee",
)  # fmt: skip
# A header with one of these words is never a partial match (``Settlement Date``, ``Order Price``).
NOT_PARTIAL = {
    "exp",
    "expires",
    "maturity",
    "max",
    "min",
    "high",
    "low",
    "settlement",
    "settle",
    "process",
    "expiry",
    "expiration",
    "limit",
    "stop",
    "trigger",
    "strike",
    "order",
}
STATUS_NAMES = ("status", "order status", "state", "statut", "estado", "fill status", "etat")
FILLED_WORDS = {"FILLED", "FILL", "EXECUTED", "COMPLETE", "COMPLETED", "DONE", "REMPLI", "EXECUTE", "EJECUTADA"}
UNFILLED_WORDS = {
    "CANCELLED", "CANCELED", "REJECTED", "EXPIRED", "WORKING", "PENDING", "OPEN", "NEW", "ANNULE", "CANCELADA",
    "STORNIERT", "ABGELEHNT", "PARTIALLY CANCELLED", "INACTIVE",
}  # fmt: skip
DETAIL_NAMES = ("level of detail", "data discriminator", "record type", "row type", "detail level")
DETAIL_FILL_WORDS = {"EXECUTION", "EXECUTIONS", "TRADE", "FILL", "EXEC"}
FILLED_QTY_NAMES = ("filled qty", "qty filled", "filled quantity", "quantity filled", "filled", "fill qty", "exec qty")
FILL_PRICE_NAMES = (
    "avg price", "average price", "avg fill price", "average fill price", "fill price", "filled price",
    "exec price", "execution price", "executed price", "avg executed price", "durchschnittskurs", "prix moyen",
)  # fmt: skip
LOT_WORDS = {"LOT", "LOTS"}
EXECUTION_KEYS = ("account", "exec_id", "symbol", "side", "quantity", "time", "price", "fees")
ROUND_TRIP_KEYS = (
    "account", "external_id", "symbol", "side", "quantity", "entry_time", "exit_time", "entry_price",
    "exit_price", "fees", "pnl",
)  # fmt: skip
LABELS = {"fills": "fills", "round_trips": "round trips", "orders": "orders", "transactions": "transactions"}
