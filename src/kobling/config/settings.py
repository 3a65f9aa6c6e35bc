"""Kobling settings: one module, driven by environment variables.

KOBLING_ENV selects the profile: ``development`` (default, what `make run` uses), ``test`` or
``production``. Production refuses to start without a real SECRET_KEY and ALLOWED_HOSTS, turns on
secure cookies and HSTS, and makes demo data impossible to load.
"""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from kobling.lib.env import env, env_bool, env_int, env_list

BASE_DIR = Path(__file__).resolve().parent.parent  # src/kobling
PROJECT_DIR = BASE_DIR.parent.parent  # repository root (or wherever the package is run from)
VAR_DIR = Path(env("KOBLING_VAR_DIR", str(PROJECT_DIR / "var")))

KOBLING_ENV = env("KOBLING_ENV", "development")
if KOBLING_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured(
        f"KOBLING_ENV must be development, test or production, not {KOBLING_ENV!r}"
    )
PRODUCTION = KOBLING_ENV == "production"

DEBUG = env_bool("DEBUG", default=not PRODUCTION and KOBLING_ENV == "development")
_DEV_SECRET = "dev-only-insecure-secret-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env("SECRET_KEY", _DEV_SECRET)
if PRODUCTION and (SECRET_KEY == _DEV_SECRET or len(SECRET_KEY) < 40):
    raise ImproperlyConfigured("Production needs SECRET_KEY set to a long random value.")
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Demo data and demo passwords can never be loaded into a production configuration.
DEMO_ALLOWED = not PRODUCTION

INSTALLED_APPS = [
    # django.contrib.admin, with a site for superusers only
    "kobling.tenancy.admin_site.KoblingAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "django_guid",
    "kobling.tenancy",
    "kobling.core",
    "kobling.helpers",
    "kobling.courses",
    "kobling.referrals",
    "kobling.matching",
    "kobling.followup",
    "kobling.groups",
    "kobling.outcomes",
    "kobling.providers",
    "kobling.grants",
    "kobling.rehab",
    "kobling.support",
    "kobling.workplace",
    "kobling.catalogue",
    "kobling.pay",
    "kobling.dashboards",
    "kobling.national",
    "kobling.pilots",
    "kobling.profiles",
    "kobling.quality",
    "kobling.research",
    "kobling.partners",
    "kobling.api",
    "kobling.fhir",
    "kobling.web",
]

MIDDLEWARE = [
    # Client address and scheme from the trusted reverse proxies, before anything reads them
    # (the HTTPS redirect, lock-out, audit).
    "kobling.web.middleware.TrustedProxyMiddleware",
    # The request id (X-Request-ID), then one access-log line per request inside it.
    "django_guid.middleware.guid_middleware",
    "kobling.web.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # First after static files, so it sees every response last (after DRF's authentication).
    "kobling.web.middleware.PrivateResponseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The idle sign-out slides forward at most once a minute, not on every request.
    "kobling.web.middleware.SessionTouchMiddleware",
    "kobling.web.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kobling.tenancy.middleware.AuditContextMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "kobling.tenancy.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kobling.config.urls"
WSGI_APPLICATION = "kobling.config.wsgi.application"

# Every form's plain widgets (inputs, selects and their options, radio buttons, text areas) are
# written in Python, byte for byte as Django's templates write them (kobling.core.form_renderer):
# a list's filter form or the phone's log form renders dozens of them on every request.
FORM_RENDERER = "kobling.core.form_renderer.PlainWidgetRenderer"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kobling.tenancy.context_processors.tenancy",
            ],
        },
    }
]

