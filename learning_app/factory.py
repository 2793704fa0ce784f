"""The application factory: it wires configuration, extensions and blueprints, nothing more."""
from pathlib import Path

from flask import Flask

from config import INSTANCE_DIR, ProductionConfig, config_class

ROOT = Path(__file__).resolve().parent.parent


def create_app(config=None, **overrides):
    app = Flask(__name__, static_folder=str(ROOT / "static"), static_url_path="/static",
                instance_path=str(INSTANCE_DIR))
    cls = config_class(config)
    app.config.from_object(cls)
    app.config.update(overrides)
    if cls is ProductionConfig:
        ProductionConfig.check(app.config)

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if app.config["TRUSTED_PROXY_HOPS"]:
        # The client's address and scheme as the proxies report them (login lockout, audit log, https).
        from werkzeug.middleware.proxy_fix import ProxyFix
        hops = int(app.config["TRUSTED_PROXY_HOPS"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    from . import database, extensions, fast_paths, i18n, input_guard, security, static_files
    input_guard.init_app(app)
    database.init_app(app)
    fast_paths.init_app(app)
    extensions.db.init_app(app)
    extensions.migrate.init_app(app, extensions.db, directory=str(ROOT / "migrations"))
    extensions.csrf.init_app(app)
    extensions.babel.init_app(app, locale_selector=i18n.select_locale,
                              default_translation_directories=str(Path(__file__).parent / "translations"))
    i18n.init_app(app)
    app.config["RATELIMIT_ENABLED"] = app.config.get("RATELIMIT_ENABLED", True)
    extensions.limiter.init_app(app)
    security.init_app(app)
    static_files.init_app(app)
    from . import jobs
    jobs.init_app(app)

    from analytics.views import bp as analytics_bp
    from courses.bases.views import bp as bases_bp
    from courses.views import bp as courses_bp
    from quizzes.views import bp as quizzes_bp

    from .audit.views import bp as audit_bp
    from .auth.views import bp as auth_bp
    from .jobs.views import bp as jobs_bp
    from .main.views import bp as main_bp
    from .messages.views import bp as messages_bp
    from .orgs.views import bp as orgs_bp
    from .people.views import bp as people_bp
    for blueprint in (main_bp, auth_bp, orgs_bp, people_bp, audit_bp, jobs_bp, messages_bp, courses_bp, bases_bp,
                      quizzes_bp, analytics_bp):
        app.register_blueprint(blueprint)
    # What keeps derived data in step with every write: one change tracker and its watchers, in the order
    # they act before a commit (learning_app/change_tracker.py says how, and what must hold).
    from analytics import counts
    from courses import page_cache

    from . import change_tracker
    from .messages import tasks as message_tasks  # noqa: F401  (registers the worker's periodic sends and reminders)
    change_tracker.init_app(app, page_cache.WATCHER, counts.WATCHER)
    page_cache.init_app(app)
    counts.init_app(app)

    from . import cli, errors, templating
    from .jobs import cli as jobs_cli
    errors.init_app(app)
    templating.init_app(app)
    cli.init_app(app)
    jobs_cli.init_app(app)
    return app
