"""Configuration classes. Every setting can be overridden from the environment."""
import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))


def _env_bool(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name, default):
    value = os.environ.get(name)
    return int(value) if value else default


DEVELOPMENT_SECRET_KEY = "dev-only-secret-change-me"


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'learning.sqlite'}"
    )
    # No pool_pre_ping: learning_app.fast_paths checks only connections that sat idle.
    SQLALCHEMY_ENGINE_OPTIONS = {}
    # 50 MiB by default: room for a roster; course uploads raise it per route.
    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 50 * 1024 * 1024)

    BABEL_DEFAULT_LOCALE = os.environ.get("BABEL_DEFAULT_LOCALE", "zh_Hans")
    BABEL_DEFAULT_TIMEZONE = os.environ.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai")
    LANGUAGES = {"zh_Hans": "简体中文", "en": "English"}

    PASSWORD_HASH_METHOD = "scrypt"

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    # Flask-Login's default, stated because a sign-in also ends on the server after this long
    # (learning_app.security.sign_in_lifetime).
    REMEMBER_COOKIE_DURATION = timedelta(days=365)
    WTF_CSRF_ENABLED = _env_bool("WTF_CSRF_ENABLED", True)
    WTF_CSRF_TIME_LIMIT = _env_int("WTF_CSRF_TIME_LIMIT", 8 * 3600)

    # Memory storage suits one process; several gunicorn workers must share
    # the counters, so production points this at Redis (redis://127.0.0.1:6379).
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    # Failed logins (README, "Login lockout"): a few per account from one address, many per address
    # (a village or a school shares one NAT address), and an account-wide ceiling above what one
    # address may try, so that an attacker elsewhere cannot lock the owner out.
    LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS = os.environ.get("LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS",
                                                            "5 per 15 minutes")
    LOGIN_FAILURES_PER_ADDRESS = os.environ.get("LOGIN_FAILURES_PER_ADDRESS", "100 per 15 minutes")
    LOGIN_FAILURES_PER_ACCOUNT = os.environ.get("LOGIN_FAILURES_PER_ACCOUNT", "50 per 15 minutes")
    # An unused one-time password (roster import, an admin's reset) stops working after this many days.
    ONE_TIME_PASSWORD_DAYS = _env_int("ONE_TIME_PASSWORD_DAYS", 14)
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are believed (nginx: 1).
    TRUSTED_PROXY_HOPS = _env_int("TRUSTED_PROXY_HOPS", 0)
    # Wrong check-in codes allowed per member and per session (courses.bases.services.check_in), counted
    # in the database so that every worker sees them. With 2 codes of 10^6 valid at a time, a member
    # guesses right with odds of at most 5 x 2/10^6 = 1 in 100,000, a whole session 100 x 2/10^6 = 1 in 5,000.
    CHECKIN_WRONG_CODES_PER_MEMBER = _env_int("CHECKIN_WRONG_CODES_PER_MEMBER", 5)
    CHECKIN_WRONG_CODES_PER_SESSION = _env_int("CHECKIN_WRONG_CODES_PER_SESSION", 100)

    # Members' rendered learning pages kept per process (courses.page_cache), about 9 KB each.
    LEARNING_PAGES_KEPT = _env_int("LEARNING_PAGES_KEPT", 2000)
    # Attempts whose questions autosave remembers per process (quizzes.services.attempts), for an exam's members.
    ANSWER_LAYOUTS_KEPT = _env_int("ANSWER_LAYOUTS_KEPT", 5000)

    # Yearly study hours (学时) by position level: 32 for members, 56 for secretaries and cadres.
    YEARLY_STUDY_HOURS = {
        "member": _env_int("YEARLY_HOURS_MEMBER", 32),
        "secretary": _env_int("YEARLY_HOURS_SECRETARY", 56),
        "cadre": _env_int("YEARLY_HOURS_CADRE", 56),
    }
    MEMBERS_PER_PAGE = _env_int("MEMBERS_PER_PAGE", 50)
    ROSTER_MAX_ROWS = _env_int("ROSTER_MAX_ROWS", 200_000)
    CREDENTIALS_DIR = os.environ.get("CREDENTIALS_DIR", str(INSTANCE_DIR / "credentials"))
    # Uploaded course material: outside static/, served only through permission checks.
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    # Per-kind upload limits in bytes (image, audio, video, pdf, office); unset kinds use the defaults.
    UPLOAD_LIMITS = {kind: int(os.environ[f"UPLOAD_LIMIT_{kind.upper()}"])
                     for kind in ("image", "audio", "video", "pdf", "office")
                     if os.environ.get(f"UPLOAD_LIMIT_{kind.upper()}")}
    HEARTBEAT_SECONDS = _env_int("HEARTBEAT_SECONDS", 10)

    # The background jobs' queue (learning_app.jobs): unset, a SQLite file under instance/ (one machine,
    # nothing to install); redis://host:port/db for several workers on several machines.
    JOBS_URL = os.environ.get("JOBS_URL", "")
    JOBS_IMMEDIATE = False  # run each job at once in the process that queues it (the tests)
    JOBS_WORKER_THREADS = _env_int("JOBS_WORKER_THREADS", 2)
    # A job still "running" after this long lost its worker (learning_app.jobs.queue.fail_stalled_jobs).
    JOBS_STALE_MINUTES = _env_int("JOBS_STALE_MINUTES", 120)
    # An Excel export of an action list longer than this is made by a job (openpyxl: about 10,000 rows a second).
    EXPORT_JOB_ROWS = _env_int("EXPORT_JOB_ROWS", 5000)
    # Channels beside the message centre (learning_app/messages/channels, README "Messages"); each is
    # on when its settings are given. Email: smtp://host:port, smtps://user:password@host:465, or
    # smtp://user:password@host:587?starttls=1.
    MAIL_URL = os.environ.get("MAIL_URL")
    MAIL_FROM = os.environ.get("MAIL_FROM", "noreply@localhost")
    # SMS: an HTTP gateway taking a JSON POST {phone, text, key}; with a secret, signed (X-Signature).
    SMS_WEBHOOK_URL = os.environ.get("SMS_WEBHOOK_URL")
    SMS_WEBHOOK_SECRET = os.environ.get("SMS_WEBHOOK_SECRET")
    # WeChat template messages from a 公众号 (both the app id and the secret turn the channel on).
    WECHAT_APP_ID = os.environ.get("WECHAT_APP_ID")
    WECHAT_APP_SECRET = os.environ.get("WECHAT_APP_SECRET")
    WECHAT_TEMPLATE_ID = os.environ.get("WECHAT_TEMPLATE_ID")
    WECHAT_API_BASE = os.environ.get("WECHAT_API_BASE", "https://api.weixin.qq.com")
    # The platform's public address (https://dangjian.example.cn): links in emails, SMS and WeChat.
    PUBLIC_URL = os.environ.get("PUBLIC_URL")
    # How long a delivery worker's claim on a batch lasts before another worker may send it again
    # (learning_app/messages/delivery.py): longer than one batch's sends can take.
    DELIVERY_CLAIM_SECONDS = max(_env_int("DELIVERY_CLAIM_SECONDS", 900), 1)


class DevelopmentConfig(Config):
    DEBUG = _env_bool("FLASK_DEBUG", False)


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    # Thousands of test accounts: a cheap hash keeps the suite fast; real configs keep scrypt.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    # Jobs run in the test's own process unless a test starts a real worker (tests/learning_app/test_jobs.py).
    JOBS_IMMEDIATE = True
    # The test environment's own channels never leak in: a test that wants one configures it.
    MAIL_URL = SMS_WEBHOOK_URL = WECHAT_APP_ID = WECHAT_APP_SECRET = None


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    PREFERRED_URL_SCHEME = "https"

    @classmethod
    def check(cls, config):
        secret = config.get("SECRET_KEY")
        if not secret or secret == DEVELOPMENT_SECRET_KEY:
            raise RuntimeError("SECRET_KEY must be set in the environment in production")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_class(name=None):
    return CONFIGS[name or os.environ.get("APP_CONFIG", "development")]