# --- Database: SQLite embedded by default, PostgreSQL in production, chosen by DATABASE_URL.
DATABASE_URL = env("DATABASE_URL", "")
if not DATABASE_URL:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASE_URL = f"sqlite:///{VAR_DIR / 'kobling.sqlite3'}"
# With persistent connections (DB_CONN_MAX_AGE seconds), a connection the server dropped
# (restart, failover, pg_terminate_backend) is checked at the start of the next request and
# replaced, so only a request running at that very moment fails (tests/test_many_processes.py).
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0), conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the worker share the file; a generous timeout waits out locks.
    # IMMEDIATE: a transaction takes the write lock when it begins, so it waits for it (up to
    # the timeout); a deferred one that read first and then wants to write after another writer
    # committed fails at once with "database is locked" (tests/test_sqlite_concurrency.py).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
        }
    )
    DATABASES["default"]["TEST"] = {"NAME": env("SQLITE_TEST_NAME", "") or None}
# `kobling backup` / `kobling restore`: the directory of pg_dump and pg_restore (they must be at
# least the server's version). Empty: PATH, then the newest /usr/lib/postgresql/*/bin.
KOBLING_PG_BIN_DIR = env("KOBLING_PG_BIN_DIR", "")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "tenancy.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "kobling.tenancy.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

# --- Login lock-out (django-axes): 5 failures per username+IP lock for 30 minutes.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "kobling.web.views.locked_out"
AXES_ENABLED = env_bool("AXES_ENABLED", True)
# Behind reverse proxies, how many of them to trust in X-Forwarded-For/-Proto: the client's
# address (lock-out, rate limits, audit) and whether the request came over HTTPS
# (kobling.web.middleware.TrustedProxyMiddleware). 0: the headers are ignored.
KOBLING_TRUSTED_PROXY_COUNT = env_int("KOBLING_TRUSTED_PROXY_COUNT", 0)
if KOBLING_TRUSTED_PROXY_COUNT:
    AXES_IPWARE_PROXY_COUNT = KOBLING_TRUSTED_PROXY_COUNT
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

