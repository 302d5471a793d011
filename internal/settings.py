"""Settings for the Trade Post-Mortem Analyzer.

Everything that differs between a laptop and a production host comes from the environment,
with defaults that run the embedded setup (SQLite + django-q2's ORM broker) out of the box.
Optional integrations (PostgreSQL, Redis, Claude) switch on when their variable is set.
"""

from __future__ import annotations

import datetime as dt
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.templatetags.static import static
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    """Read a boolean flag the way operators write them (1/true/yes/on)."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG:
        SECRET_KEY = "insecure-development-key-only-used-with-debug-on"  # noqa: S105
    else:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # unfold must come before django.contrib.admin
    "unfold",
    "unfold.contrib.filters",
    "unfold.contrib.forms",
    "unfold.contrib.import_export",
    "unfold.contrib.simple_history",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "import_export",
    "simple_history",
    "django_q",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "post_mortem",
    "admin_ext",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "admin_ext.middleware.DeskTimezoneMiddleware",  # admin pages speak desk time
]

ROOT_URLCONF = "internal.urls"
WSGI_APPLICATION = "internal.wsgi.application"
ASGI_APPLICATION = "internal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
SQLITE_PATH = Path(os.environ.get("SQLITE_PATH", BASE_DIR / "db.sqlite3"))
SQLITE_OPTIONS = {
    # A web process and a qcluster write concurrently: WAL + immediate transactions + a busy
    # timeout is what keeps SQLite from answering "database is locked".
    "transaction_mode": "IMMEDIATE",
    "timeout": float(os.environ.get("SQLITE_BUSY_TIMEOUT", "20")),
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"].setdefault("OPTIONS", {}).update(SQLITE_OPTIONS)
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            "OPTIONS": SQLITE_OPTIONS,
        }
    }
DB_VENDOR = "postgresql" if "postgres" in DATABASES["default"]["ENGINE"] else "sqlite"

# --- Database busy: a writer that cannot get the lock gets 503 + Retry-After, not a 500 -----
MIDDLEWARE += ["internal.busy.DatabaseBusyMiddleware"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth ---------------------------------------------------------------------------------
LOGIN_URL = "admin:login"
# unfold's login form posts without a `next`; a direct /admin/login/ then lands on the admin,
# not on Django's default /accounts/profile/ (which this project does not have).
LOGIN_REDIRECT_URL = "admin:index"

# --- Auth hardening: password rules and login throttling (django-axes) --------------------
# Passwords: at least 12 characters, not all digits (dates), not a common password, not close
# to the username. ensure_logins checks ADMIN_PASSWORD against the same rules.
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": int(os.environ.get("PASSWORD_MIN_LENGTH", "12"))},
    },
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "internal.passwords.NoUsernameInPasswordValidator"},
]
# Every password login (admin form, any API login that calls authenticate with the request)
# passes through axes: LOGIN_FAILURE_LIMIT failures for one username from one client address
# lock that pair out for LOGIN_LOCKOUT_MINUTES (HTTP 429); each failure and lockout is logged
# (logger "axes") and kept in the admin under Audit → Login attempts.
INSTALLED_APPS += ["axes"]
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=float(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False  # no banner on every manage.py run; failures and lockouts are still logged
# The log names who failed from where (the desk audits logins); passwords are always masked.
AXES_SENSITIVE_PARAMETERS: list[str] = []
AXES_ENABLE_ADMIN = False  # admin_ext registers the attempts with the unfold look, read-only
AXES_LOCKOUT_TEMPLATE = "admin_ext/auth/locked_out.html"

# --- I18N / time --------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"  # stored and computed in UTC
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["internal.formats"]  # ISO dates, 24 h desk times with the zone's name
# The desk's own timezone: hour-of-day and weekday segments are read in it.
DESK_TIMEZONE = os.environ.get("DESK_TIMEZONE", "America/New_York")
# "After a loss" segment: entered within this many minutes of a losing exit on the same account.
AFTER_LOSS_MINUTES = float(os.environ.get("AFTER_LOSS_MINUTES", "30"))
# A mined pattern is significant only with q < 0.05, a CI excluding zero and |effect| >= this (R).
PATTERN_MIN_EFFECT_R = float(os.environ.get("PATTERN_MIN_EFFECT_R", "0.15"))
# Two segments whose trades overlap at least this much (Jaccard) are one finding.
PATTERN_GROUP_OVERLAP = float(os.environ.get("PATTERN_GROUP_OVERLAP", "0.8"))

# --- Static (production path: whitenoise) -------------------------------------------------
# With DEBUG off whitenoise serves STATIC_ROOT with hashed, compressed names once
# `collectstatic` has run. Before that (no manifest yet) the pages still render: the storage
# answers plain names and whitenoise serves them from the apps' folders, and the deploy check
# admin_ext.W001 says to run collectstatic.
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATIC_COLLECTED = (STATIC_ROOT / "staticfiles.json").exists()
WHITENOISE_USE_FINDERS = DEBUG or not STATIC_COLLECTED
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "internal.static.ManifestOrPlainStaticStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = BASE_DIR / "media"

# --- Security (HTTPS behind a proxy: every switch is an environment variable) -------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if env_bool("SECURE_COOKIES", False):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
# The TLS proxy in front says a request came over HTTPS with X-Forwarded-Proto: https. Only set
# this behind a proxy that overwrites that header (otherwise a client could claim HTTPS).
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Submitting the domain to the browsers' HSTS preload list is a decision for the whole domain,
# outside this app: the deploy check that asks for it is silenced, SECURE_HSTS_PRELOAD stays.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 8 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 20000

# --- django-q2 ----------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
Q_SYNC = env_bool("Q_SYNC", False)
Q_CLUSTER = {
    "name": os.environ.get("Q_CLUSTER_NAME", "post_mortem"),
    "workers": int(os.environ.get("Q_WORKERS", "2")),
    "timeout": int(os.environ.get("Q_TIMEOUT", "1800")),
    "retry": int(os.environ.get("Q_RETRY", "1860")),  # must exceed timeout
    "max_attempts": int(os.environ.get("Q_MAX_ATTEMPTS", "3")),
    # Tasks one cluster prefetches from the broker: small when several clusters share a queue, so
    # work spreads across them and a killed cluster strands few tasks.
    "queue_limit": int(os.environ.get("Q_QUEUE_LIMIT", "50")),
    "bulk": 10,
    "catch_up": False,
    "sync": Q_SYNC,
    "save_limit": 500,
    "label": "Background tasks",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["poll"] = float(os.environ.get("Q_POLL", "0.5"))

# --- Cache ------------------------------------------------------------------------------------
# With Redis (scaled-out layout) every web process shares one cache: the dashboard's whole-table
# aggregates and DRF's throttle counters. Without it, each process has its own memory cache.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ.get("CACHE_REDIS_URL", REDIS_URL),
            "KEY_PREFIX": "post_mortem",
        }
    }
DASHBOARD_CACHE_SECONDS = int(os.environ.get("DASHBOARD_CACHE_SECONDS", "60"))

# --- Claude -------------------------------------------------------------------------------
# The anthropic SDK reads ANTHROPIC_API_KEY / ANTHROPIC_BASE_URL itself; we only look at the
# key to decide the default engine.
ANTHROPIC_API_KEY = os.environ.get("ANTHROPIC_API_KEY", "")
# claude-sonnet-4-5 is on the SDK 2.14 deprecation list (anthropic/_data/deprecated_models.py).
POST_MORTEM_MODEL = os.environ.get("POST_MORTEM_MODEL", "claude-sonnet-5-5")
POST_MORTEM_ENGINE = os.environ.get("POST_MORTEM_ENGINE", "claude" if ANTHROPIC_API_KEY else "rules")
# Trade notes longer than this are cut before they are sent to Claude (the post-mortem says so).
CLAUDE_NOTES_MAX_CHARS = int(os.environ.get("CLAUDE_NOTES_MAX_CHARS", "2000"))
# Ask the desk: rounds of tool calls per question, the whole conversation's time limit, and the
# trade count under which a result is flagged "too few to conclude".
ASK_MAX_TOOL_ROUNDS = int(os.environ.get("ASK_MAX_TOOL_ROUNDS", "6"))
ASK_TIMEOUT_S = float(os.environ.get("ASK_TIMEOUT_S", "120"))
ASK_MAX_TOKENS = int(os.environ.get("ASK_MAX_TOKENS", "1500"))
ASK_MIN_SAMPLE = int(os.environ.get("ASK_MIN_SAMPLE", "30"))

# --- Imports ------------------------------------------------------------------------------
# Files with more data rows than this are imported by a background task from the admin.
IMPORT_ASYNC_THRESHOLD_ROWS = int(os.environ.get("IMPORT_ASYNC_THRESHOLD_ROWS", "2000"))
IMPORT_UPLOAD_DIR = Path(os.environ.get("IMPORT_UPLOAD_DIR", BASE_DIR / "media" / "imports"))
IMPORT_EXPORT_SKIP_ADMIN_LOG = True
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"

# --- REST ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "post_mortem.api.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["post_mortem.api.permissions.DeskModelPermissions"],
    "DEFAULT_PAGINATION_CLASS": "post_mortem.api.pagination.DeskPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_PARSER_CLASSES": ["post_mortem.api.parsers.BoundedJSONParser"],
    "EXCEPTION_HANDLER": "post_mortem.api.errors.api_exception_handler",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "post_mortem.api.ordering.StrictOrderingFilter",  # unknown ordering fields are a 400
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Every POST/PUT/PATCH/DELETE of the API is limited per user; reads are not.
    "DEFAULT_THROTTLE_CLASSES": ["post_mortem.api.throttling.WriteRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"writes": os.environ.get("API_WRITE_THROTTLE", "120/min")},
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# API tokens (django-rest-knox): only a SHA-512 digest is stored, each token expires. Created with
# `manage.py create_api_token USER [--days N]`, which prints the token once.
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=int(os.environ.get("API_TOKEN_DAYS", "90"))),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Trade Post-Mortem Analyzer API",
    "DESCRIPTION": "Trades, post-mortems, patterns, improvement plans and recommendation tracking.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI's assets are served from this site (drf-spectacular-sidecar): no CDN needed.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "post_mortem.api.schema.strict_request_bodies",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# --- Logging ------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- unfold -------------------------------------------------------------------------------


def _admin_link(model: str, action: str = "changelist"):
    return reverse_lazy(f"admin:post_mortem_{model}_{action}")


def _can_view(model: str):
    def check(request) -> bool:
        return request.user.has_perm(f"post_mortem.view_{model}")

    return check


def _nav(title: str, icon: str, model: str) -> dict:
    return {"title": _(title), "icon": icon, "link": _admin_link(model), "permission": _can_view(model)}


UNFOLD = {
    "SITE_TITLE": "Trade Post-Mortem",
    "SITE_HEADER": "Trade Post-Mortem Analyzer",
    "SITE_SYMBOL": "query_stats",
    # The admin is the site: no "Return to site" / "View site" link that only leads back here.
    "SITE_URL": None,
    "SITE_FAVICONS": [
        {"rel": "icon", "type": "image/svg+xml", "href": lambda request: static("admin_ext/favicon.svg")},
    ],
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": False,
    "DASHBOARD_CALLBACK": "admin_ext.dashboard.dashboard_callback",
    "ENVIRONMENT": "admin_ext.callbacks.environment_callback",
    "STYLES": [lambda request: static("admin_ext/admin.css")],
    "COLORS": {
        "primary": {
            "50": "oklch(97.7% .014 308.299)",
            "100": "oklch(94.6% .033 307.174)",
            "200": "oklch(90.2% .063 306.703)",
            "300": "oklch(82.7% .119 306.383)",
            "400": "oklch(71.4% .203 305.504)",
            "500": "oklch(62.7% .265 303.9)",
            "600": "oklch(55.8% .288 302.321)",
            "700": "oklch(49.6% .265 301.924)",
            "800": "oklch(43.8% .218 303.724)",
            "900": "oklch(38.1% .176 304.987)",
            "950": "oklch(29.1% .149 302.717)",
        },
    },
    "SIDEBAR": {
        "show_search": True,
        "show_all_applications": False,
        "navigation": [
            {
                "title": _("Overview"),
                "items": [
                    {"title": _("Dashboard"), "icon": "dashboard", "link": reverse_lazy("admin:index")},
                    {
                        "title": _("Prioritization"),
                        "icon": "leaderboard",
                        "link": reverse_lazy("admin:post_mortem_recommendation_prioritisation"),
                        "permission": _can_view("recommendation"),
                    },
                    {
                        "title": _("Ask"),
                        "icon": "forum",
                        "link": reverse_lazy("admin:post_mortem_question_ask"),
                        "permission": lambda request: request.user.has_perm("post_mortem.add_question"),
                    },
                ],
            },
            {
                "title": _("Trades"),
                "separator": True,
                "items": [
                    _nav("Trades", "candlestick_chart", "trade"),
                    _nav("Import batches", "upload_file", "importbatch"),
                    {
                        "title": _("Import broker file"),
                        "icon": "move_to_inbox",
                        "link": reverse_lazy("admin:post_mortem_importlayout_import_file"),
                        "permission": lambda request: request.user.has_perm("post_mortem.add_trade"),
                    },
                    _nav("Market bars", "bar_chart", "marketbar"),
                    _nav("Contract multipliers", "calculate", "contractmultiplier"),
                    _nav("Import layouts", "table_view", "importlayout"),
                ],
            },
            {
                "title": _("Analysis"),
                "separator": True,
                "items": [
                    _nav("Post-mortems", "troubleshoot", "tradeanalysis"),
                    _nav("Patterns", "insights", "analysispattern"),
                ],
            },
            {
                "title": _("Improvement"),
                "separator": True,
                "items": [
                    _nav("Improvement plans", "checklist", "improvementplan"),
                    _nav("Recommendations", "task_alt", "recommendation"),
                    _nav("Impact assessments", "trending_up", "impactassessment"),
                    _nav("Experiments", "science", "experiment"),
                ],
            },
            {
                "title": _("Audit"),
                "separator": True,
                "items": [
                    {
                        "title": _("Recommendation history"),
                        "icon": "history",
                        "link": reverse_lazy("admin:post_mortem_historicalrecommendation_changelist"),
                        "permission": _can_view("historicalrecommendation"),
                    },
                    _nav("Questions asked", "question_answer", "question"),
                    {
                        "title": _("Login attempts"),
                        "icon": "lock_person",
                        "link": reverse_lazy("admin:axes_accessattempt_changelist"),
                        "permission": lambda request: request.user.has_perm("axes.view_accessattempt"),
                    },
                    {
                        "title": _("Users"),
                        "icon": "person",
                        "link": reverse_lazy("admin:auth_user_changelist"),
                        "permission": lambda request: request.user.has_perm("auth.view_user"),
                    },
                    {
                        "title": _("Groups"),
                        "icon": "group",
                        "link": reverse_lazy("admin:auth_group_changelist"),
                        "permission": lambda request: request.user.has_perm("auth.view_group"),
                    },
                ],
            },
            {
                "title": _("System"),
                "separator": True,
                "items": [
                    _nav("Background runs", "sync", "jobrun"),
                    # The ORM broker's queue; with Redis as the broker there is no such page.
                    *(
                        []
                        if REDIS_URL
                        else [
                            {
                                "title": _("Queued tasks"),
                                "icon": "schedule",
                                "link": reverse_lazy("admin:django_q_ormq_changelist"),
                                "permission": lambda request: request.user.has_perm("django_q.view_ormq"),
                            }
                        ]
                    ),
                    {
                        "title": _("Successful tasks"),
                        "icon": "check_circle",
                        "link": reverse_lazy("admin:django_q_success_changelist"),
                        "permission": lambda request: request.user.has_perm("django_q.view_success"),
                    },
                    {
                        "title": _("Failed tasks"),
                        "icon": "error",
                        "link": reverse_lazy("admin:django_q_failure_changelist"),
                        "permission": lambda request: request.user.has_perm("django_q.view_failure"),
                    },
                    {
                        "title": _("Schedules"),
                        "icon": "event_repeat",
                        "link": reverse_lazy("admin:django_q_schedule_changelist"),
                        "permission": lambda request: request.user.has_perm("django_q.view_schedule"),
                    },
                ],
            },
        ],
    },
}
