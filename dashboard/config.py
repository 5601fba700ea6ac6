"""The service's configuration: one dataclass, defaults → `DP_*` environment → explicit overrides."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from limits import parse_many


class ConfigError(ValueError):
    """A `DP_*` variable that cannot be understood; the message names it."""


def parse_partner_keys(text: str, origin: str = "DP_PARTNER_KEYS") -> dict[str, str]:
    """`source=key,source=key` (or one per line; a line starting with `#` is a comment: a key may
    hold a `#`) → {source: key}."""
    keys: dict[str, str] = {}
    lines = (line for line in text.splitlines() if not line.lstrip().startswith("#"))
    items = (item.strip() for line in lines for item in line.split(","))
    for item in filter(None, items):
        source, sep, key = item.partition("=")
        if not sep or not source.strip() or not key.strip():
            raise ConfigError(f"{origin}: {item.partition('=')[0][:40]!r}… is not source=key")
        keys[source.strip()] = key.strip()
    return keys


PASSWORD_HASH_METHODS = ("scrypt:", "pbkdf2:")  # werkzeug.security's generate_password_hash


def parse_users(text: str, origin: str = "DP_USERS") -> dict[str, str]:
    """`name=hash,name=hash` (or one per line in a file; `#` starts a comment) → {name: hash}."""
    users: dict[str, str] = {}
    items = (line.split("#", 1)[0].strip() for part in text.splitlines() for line in part.split(","))
    for item in filter(None, items):
        name, sep, hashed = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"{origin}: {item[:40]!r}… is not name=hash")
        if not hashed.strip().startswith(PASSWORD_HASH_METHODS):
            raise ConfigError(f"{origin}: the hash of {name.strip()!r} is not werkzeug's "
                              "(make one with `python run.py add-user NAME`)")
        users[name.strip()] = hashed.strip()
    return users


def read_users(env: Mapping[str, str]) -> dict[str, str]:
    users = parse_users(env.get("DP_USERS", ""))
    path = env.get("DP_USERS_FILE")
    if path:
        try:
            users.update(parse_users(Path(path).read_text(), origin=path))
        except OSError as exc:
            raise ConfigError(f"DP_USERS_FILE: cannot read {path}: {exc.strerror}") from None
    return users


def parse_keys(text: str) -> tuple[str, ...]:
    return tuple(filter(None, (part.strip() for part in text.split(","))))


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name}: {raw!r} is not a whole number") from None


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}: {raw!r} is not a number") from None
    if not value > 0:
        raise ConfigError(f"{name}: {raw!r} must be more than 0")
    return value


def _rate(env: Mapping[str, str], name: str, default: str) -> str:
    """A request limit as flask-limiter reads it: `600 per minute`, `10/second`."""
    raw = env.get(name) or default
    try:
        parse_many(raw)
    except ValueError:
        raise ConfigError(f"{name}: {raw!r} is not a limit such as '600 per minute'") from None
    return raw


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = (env.get(name) or "0").strip().lower()
    if raw not in ("0", "1", "true", "false", "yes", "no"):
        raise ConfigError(f"{name}: {raw!r} is not 1 or 0")
    return raw in ("1", "true", "yes")


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    raw = env.get(name) or default
    if raw not in choices:
        raise ConfigError(f"{name}: {raw!r} is not one of {', '.join(choices)}")
    return raw


@dataclass(frozen=True)
class Config:
    """Everything the service reads from its environment, in one place (see README)."""

    redis_url: str | None = None  # None: run.py starts the embedded valkey-server
    redis_cluster: bool = False  # the URL names one node of a Redis Cluster (docs/deploy.md)
    port_id: str = "xiamen"
    partner_keys: dict[str, str] = field(default_factory=dict)  # source → key
    partner_keys_file: Path | None = None  # more `source=key` lines, re-read when it changes
    data_dir: Path = Path("data")
    host: str = "127.0.0.1"
    http_port: int = 8050
    log_retention_hours: int = 168  # the log keeps at least this much history
    snapshot_seconds: int = 60
    deadletter_max: int = 100_000  # dead-letter entries kept (approximate, newest kept)
    redis_timeout_seconds: float = 2.0
    clock: str = "wall"  # wall: now is the wall clock; event: now is the latest event time
    profile: str = "xiamen"  # the port profile (feeds/profiles/<profile>.toml)
    history_seconds: int = 10  # how often the current hour's KPI rollup is refreshed
    demo: bool = False  # run the demo simulator in this process (run.py's default)
    demo_scenario: str = "normal"
    demo_speed: float = 60.0
    demo_boxes_per_day: int = 30_000  # the demo port's traffic (smaller for a small machine)
    demo_report: Path | None = None  # the reconstruction report /demo shows; None: the shipped one
    users: dict[str, str] = field(default_factory=dict)  # manager name → werkzeug password hash
    read_keys: tuple[str, ...] = ()  # bearer keys that read the API and /metrics
    wall_token: str | None = None  # opens the wall (`/?token=…`) and nothing else
    secret_key: str | None = None  # signs session cookies; None: kept in data_dir/secret_key
    partner_rate_limit: str = "600 per minute"  # requests per partner, across its routes
    role: str = "all"  # all, web or ingest (dashboard/runtime.py, docs/deploy.md)
    web_threads: int = 100  # the server's threads: every wall's socket holds one
    trusted_proxies: int = 0  # proxies in front that set X-Forwarded-For/-Proto (the set's nginx: 1)
    callback_hosts: tuple[str, ...] = ()  # where subscriptions' callbacks may go (feeds/subscriptions.py)
    delivery_attempts: int = 10  # failed callbacks in a row before a subscription is parked
    delivery_retry_ms: int = 1000  # the first wait after a failed callback; doubled each time
    delivery_park_seconds: int = 3600  # or failing for this long
    alert_escalate_minutes: float = 30.0  # an alert unacknowledged this long goes to the task force (docs/alerts.md)
    alert_history_days: int = 90  # alert transitions kept this long (the CSV export's reach)
    notify_attempts: int = 10  # failed notification deliveries in a row before one is given up (dashboard/notify/)
    notify_retry_ms: int = 1000  # the first wait after a failed notification delivery; doubled each time
    notify_park_seconds: int = 86400  # or failing for this long
    notify_base_url: str = ""  # the site's public address, put before the links in messages
    notify_keep_days: int = 30  # how long a (recipient, notice) is remembered as sent: never sent twice within
    notify_log_size: int = 200  # delivery attempts kept per organisation
    notify_notices: int = 200  # live notices kept per user
    notify_delay_check_seconds: int = 30  # how often delayed vessels are looked for
    notify_digest_unit_seconds: int = 60  # a digest's window is `digest_minutes` of these (tests shorten it)
    smtp_url: str | None = None  # smtp://host:port, smtp+starttls://…, smtps://…; user:password@ allowed
    smtp_from: str = "portpulse@localhost"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides) -> "Config":
        env = os.environ if env is None else env
        values = dict(
            redis_url=env.get("DP_REDIS_URL") or None,
            redis_cluster=_flag(env, "DP_REDIS_CLUSTER"),
            port_id=env.get("DP_PORT_ID") or cls.port_id,
            partner_keys=parse_partner_keys(env.get("DP_PARTNER_KEYS", "")),
            partner_keys_file=Path(env["DP_PARTNER_KEYS_FILE"]) if env.get("DP_PARTNER_KEYS_FILE") else None,
            data_dir=Path(env.get("DP_DATA_DIR") or cls.data_dir),
            host=env.get("DP_HOST") or cls.host,
            http_port=_int(env, "DP_HTTP_PORT", cls.http_port),
            log_retention_hours=_int(env, "DP_LOG_RETENTION_HOURS", cls.log_retention_hours),
            snapshot_seconds=_int(env, "DP_SNAPSHOT_SECONDS", cls.snapshot_seconds),
            deadletter_max=_int(env, "DP_DEADLETTER_MAX", cls.deadletter_max),
            clock=_choice(env, "DP_CLOCK", ("wall", "event"), cls.clock),
            profile=env.get("DP_PROFILE") or cls.profile,
            demo_boxes_per_day=_int(env, "DP_DEMO_BOXES_PER_DAY", cls.demo_boxes_per_day),
            demo_report=Path(env["DP_DEMO_REPORT"]) if env.get("DP_DEMO_REPORT") else None,
            users=read_users(env),
            read_keys=parse_keys(env.get("DP_READ_KEYS", "")),
            wall_token=env.get("DP_WALL_TOKEN") or None,
            secret_key=env.get("DP_SECRET_KEY") or None,
            partner_rate_limit=_rate(env, "DP_PARTNER_RATE_LIMIT", cls.partner_rate_limit),
            role=_choice(env, "DP_ROLE", ("all", "web", "ingest"), cls.role),
            web_threads=_int(env, "DP_WEB_THREADS", cls.web_threads),
            trusted_proxies=_int(env, "DP_TRUSTED_PROXIES", cls.trusted_proxies),
            callback_hosts=parse_keys(env.get("DP_CALLBACK_HOSTS", "")),
            delivery_attempts=_int(env, "DP_DELIVERY_ATTEMPTS", cls.delivery_attempts),
            delivery_retry_ms=_int(env, "DP_DELIVERY_RETRY_MS", cls.delivery_retry_ms),
            delivery_park_seconds=_int(env, "DP_DELIVERY_PARK_SECONDS", cls.delivery_park_seconds),
            alert_escalate_minutes=_float(env, "DP_ALERT_ESCALATE_MINUTES", cls.alert_escalate_minutes),
            alert_history_days=_int(env, "DP_ALERT_HISTORY_DAYS", cls.alert_history_days),
            notify_attempts=_int(env, "DP_NOTIFY_ATTEMPTS", cls.notify_attempts),
            notify_retry_ms=_int(env, "DP_NOTIFY_RETRY_MS", cls.notify_retry_ms),
            notify_park_seconds=_int(env, "DP_NOTIFY_PARK_SECONDS", cls.notify_park_seconds),
            notify_base_url=env.get("DP_NOTIFY_BASE_URL") or cls.notify_base_url,
            notify_keep_days=_int(env, "DP_NOTIFY_KEEP_DAYS", cls.notify_keep_days),
            notify_log_size=_int(env, "DP_NOTIFY_LOG_SIZE", cls.notify_log_size),
            notify_notices=_int(env, "DP_NOTIFY_NOTICES", cls.notify_notices),
            notify_delay_check_seconds=_int(env, "DP_NOTIFY_DELAY_CHECK_SECONDS", cls.notify_delay_check_seconds),
            notify_digest_unit_seconds=_int(env, "DP_NOTIFY_DIGEST_UNIT_SECONDS", cls.notify_digest_unit_seconds),
            smtp_url=env.get("DP_SMTP_URL") or None,
            smtp_from=env.get("DP_SMTP_FROM") or cls.smtp_from,
        )
        values.update(overrides)
        return cls(**values)

    def replace(self, **changes) -> "Config":
        return dataclasses.replace(self, **changes)