# --- Sessions: expire after 30 minutes of inactivity, and at browser close.
# Django's database sessions, their row read with SQL compiled once (kobling.tenancy.sessions).
SESSION_ENGINE = "kobling.tenancy.sessions"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 30 * 60)
# Not saved on every request: kobling.web.middleware.SessionTouchMiddleware slides the expiry
# forward at most once every KOBLING_SESSION_TOUCH_SECONDS, so a read is not a write.
SESSION_SAVE_EVERY_REQUEST = False
KOBLING_SESSION_TOUCH_SECONDS = env_int("KOBLING_SESSION_TOUCH_SECONDS", 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # No SECURE_PROXY_SSL_HEADER: TrustedProxyMiddleware sets the scheme from X-Forwarded-Proto
    # only when KOBLING_TRUSTED_PROXY_COUNT trusts a proxy, so a client cannot claim HTTPS.
# Probes (the proxy's, a load balancer's, a container's) ask over plain HTTP and follow no
# redirect.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# --- Content-Security-Policy: only our own origin; no inline script or style.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- Two-factor: TOTP optional for staff, required for municipal admins.
OTP_TOTP_ISSUER = "Kobling"
# django-otp's own throttle (1, 2, 4 … s after every wrong code) is off: a typo must not refuse
# the correct code typed right after it. kobling.tenancy.two_factor throttles instead.
OTP_TOTP_THROTTLE_FACTOR = 0
KOBLING_REQUIRE_2FA_FOR_ADMINS = env_bool("KOBLING_REQUIRE_2FA_FOR_ADMINS", True)

# --- Internationalisation: Norwegian bokmål first, English available.
LANGUAGE_CODE = "nb"
LANGUAGES = [("nb", _("Norwegian bokmål")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Europe/Oslo"

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]  # Kobling's own and the vendored Designsystemet/htmx
# Outside production WhiteNoise serves straight from the source folders (no collectstatic needed
# for make run or the tests); production serves what collectstatic gathered.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
STATIC_ROOT = Path(env("STATIC_ROOT", str(PROJECT_DIR / "staticfiles")))
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "kobling.config.staticfiles.StaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# The private file store (receipts, grant attachments; kobling.core.uploads.private_files):
# MEDIA_ROOT on the local disk (or one shared file system mounted there on every machine), or
# with KOBLING_FILE_STORE=s3 a private bucket in an S3-compatible object store. Either way no
# file has a public URL; scoped views serve them (docs/deploy.md, "The file store").
KOBLING_FILE_STORE = env("KOBLING_FILE_STORE", "local")
if KOBLING_FILE_STORE not in ("local", "s3"):
    raise ImproperlyConfigured("KOBLING_FILE_STORE is 'local' or 's3'.")
if KOBLING_FILE_STORE == "s3":
    STORAGES["private"] = {
        "BACKEND": "kobling.core.object_store.PrivateS3Storage",
        "OPTIONS": {
            "bucket_name": env("KOBLING_S3_BUCKET", ""),
            "endpoint_url": env("KOBLING_S3_ENDPOINT_URL", "") or None,
            "region_name": env("KOBLING_S3_REGION", "") or None,
            "access_key": env("KOBLING_S3_ACCESS_KEY_ID", "") or None,
            "secret_key": env("KOBLING_S3_SECRET_ACCESS_KEY", "") or None,
        },
    }
    if not STORAGES["private"]["OPTIONS"]["bucket_name"]:
        raise ImproperlyConfigured("KOBLING_FILE_STORE=s3 needs KOBLING_S3_BUCKET.")
else:
    STORAGES["private"] = {"BACKEND": "kobling.core.uploads.PrivateStorage"}

# --- E-mail: Django's SMTP backend; development defaults to a local debugging server port.
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = env_int("EMAIL_PORT", 1025)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Kobling <ikke-svar@kobling.local>")
# Links in e-mails are absolute; this is the public address of the site.
KOBLING_BASE_URL = env("KOBLING_BASE_URL", "http://127.0.0.1:8000")

# --- Background work: django-tasks with the database backend (SQLite and PostgreSQL alike).
TASKS = {
    "default": {
        "BACKEND": env("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# Seconds between the periodic ticks (check-ins, reminders, lapses, ended pauses) that
# `kobling worker` enqueues.
KOBLING_TICK_SECONDS = env_int("KOBLING_TICK_SECONDS", 60)
# How long a worker's claim holds — on a periodic job it runs, an e-mail it sends, a task it
# took — before another worker may take the work over: the time after which a worker that died
# (kill -9, a lost machine) is given up on. Keep it well above EMAIL_TIMEOUT and the longest job.
KOBLING_LEASE_SECONDS = env_int("KOBLING_LEASE_SECONDS", 15 * 60)
# /readyz fails when no worker has run a tick (the heartbeat job) for this many seconds. A tick
# waits for the one before it, so a long job (a dashboard refresh) delays it: not under 5 min.
KOBLING_WORKER_MAX_SILENCE = env_int(
    "KOBLING_WORKER_MAX_SILENCE", max(300, 3 * KOBLING_TICK_SECONDS)
)

# --- The access-log review (docs/access-review.md): when "many persons in a short time" fires,
# what counts as night (local time), and how long after a course ended reads are expected (the
# follow-up questionnaires run to 12 months after the end, their links a month more).
KOBLING_REVIEW_BURST_PERSONS = env_int("KOBLING_REVIEW_BURST_PERSONS", 100)
KOBLING_REVIEW_BURST_MINUTES = env_int("KOBLING_REVIEW_BURST_MINUTES", 15)
KOBLING_REVIEW_NIGHT = env("KOBLING_REVIEW_NIGHT", "23:00-06:00")
KOBLING_REVIEW_GRACE_DAYS = env_int("KOBLING_REVIEW_GRACE_DAYS", 400)

# --- API
KOBLING_API_TOKEN_DAYS = env_int("KOBLING_API_TOKEN_DAYS", 30)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "kobling.core.authentication.ExpiringTokenAuthentication",
        "kobling.core.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "kobling.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "kobling.core.filters.FilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {"auth": env("API_AUTH_THROTTLE", "20/min")},
    "EXCEPTION_HANDLER": "kobling.api.exceptions.exception_handler",
    "DEFAULT_METADATA_CLASS": "kobling.api.metadata.Metadata",
    # ?format= is ours (export format), not DRF's renderer override.
    "URL_FORMAT_OVERRIDE": None,
}
SPECTACULAR_SETTINGS = {
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "kobling.api.schema.role_shapes_any_of",
        "kobling.api.schema.local_times",
    ],
    "TITLE": "Kobling API",
    "DESCRIPTION": "Kobling's REST API. Every list is scoped to the caller's municipalities and role.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "GET_LIB_DOC_EXCLUDES": "kobling.api.schema.doc_excludes",
    "COMPONENT_SPLIT_REQUEST": True,
    # One schema name per choice set (the same choices appear under several field names).
    "ENUM_NAME_OVERRIDES": {
        "HelperStatusEnum": "kobling.helpers.choices.HelperStatus",
        "CheckInStatusEnum": "kobling.helpers.choices.CheckInStatus",
        "CourseRunStatusEnum": "kobling.courses.choices.RunStatus",
        "EnrolmentStatusEnum": "kobling.courses.choices.EnrolmentStatus",
        "RoleEnum": "kobling.tenancy.choices.Role",
        "ProgrammeKindEnum": "kobling.tenancy.choices.ProgrammeKind",
        # A referral's decision and a grant decision both have an "outcome".
        "OutcomeEnum": "kobling.referrals.choices.DecisionOutcome",
        "GrantOutcomeEnum": "kobling.grants.choices.DecisionOutcome",
        # A provider's claim line and a coaching assignment both have a "decision".
        "DecisionEnum": "kobling.providers.choices.LineDecision",
        "CoachingDecisionEnum": "kobling.workplace.choices.Decision",
        "RatingEnum": "kobling.workplace.choices.Rating",
    },
}

# "default" is each process's own memory; "shared" (kobling.core.shared_cache) is in the
# database, for the counters every web process must share: the public forms' rate limit and the
# API's token-endpoint throttle. Its table is made by `migrate` (and by the test runner).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "shared": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "kobling_shared_cache",
        # Culling at Django's default 300 entries would forget counters under a many-address
        # attack; expired rows go at the next write past the cap.
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    },
}

# --- Request ids (django-guid): a proxy's X-Request-ID is kept when it is a UUID (nginx's
# $request_id is one), else a new one is made; it is sent back in the response and stamped on
# every log line of the request (kobling.core.logs.RequestIdFilter) and on the 500 page.
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": True,
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": False,
    "UUID_FORMAT": "hex",
}

