"""Brique: the application factory."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from importlib import import_module
from pathlib import Path
from typing import Any

from flask import Flask, Request, g, request
from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from tracker import config as config_module
from tracker import logs
from tracker.db import INTEGER_MAX, Database, _immediate, _reads_first, count_queries
from tracker.db import db as database  # not `db`: that would shadow the tracker.db module

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("fr", "en")


class CleanParameters(ImmutableMultiDict[str, Any]):
    """Query and form values without NUL characters, which PostgreSQL refuses in text (a user
    could otherwise turn any text field into a 500)."""

    def __init__(self, mapping: Any = None) -> None:
        if mapping is not None and not isinstance(mapping, dict | MultiDict):
            mapping = [
                (key, value.replace("\x00", "") if isinstance(value, str) else value)
                for key, value in mapping
            ]
        super().__init__(mapping)


def without_nul(value: Any) -> Any:
    """A JSON value with NUL characters dropped from every string, keys included."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [without_nul(item) for item in value]
    if isinstance(value, dict):
        return {without_nul(key): without_nul(item) for key, item in value.items()}
    return value


class BriqueRequest(Request):
    """What a request carries, without NUL characters: query and form values (CleanParameters),
    JSON bodies (get_json) and header values (a User-Agent is stored with the session)."""

    parameter_storage_class = CleanParameters

    def __init__(self, environ: Any, *args: Any, **kwargs: Any) -> None:
        for key, value in list(environ.items()):
            if key.startswith("HTTP_") and isinstance(value, str) and "\x00" in value:
                environ[key] = value.replace("\x00", "")
        super().__init__(environ, *args, **kwargs)

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        return without_nul(super().get_json(force=force, silent=silent, cache=cache))


class BoundedIntegerConverter(IntegerConverter):
    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", INTEGER_MAX)
        super().__init__(map, *args, **kwargs)


babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=os.environ.get("TRACKER_INSTANCE_PATH") or str(ROOT / "instance"),
    )
    app.request_class = BriqueRequest
    _configure(app, config or {})
    logging.basicConfig(level=app.config["LOG_LEVEL"])
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logs.install(app.logger)

    # Every model mapped before the first query: models name other domains' models by string.
    import tracker.models  # noqa: F401

    Database(app)
    from tracker.ops import metrics as ops_metrics
    from tracker.ops import requests as request_log

    request_log.init_app(app)  # first: its timing covers every other hook
    ops_metrics.watch_pool(app.extensions["database"].engine)
    if app.config["CHEAP_PASSWORD_HASHING"]:
        from tracker.auth.passwords import use_cheap_hashing

        use_cheap_hashing()
    csrf.init_app(app)
    _init_babel(app)
    _init_login(app)
    from tracker.auth import sso

    sso.init_app(app)

    from tracker import errors_web, security

    security.init_app(app)
    errors_web.init_app(app)
    # Every <int:...> in a URL fits a database integer: a huge number is a 404, not an
    # overflow inside the driver.
    app.url_map.converters["int"] = BoundedIntegerConverter
    _register_blueprints(app)
    from tracker.api.routing import init_api

    init_api(app)
    _register_link_issuers()
    _init_request_hooks(app)

    from tracker import commands, templating

    templating.init_app(app)
    commands.init_app(app)
    if app.config["PROXY_FIX"]:
        n = int(app.config["PROXY_FIX"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    return app


def _configure(app: Flask, overrides: Mapping[str, Any]) -> None:
    app.config.update(config_module.DEFAULTS)
    app.config.update(config_module.from_environment(os.environ))
    app.config.update(overrides)
    instance = Path(app.instance_path)
    if not app.config["DATABASE_URL"]:
        instance.mkdir(parents=True, exist_ok=True)
        app.config["DATABASE_URL"] = config_module.sqlite_url(instance)
    config_module.require_secret_key(str(app.config["DATABASE_URL"]), app.config["SECRET_KEY"])
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = config_module.load_or_create_secret(instance)
    fallbacks = config_module.key_list(app.config["SECRET_KEY_FALLBACKS"])
    app.config["SECRET_KEY_FALLBACKS"] = fallbacks  # Flask verifies session cookies with them
    # Flask-WTF reads one key; itsdangerous verifies with any of a list and signs with the last.
    app.config["WTF_CSRF_SECRET_KEY"] = [*reversed(fallbacks), app.config["SECRET_KEY"]]
    app.config["BASE_URL"] = str(app.config["BASE_URL"]).rstrip("/")
    secure = app.config["SESSION_COOKIE_SECURE"]
    if secure is None:
        secure = app.config["BASE_URL"].startswith("https://")
    app.config.update(
        SESSION_COOKIE_SECURE=bool(secure),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="brique_session",
        PERMANENT_SESSION_LIFETIME=int(app.config["SESSION_LIFETIME_DAYS"]) * 86400,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=bool(secure),
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        BABEL_DEFAULT_LOCALE="fr",
        BABEL_DEFAULT_TIMEZONE=app.config["DEFAULT_TIMEZONE"],
        BABEL_TRANSLATION_DIRECTORIES=str(ROOT / "tracker" / "translations"),
    )


def select_locale() -> str | None:
    from flask import has_request_context, session
    from flask_login import current_user

    if not has_request_context():
        return None  # commands and services outside a request: BABEL_DEFAULT_LOCALE
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        return str(current_user.locale)
    chosen = session.get("locale")
    if chosen in LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(LANGUAGES) or "fr"


def _init_babel(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)


def _init_login(app: Flask) -> None:
    from flask import current_app, session

    from tracker.auth.services import load_session, touch_session
    from tracker.db import utcnow

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    # Our own server-side sessions replace Flask-Login's IP/agent "protection".
    login_manager.session_protection = None

    @login_manager.user_loader
    def load_user(user_id: str) -> Any:
        token = session.get("sid")
        if not token or not user_id.isdigit():
            return None
        now = utcnow()
        found = load_session(
            database.session,
            int(user_id),
            token,
            # current_app: the login manager is shared by every app made in this process.
            idle_minutes=current_app.config["SESSION_IDLE_MINUTES"],
            now=now,
        )
        if found is None:
            return None
        user, login = found
        if touch_session(database.session, login, now=now):
            database.session.commit()  # the first statement of the request: nothing else pending
        return user


# Each domain package declares its blueprints (`blueprints`) and the modules whose routes attach
# to them (`view_modules`); a module must be imported before its blueprint is registered.
DOMAINS = (
    "core",
    "auth",
    "academies",
    "webhooks",
    "backlog",
    "board",
    "sprints",
    "feedback",
    "releases",
    "learning",
    "mail",
    "ops",
    "api",
    "search",
    "attachments",
    "workspace",
    "vendors",
)


def _register_blueprints(app: Flask) -> None:
    for name in DOMAINS:
        package = import_module(f"tracker.{name}")
        for module in package.view_modules:
            import_module(f"tracker.{name}.{module}")
        for blueprint in package.blueprints:
            app.register_blueprint(blueprint)


def _register_link_issuers() -> None:
    """The personal links the mail sender makes when a message leaves (never stored in it)."""
    from tracker.feedback import links
    from tracker.learning import evaluations
    from tracker.mail.services import register_link_issuer

    register_link_issuer(links.LINK_KIND, links.issue_for_mail)
    register_link_issuer(evaluations.LINK_KIND, evaluations.issue_for_mail)

    from tracker.api import services as api_services
    from tracker.attachments.services import export_for
    from tracker.auth.services import register_erase_step, register_export_section
    from tracker.backlog import saved_views
    from tracker.backlog.services import clear_reviews_of

    register_export_section("attachments", export_for)
    register_export_section("saved_views", saved_views.export_for)
    # "api_access", not "..._tokens": the export never holds a token (tests/auth checks
    # that the word is absent).
    register_export_section("api_access", api_services.export_for)
    register_erase_step(saved_views.erase_for)
    register_erase_step(api_services.erase_for)
    register_erase_step(clear_reviews_of)


def _init_request_hooks(app: Flask) -> None:
    from flask import abort

    from tracker.web import access_of, reads_first_of

    @app.url_value_preprocessor
    def fresh_request_state(_endpoint: str | None, _values: dict[str, Any] | None) -> None:
        # The app context (and so g) can outlive one request when a caller keeps it pushed
        # (tests, commands): never let a user, roles or academy leak into the next request.
        # App-level preprocessors run before the blueprints' (which set g.academy).
        # _flask_babel caches the locale chosen for the request (the reader may have changed).
        for key in ("_login_user", "_roles", "_my_academies", "academy", "_flask_babel"):
            g.pop(key, None)
        # Reads begin deferred transactions; writes begin immediately (see tracker.db). Set
        # here, before any blueprint preprocessor loads something from the database.
        g._immediate_token = _immediate.set(request.method not in ("GET", "HEAD", "OPTIONS"))
        # A write view may read before taking the write lock (tracker.web.reads_first).
        view = app.view_functions.get(request.endpoint or "")
        g._reads_first_token = _reads_first.set(reads_first_of(view))
        if app.config["QUERY_COUNT_HEADER"]:
            g._query_counter_cm = count_queries()
            g._query_counter = g._query_counter_cm.__enter__()

    @app.before_request
    def deny_by_default() -> None:
        # A view that does not declare who may call it is refused to everyone.
        if request.endpoint is None or request.endpoint == "static":
            return
        view = app.view_functions.get(request.endpoint)
        if view is None or access_of(view) is None:
            app.logger.error("view %s declares no access rule; refused", request.endpoint)
            abort(403)

    @app.after_request
    def query_count_header(response: Any) -> Any:
        counter = g.pop("_query_counter", None)
        if counter is not None:
            response.headers["X-Query-Count"] = str(counter.count)
            g.pop("_query_counter_cm").__exit__(None, None, None)
        return response

    @app.teardown_request
    def reset_transaction_mode(_exc: BaseException | None) -> None:
        token = g.pop("_immediate_token", None)
        if token is not None:
            _immediate.reset(token)
        reading = g.pop("_reads_first_token", None)
        if reading is not None:
            _reads_first.reset(reading)
