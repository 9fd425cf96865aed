"""Settings shared by every environment, read from the environment or a `.env` file.

Only `DATABASE_URL`, `REDIS_URL`, `SECRET_KEY`, `DEBUG`, `ALLOWED_HOSTS` and `TIME_ZONE`
are meant to change between installations; everything else is the product's behaviour.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ
from corsheaders.defaults import default_headers as cors_default_headers

from routing.durations import parse_duration
from routing.import_sla import import_sla_setting

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(str(BASE_DIR / ".env"))

# Runtime state of a development install: SQLite file, embedded broker, generated keys.
VAR_DIR = Path(env("VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_TZ = True
USE_I18N = True
LANGUAGE_CODE = "en-us"

if not env.str("DATABASE_URL", default=""):
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # SQLite creates the file, not its folder
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'leadrouter.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent writers (web, worker, beat) wait for SQLite's write lock instead of
    # failing with "database is locked": WAL lets readers go on while one writes, and
    # IMMEDIATE takes the write lock at BEGIN, so a transaction never has to upgrade a
    # read lock it cannot get.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    # A kept connection can die under a process (PostgreSQL restarted, a failover, an idle
    # timeout): test it before a request reuses it, so the request reconnects instead of
    # failing with a 500.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # The statements run for every lead are prepared and planned once per connection
    # (routing/db/prepared.py; the ORM's own statements bind on the client and are
    # never prepared, so neither setting touches them). A pooler in transaction mode
    # that cannot keep prepared statements: set DATABASE_PREPARED_STATEMENTS=false.
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options.setdefault("prepare_threshold", 5)
        options["options"] = f"{options.get('options', '')} -c plan_cache_mode=force_generic_plan"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "corsheaders",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_api_key",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "adminsortable2",
    "reps",
    "territories",
    "routing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything that can answer (WhiteNoise, CommonMiddleware): a preflight is
    # answered here.
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires: turns a locked sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
        },
    },
]

AUTH_USER_MODEL = "reps.User"
# django-axes first: it refuses a locked sign-in before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "queue:login"
LOGIN_REDIRECT_URL = "queue:home"
# Invites (reps.invites) are Django's password-reset links: a rep chooses a password
# within this time (and once; setting it voids the link). Read as seconds by Django.
PASSWORD_RESET_TIMEOUT = int(
    parse_duration(env("INVITE_LINK_MAX_AGE", default="3d")).total_seconds()
)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

STATIC_URL = "/static/"
# Where `collectstatic` gathers the static files that WhiteNoise serves in production.
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
# Uploaded files (lead imports). Web and worker processes must share this directory
# (or set a shared storage backend in STORAGES).
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "config.redis_cache.RedisCache",
            "LOCATION": REDIS_URL,
            # A Redis that is down or unreachable must cost a request a second, not hang it.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Sign-in lockouts (reps.lockouts): LOGIN_FAILURE_LIMIT wrong passwords for one account
# from one address, each within LOGIN_LOCKOUT of the one before, lock that pair for
# LOGIN_LOCKOUT; failures while locked do not extend it; a good password clears the count.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = parse_duration(env("LOGIN_LOCKOUT", default="15m"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_USERNAME_FORM_FIELD = "username"  # what both login forms post (the e-mail)
AXES_USERNAME_CALLABLE = "reps.lockouts.login_name"
AXES_CLIENT_IP_CALLABLE = "reps.lockouts.client_address"
AXES_LOCKOUT_CALLABLE = "reps.lockouts.lockout_response"
# Managers see and unlock failed sign-ins under Reps and pools; axes' own admin and its
# log of every successful sign-in are not used.
AXES_ENABLE_ADMIN = False
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False  # no start-up banner in every command's output

# Intake API limits. The body limit is the API's own (checked before the body is read),
# not DATA_UPLOAD_MAX_MEMORY_SIZE, which would also cap every admin form.
INTAKE_RATE = env("INTAKE_RATE", default="600/min")  # per intake key
INTAKE_MAX_BODY_BYTES = env.int("INTAKE_MAX_BODY_BYTES", default=64 * 1024)

# Public intake keys (in web pages): requests per client address and key, on top of the
# key's own rate, since anyone can read the key.
INTAKE_RATE_PER_IP = env("INTAKE_RATE_PER_IP", default="20/min")

# CORS: only intake, only for the origins public intake keys list (routing.api.cors).
CORS_URLS_REGEX = r"^/api/v1/leads/$"
CORS_ALLOW_METHODS = ("OPTIONS", "POST")
CORS_ALLOW_HEADERS = (*cors_default_headers, "idempotency-key")
CORS_EXPOSE_HEADERS = ("Retry-After", "Idempotent-Replayed")

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Intake keys or a signed-in session, never a password in a header: DRF's default
    # Basic authentication would let anyone try passwords on any API page.
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_RENDERER_CLASSES": ["routing.api.rendering.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_THROTTLE_RATES": {"intake": INTAKE_RATE, "intake_address": INTAKE_RATE_PER_IP},
    "EXCEPTION_HANDLER": "routing.api.exceptions.exception_handler",
    "NUM_PROXIES": env.int("TRUSTED_PROXY_COUNT", default=0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Lead Router API",
    "DESCRIPTION": "Intake, routing decisions and lead life cycle.",
    "VERSION": "1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The schema's own address is not part of the API a client programs against.
    "SERVE_INCLUDE_SCHEMA": False,
    # Several serializers have a `status` or `kind`; name each choice set once.
    "ENUM_NAME_OVERRIDES": {
        "LeadStatusEnum": "routing.models.Lead.Status",
        "SimulationStatusEnum": [("simulated", "Simulated")],
    },
}

# Celery: Redis when REDIS_URL is set; otherwise kombu's file-system transport under
# var/, an embedded broker that needs nothing installed (development only).
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    CELERY_BROKER_URL = "filesystem://localhost/"
    # kombu's file-system transport, each message written whole before it is visible.
    CELERY_BROKER_TRANSPORT = "config.embedded_broker:Transport"
    _BROKER_DIR = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "polling_interval": 0.2,
        "data_folder_in": str(_BROKER_DIR / "queue"),
        "data_folder_out": str(_BROKER_DIR / "queue"),
        "control_folder": str(_BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# A broker that is down must cost intake little: the outbox sweep sends later.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
ESCALATION_SWEEP_SECONDS = env.float("ESCALATION_SWEEP_SECONDS", default=1.0)
CELERY_BEAT_SCHEDULE = {
    "purge-idempotency-records": {
        "task": "routing.tasks.purge_idempotency_records",
        "schedule": timedelta(hours=1),
    },
    # The guarantee behind every SLA: expire and escalate what is overdue.
    "escalate-overdue": {
        "task": "routing.tasks.escalate_overdue",
        "schedule": timedelta(seconds=ESCALATION_SWEEP_SECONDS),
    },
    # Reminders before the deadline, on the same beat as the deadlines themselves.
    "remind-due": {
        "task": "routing.tasks.remind_due",
        "schedule": timedelta(seconds=ESCALATION_SWEEP_SECONDS),
    },
    "refresh-performance-weights": {
        "task": "routing.tasks.refresh_performance_weights",
        "schedule": timedelta(minutes=10),
    },
    # The guarantee behind every notification: send what is pending and due.
    "send-due-notifications": {
        "task": "routing.tasks.send_due_notifications",
        "schedule": timedelta(seconds=5),
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TIMEZONE = TIME_ZONE

# Outgoing HTTP (Slack, webhooks) goes to public addresses only, and to these networks
# (comma-separated CIDRs, e.g. 10.20.0.0/16); cloud metadata addresses never. A system
# check refuses a malformed entry (outgoing.addresses).
OUTBOUND_ALLOWED_NETWORKS = env.list("OUTBOUND_ALLOWED_NETWORKS", default=[])
LOCAL_NETWORKS = ["127.0.0.0/8", "::1/128"]  # the default of development and tests

# Product behaviour
LEADROUTER = {
    "DEFAULT_ACK_SLA": timedelta(minutes=15),
    "DEFAULT_DUPLICATE_WINDOW": timedelta(days=90),
    "DEFAULT_MAX_ESCALATIONS": 2,
    # Where people reach this app: the base of the links in notifications.
    "SITE_URL": env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/"),
    # One-click acknowledgment links stop working after this (and when the lead moves on).
    "ACK_LINK_MAX_AGE": timedelta(days=7),
    # Outgoing HTTP (Slack, webhooks): seconds to connect, and for the whole request.
    "HTTP_TIMEOUT": {"connect": 3.0, "total": env.float("HTTP_TIMEOUT_SECONDS", default=10.0)},
    # A worker sending a notification holds it this long; if it dies meanwhile, the sweep
    # sends it after that. Must be longer than any one send (the HTTP timeout above).
    "NOTIFICATION_CLAIM": timedelta(seconds=env.int("NOTIFICATION_CLAIM_SECONDS", default=120)),
    # Messages a worker process has in flight at once (threads sending over kept
    # connections); rows are claimed from the outbox as threads come free.
    "DELIVERY_THREADS": env.int("DELIVERY_THREADS", default=16),
    # Imported lists: "digest" tells each rep once, when the import ends, of the leads it
    # gave them; "each" sends one message per lead as a form submission does. AI agents
    # always get each lead (they act on every one). An import can choose otherwise.
    "IMPORT_NOTIFY": env("IMPORT_NOTIFY", default="digest"),
    # The acknowledgment SLA of an imported list's leads, unless the import chooses:
    # "rule" (each rule's, as for a form), "none" (no deadline, never escalated) or a
    # duration, counted in each owner's working hours unless IMPORT_SLA_WORKING_HOURS is
    # off. A list is worked over a day, not in the minutes a form asks for: 8h of working
    # time is the next working day for a 9-17 rep (README, "Importing an event list").
    "IMPORT_SLA": import_sla_setting(env("IMPORT_SLA", default="8h")),
    "IMPORT_SLA_WORKING_HOURS": env.bool("IMPORT_SLA_WORKING_HOURS", default=True),
    # A lead submitted again tells its owner at most once in this time; the timeline
    # keeps every submission.
    "RETURN_NOTIFY_COOLDOWN": parse_duration(env("RETURN_NOTIFY_COOLDOWN", default="30m")),
    # Escalations: each manager's address and each channel of a rep hears of the first
    # after a quiet spell at once, and of the rest in one digest per this much time.
    "ESCALATION_DIGEST": timedelta(seconds=env.int("ESCALATION_DIGEST_SECONDS", default=300)),
    # On PostgreSQL, a transaction that writes outbox rows wakes the workers through
    # the database (NOTIFY, heard by a listener in every worker) instead of through the
    # cache and broker after commit (routing.notifications.outbox). Off: the latter.
    "OUTBOX_NOTIFY": env.bool("OUTBOX_NOTIFY", default=True),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # httpx logs every request at INFO; the outbox rows already record each send.
    # django-axes: failures and lockouts are warnings; its INFO lines narrate each step.
    "loggers": {"httpx": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