# --- Logs: one line per event on stderr, as text or (KOBLING_LOG_FORMAT=json) one JSON object
# per line. Never personal data: the access log names the URL pattern, not the path (signed-link
# tokens are in paths) nor the query; kobling.core.logs.RedactFilter keeps the request out of
# Django's own records and masks national-id-shaped numbers.
KOBLING_LOG_FORMAT = env("KOBLING_LOG_FORMAT", "text")
if KOBLING_LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(
        f"KOBLING_LOG_FORMAT must be text or json, not {KOBLING_LOG_FORMAT!r}"
    )
LOG_LEVEL = env("LOG_LEVEL", "INFO" if DEBUG else "WARNING")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "kobling.core.logs.RequestIdFilter"},
        "redact": {"()": "kobling.core.logs.RedactFilter"},
    },
    "formatters": {
        "text": {
            "()": "kobling.core.logs.TextFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        },
        "json": {"()": "kobling.core.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": KOBLING_LOG_FORMAT,
            "filters": ["request_id", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's default configuration gives "django" handlers of its own (unfiltered, and
        # mail to ADMINS); here it logs through the root handler like everything else.
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        "axes": {"level": "WARNING"},
        # Its own chatter (an id found or made for every request) is not worth a line.
        "django_guid": {"level": "ERROR"},
        # The access log (kobling.web.middleware.RequestLogMiddleware): on in production.
        "kobling.access": {"level": env("ACCESS_LOG_LEVEL", "INFO" if PRODUCTION else "WARNING")},
    },
}
