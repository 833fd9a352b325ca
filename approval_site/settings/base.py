"""Signoff settings: everything is configured here, from the environment.

There is no production module: production sets environment variables (see README,
"Configuration reference"). The embedded defaults (SQLite, a filesystem Celery broker)
need no server at all.
"""

from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab

from approval_site.env import BASE_DIR, env
from approval_site.logging import structured_logging

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env(
    "DJANGO_SECRET_KEY",
    default="django-insecure-signoff-development-key-change-me-in-production",
)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

VAR_DIR = Path(env("SIGNOFF_VAR_DIR", default=str(BASE_DIR / "var")))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from local static files
    "oauth2_provider",
    "axes",
    "django_htmx",
    "django_structlog",
    "core",
    "orgunits",
    "workflows",
    "documents",
    "erp_sync",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django_structlog.middlewares.RequestMiddleware",
    # Axes must be last: it inspects the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "approval_site.urls"
WSGI_APPLICATION = "approval_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": env.db(
        "DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'signoff.sqlite3'}"
    ),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Services own their transactions (short locks, explicit on_commit timing).
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process and the worker read while the other writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AXES_FAILURE_LIMIT = env.int("SIGNOFF_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("nb", "Norsk bokmål")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("DJANGO_TIME_ZONE", default="Europe/Oslo")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
MEDIA_ROOT = Path(env("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "media/"

# --- Security (production values come from the environment) ---------------------------
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("DJANGO_CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env.int(
    "DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool(
    "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG
)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# /healthz and /readyz are probed over plain HTTP by load balancers.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# --- E-mail ---------------------------------------------------------------------------
EMAIL_BACKEND = env(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = env("DJANGO_EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("DJANGO_EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("DJANGO_EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("DJANGO_EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("DJANGO_EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("DJANGO_EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("DJANGO_EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env(
    "DJANGO_DEFAULT_FROM_EMAIL", default="Signoff <signoff@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery ---------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_DIR = Path(env("SIGNOFF_BROKER_DIR", default=str(VAR_DIR / "broker")))
if CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's filesystem transport: a real worker process, no broker server.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "store_processed": False,
        # Poll often: the embedded broker is for `make run`, where latency shows.
        "polling_interval": 0.2,
        # Broadcast/control messages (worker pings, shutdown); kept out of the cwd.
        "control_folder": str(CELERY_BROKER_DIR / "control"),
    }
else:
    # Redis redelivers an unacknowledged task after this long; no code may schedule a
    # countdown longer than half of it (backoff lives in the database instead).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        # A reset or silently dropped connection must surface as an error the consumer
        # reconnects from, not a read that blocks forever (celery/celery#10205,
        # celery/kombu#2590; tests/resilience scenario 24, the partition).
        "socket_timeout": 15,
        "socket_connect_timeout": 5,
        "socket_keepalive": True,
        "retry_on_timeout": True,
        "health_check_interval": 10,
    }
# Keep trying to reach the broker for as long as it is gone (default: give up after 100).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("SIGNOFF_TASK_SOFT_TIME_LIMIT", default=60)
CELERY_TASK_TIME_LIMIT = env.int("SIGNOFF_TASK_TIME_LIMIT", default=90)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
# Periodic tasks (https://crontab.guru/ for the crontab expressions).
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Re-derives stranded work (lost broker messages) from the database.
    # https://crontab.guru/#*_*_*_*_*
    "documents-reconcile": {
        "task": "documents.reconcile_documents",
        "schedule": crontab(minute="*"),
    },
    # Nightly retry of blocked documents whose setup has been fixed.
    # https://crontab.guru/#30_2_*_*_*
    "documents-retry-blocked": {
        "task": "documents.retry_blocked_documents",
        "schedule": crontab(minute=30, hour=2),
    },
    # Nightly sweep for running processes without an active step (never expected).
    # https://crontab.guru/#45_2_*_*_*
    "documents-advance-stranded": {
        "task": "documents.advance_stranded_processes",
        "schedule": crontab(minute=45, hour=2),
    },
    # Relays due outbox events to the ERP callbacks (every 10 s; finer than cron).
    "erp-sync-relay-outbox": {
        "task": "erp_sync.relay_outbox",
        "schedule": timedelta(seconds=10),
    },
    # Forgets idempotency keys past SIGNOFF_IDEMPOTENCY_KEY_HOURS.
    # https://crontab.guru/#17_*_*_*_*
    "erp-sync-purge-idempotency-keys": {
        "task": "erp_sync.purge_idempotency_keys",
        "schedule": crontab(minute=17),
    },
}
# E-mail notifications (documents.notifications), in CELERY_TIMEZONE. The daily reminder
# of soon-overdue and overdue tasks, at this hour. https://crontab.guru/#0_6_*_*_*
SIGNOFF_EMAIL_REMINDER_HOUR = env.int("SIGNOFF_EMAIL_REMINDER_HOUR", default=6)
# The overview of open tasks: crontab day(s) of week ("mon"; "*" = every day) and hour.
# https://crontab.guru/#0_7_*_*_mon
SIGNOFF_EMAIL_OVERVIEW_DAYS = env("SIGNOFF_EMAIL_OVERVIEW_DAYS", default="mon")
SIGNOFF_EMAIL_OVERVIEW_HOUR = env.int("SIGNOFF_EMAIL_OVERVIEW_HOUR", default=7)
CELERY_BEAT_SCHEDULE.update(
    {
        "documents-email-daily-reminder": {
            "task": "documents.send_daily_reminders",
            "schedule": crontab(minute=0, hour=SIGNOFF_EMAIL_REMINDER_HOUR),
        },
        "documents-email-overview": {
            "task": "documents.send_overviews",
            "schedule": crontab(
                minute=0,
                hour=SIGNOFF_EMAIL_OVERVIEW_HOUR,
                day_of_week=SIGNOFF_EMAIL_OVERVIEW_DAYS,
            ),
        },
        # Blocked documents and tasks, batched per administrator; each block once.
        # https://crontab.guru/#*/15_*_*_*_*
        "documents-email-admin-notices": {
            "task": "documents.send_admin_notices",
            "schedule": crontab(minute="*/15"),
        },
    }
)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
_ = crontab  # used by the schedules other apps add below

# --- REST framework -------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # In-app JSON endpoints use the login session. The ERP endpoints set their own
    # (erp_sync.api.base.ErpApiView: ERP-client bearer tokens only, never a session).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # Every 4xx/5xx of the API is an RFC 9457 problem (application/problem+json).
    "EXCEPTION_HANDLER": "erp_sync.api.errors.problem_exception_handler",
}
# Request body limits (README, ERP_API.md "Errors"): a JSON body over 5 MB is refused
# with 413 (erp_sync.api.parsers enforces it for JSON, Django for forms). Uploaded files
# are not counted here; attachments have their own limit.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
# erp_sync.ErpClient points at DOT's (swappable) Application; Django's migration
# autodetector resolves that through this setting, so it must exist.
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
SPECTACULAR_SETTINGS = {
    "TITLE": "Signoff ERP API",
    "DESCRIPTION": (
        "Document approval for ERPs: master-data sync, documents in, outcomes out.\n\n"
        "**Authentication.** OAuth2 client credentials: `POST /api/v1/oauth/token` "
        "(form-encoded `grant_type=client_credentials`, `client_id`, `client_secret`, "
        "or HTTP Basic) returns a bearer token that expires; send it as "
        "`Authorization: Bearer <token>`. A client acts only on its own company.\n\n"
        "**Errors.** Every 4xx/5xx is `application/problem+json` (RFC 9457) with `type`, "
        "`title`, `status`, `detail` and a machine-readable `code`; validation errors "
        "list each bad value in `errors` with its JSON path (`[3].departmentId`).\n\n"
        "**Limits.** JSON bodies up to 5 MB (413 above), nested at most 32 levels, at "
        "most 1000 members per object; numbers with a fraction are read as exact "
        "decimals; NaN and Infinity are refused."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    # The published schema is the ERP API only, not the in-app JSON endpoints.
    "PREPROCESSING_HOOKS": ["erp_sync.api.schema.only_erp_api"],
    # The docs page loads Swagger UI from this project's static files, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "TAGS": [
        {"name": "Authentication", "description": "OAuth2 client credentials."},
        {"name": "Master data", "description": "Idempotent bulk upserts from the ERP."},
    ],
}

# --- Logging: one structured line per event, with the request id ----------------------
LOG_LEVEL = env("DJANGO_LOG_LEVEL", default="INFO")
LOG_FORMAT = env("SIGNOFF_LOG_FORMAT", default="json")  # json | console
LOGGING = structured_logging(level=LOG_LEVEL, json=LOG_FORMAT == "json")
DJANGO_STRUCTLOG_CELERY_ENABLED = True
# Behind a proxy that sets X-Request-ID, keep its id so lines correlate across tiers.
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = env.bool(
    "SIGNOFF_TRUST_UPSTREAM_REQUEST_ID", default=False
)

# --- Signoff --------------------------------------------------------------------------
SIGNOFF_DEMO_MODE = env.bool("SIGNOFF_DEMO_MODE", default=False)
# The public address of this site: e-mails are read outside any request, so their links
# are built on it (scheme, host and any path prefix; no trailing slash needed).
SIGNOFF_BASE_URL = env("SIGNOFF_BASE_URL", default="http://127.0.0.1:8000")
# Where the demo ERP (demo mode only) reaches this server's API, and where its
# callback receiver is: `make run` serves on 127.0.0.1:8000.
SIGNOFF_DEMO_ERP_BASE_URL = env(
    "SIGNOFF_DEMO_ERP_BASE_URL", default="http://127.0.0.1:8000"
)
# Largest attachment an approver may add (PDF/PNG/JPEG), in bytes. Uploaded files are
# not counted by DATA_UPLOAD_MAX_MEMORY_SIZE; documents.services.attachments enforces it.
SIGNOFF_ATTACHMENT_MAX_BYTES = env.int(
    "SIGNOFF_ATTACHMENT_MAX_BYTES", default=20 * 1024 * 1024
)
# How long a document POST's Idempotency-Key is remembered (hours); after that the same
# key is a new request, and the natural key (one open process per document) still holds.
SIGNOFF_IDEMPOTENCY_KEY_HOURS = env.float("SIGNOFF_IDEMPOTENCY_KEY_HOURS", default=24)
# How long the outbox relay retries an event before marking it dead (hours, from its
# first attempt); `check --deploy` warns below 24 (ERP_API.md "Outcome push").
SIGNOFF_PUSH_RETRY_HOURS = env.float("SIGNOFF_PUSH_RETRY_HOURS", default=24)
# Unset = the relay's built-in values (erp_sync.services.relay): a claim's lease (60 s,
# longer than one delivery can take), the first backoff step (10 s) and its cap (1 h).
# The resilience suite sets them to compress an hour of ERP outage into seconds.
SIGNOFF_PUSH_LEASE_SECONDS = env.float("SIGNOFF_PUSH_LEASE_SECONDS", default=None)
SIGNOFF_PUSH_BACKOFF_BASE_SECONDS = env.float(
    "SIGNOFF_PUSH_BACKOFF_BASE_SECONDS", default=None
)
SIGNOFF_PUSH_BACKOFF_CAP_SECONDS = env.float(
    "SIGNOFF_PUSH_BACKOFF_CAP_SECONDS", default=None
)
# How old unrouted or unadvanced work must be before the reconciler takes it over
# (unset = 60 s, leaving the normal on-commit path time to do its job).
SIGNOFF_RECONCILE_GRACE_SECONDS = env.float(
    "SIGNOFF_RECONCILE_GRACE_SECONDS", default=None
)

# --- OAuth2 for ERP clients (client credentials only; RFC 9700 hardening on) ---------
OAUTH2_PROVIDER = {
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int("SIGNOFF_ERP_TOKEN_SECONDS", default=3600),
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
}
