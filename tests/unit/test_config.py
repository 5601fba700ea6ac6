"""`Config.from_env`: defaults → DP_* environment → explicit overrides; `parse_partner_keys`."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from dashboard.config import Config, ConfigError, parse_partner_keys

DEFAULTS = {
    "redis_url": None,
    "redis_cluster": False,
    "port_id": "xiamen",
    "partner_keys": {},
    "partner_keys_file": None,
    "data_dir": Path("data"),
    "host": "127.0.0.1",
    "http_port": 8050,
    "log_retention_hours": 168,
    "snapshot_seconds": 60,
    "deadletter_max": 100_000,
    "redis_timeout_seconds": 2.0,
    "clock": "wall",
    "profile": "xiamen",
    "history_seconds": 10,
    "demo": False,
    "demo_scenario": "normal",
    "demo_speed": 60.0,
    "demo_boxes_per_day": 30_000,
    "demo_report": None,
    "users": {},
    "read_keys": (),
    "wall_token": None,
    "secret_key": None,
    "partner_rate_limit": "600 per minute",
    "role": "all",
    "web_threads": 100,
    "trusted_proxies": 0,
    "callback_hosts": (),
    "delivery_attempts": 10,
    "delivery_retry_ms": 1000,
    "delivery_park_seconds": 3600,
    "alert_escalate_minutes": 30.0,
    "alert_history_days": 90,
    "notify_attempts": 10,
    "notify_retry_ms": 1000,
    "notify_park_seconds": 86400,
    "notify_base_url": "",
    "notify_keep_days": 30,
    "notify_log_size": 200,
    "notify_notices": 200,
    "notify_delay_check_seconds": 30,
    "notify_digest_unit_seconds": 60,
    "smtp_url": None,
    "smtp_from": "portpulse@localhost",
}

# (variable, text in the environment, attribute, value expected)
VARIABLES = [
    ("DP_REDIS_URL", "redis://cache:6380/2", "redis_url", "redis://cache:6380/2"),
    ("DP_PORT_ID", "ningbo", "port_id", "ningbo"),
    ("DP_PARTNER_KEYS", "terminal.haitian=k1,customs.xiamen=k2", "partner_keys",
     {"terminal.haitian": "k1", "customs.xiamen": "k2"}),
    ("DP_DATA_DIR", "/var/lib/portpulse", "data_dir", Path("/var/lib/portpulse")),
    ("DP_HOST", "0.0.0.0", "host", "0.0.0.0"),
    ("DP_HTTP_PORT", "9090", "http_port", 9090),
    ("DP_LOG_RETENTION_HOURS", "72", "log_retention_hours", 72),
    ("DP_SNAPSHOT_SECONDS", "5", "snapshot_seconds", 5),
    ("DP_DEADLETTER_MAX", "2500", "deadletter_max", 2500),
    ("DP_CLOCK", "event", "clock", "event"),
    ("DP_PROFILE", "ningbo", "profile", "ningbo"),
    ("DP_DEMO_BOXES_PER_DAY", "2000", "demo_boxes_per_day", 2000),
    ("DP_DEMO_REPORT", "/srv/reports/h1.json", "demo_report", Path("/srv/reports/h1.json")),
    ("DP_USERS", "ops=scrypt:32768:8:1$salt$hash", "users", {"ops": "scrypt:32768:8:1$salt$hash"}),
    ("DP_READ_KEYS", "reader-1, reader-2", "read_keys", ("reader-1", "reader-2")),
    ("DP_WALL_TOKEN", "wall-token", "wall_token", "wall-token"),
    ("DP_SECRET_KEY", "signing-key", "secret_key", "signing-key"),
    ("DP_PARTNER_KEYS_FILE", "/etc/portpulse/partner-keys", "partner_keys_file", Path("/etc/portpulse/partner-keys")),
    ("DP_PARTNER_RATE_LIMIT", "20/second", "partner_rate_limit", "20/second"),
    ("DP_REDIS_CLUSTER", "1", "redis_cluster", True),
    ("DP_ROLE", "ingest", "role", "ingest"),
    ("DP_WEB_THREADS", "16", "web_threads", 16),
    ("DP_TRUSTED_PROXIES", "1", "trusted_proxies", 1),
    ("DP_CALLBACK_HOSTS", "hooks.carrier.example, 10.1.0.0/16", "callback_hosts",
     ("hooks.carrier.example", "10.1.0.0/16")),
    ("DP_DELIVERY_ATTEMPTS", "3", "delivery_attempts", 3),
    ("DP_DELIVERY_RETRY_MS", "50", "delivery_retry_ms", 50),
    ("DP_DELIVERY_PARK_SECONDS", "60", "delivery_park_seconds", 60),
    ("DP_ALERT_ESCALATE_MINUTES", "0.5", "alert_escalate_minutes", 0.5),
    ("DP_ALERT_HISTORY_DAYS", "30", "alert_history_days", 30),
    ("DP_NOTIFY_ATTEMPTS", "3", "notify_attempts", 3),
    ("DP_NOTIFY_RETRY_MS", "50", "notify_retry_ms", 50),
    ("DP_NOTIFY_PARK_SECONDS", "600", "notify_park_seconds", 600),
    ("DP_NOTIFY_BASE_URL", "https://pulse.port.example", "notify_base_url", "https://pulse.port.example"),
    ("DP_NOTIFY_KEEP_DAYS", "7", "notify_keep_days", 7),
    ("DP_NOTIFY_LOG_SIZE", "50", "notify_log_size", 50),
    ("DP_NOTIFY_NOTICES", "20", "notify_notices", 20),
    ("DP_NOTIFY_DELAY_CHECK_SECONDS", "5", "notify_delay_check_seconds", 5),
    ("DP_NOTIFY_DIGEST_UNIT_SECONDS", "1", "notify_digest_unit_seconds", 1),
    ("DP_SMTP_URL", "smtps://mail.port.example:465", "smtp_url", "smtps://mail.port.example:465"),
    ("DP_SMTP_FROM", "pulse@port.example", "smtp_from", "pulse@port.example"),
]
INT_VARIABLES = [v for v, _, attr, _ in VARIABLES if type(DEFAULTS[attr]) is int]


def test_from_empty_environment_gives_every_default():
    config = Config.from_env({})
    assert dataclasses.asdict(config) == DEFAULTS
    assert config == Config()


def test_defaults_list_every_field_of_config():
    """Guards the table above: a new field must get a default test too."""
    assert {f.name for f in dataclasses.fields(Config)} == set(DEFAULTS)


def test_ignores_variables_without_the_dp_prefix():
    config = Config.from_env({"PORT_ID": "ningbo", "HTTP_PORT": "1", "REDIS_URL": "redis://x"})
    assert config == Config()


@pytest.mark.parametrize(("variable", "text", "attribute", "expected"), VARIABLES,
                         ids=[v[0] for v in VARIABLES])
def test_reads_each_dp_variable(variable, text, attribute, expected):
    config = Config.from_env({variable: text})
    assert getattr(config, attribute) == expected
    others = {k: v for k, v in dataclasses.asdict(config).items() if k != attribute}
    assert others == {k: v for k, v in DEFAULTS.items() if k != attribute}


def test_reads_all_dp_variables_together():
    config = Config.from_env({variable: text for variable, text, _, _ in VARIABLES})
    for _, _, attribute, expected in VARIABLES:
        assert getattr(config, attribute) == expected, attribute


@pytest.mark.parametrize(("variable", "attribute"), [(v, a) for v, _, a, _ in VARIABLES],
                         ids=[v[0] for v in VARIABLES])
def test_empty_dp_variable_falls_back_to_default(variable, attribute):
    assert getattr(Config.from_env({variable: ""}), attribute) == DEFAULTS[attribute]


def test_data_dir_is_a_path():
    assert isinstance(Config.from_env({"DP_DATA_DIR": "relative/dir"}).data_dir, Path)


def test_reads_os_environ_when_no_mapping_is_given(monkeypatch):
    for variable, *_ in VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("DP_PORT_ID", "qingdao")
    monkeypatch.setenv("DP_HTTP_PORT", "8123")
    config = Config.from_env()
    assert (config.port_id, config.http_port) == ("qingdao", 8123)
    assert config.redis_url is None


@pytest.mark.parametrize("text", ["80a", "8050.0", "eighty", "0x1f90"])
def test_non_integer_http_port_raises_config_error_naming_the_variable(text):
    with pytest.raises(ConfigError, match="DP_HTTP_PORT") as caught:
        Config.from_env({"DP_HTTP_PORT": text})
    assert repr(text) in str(caught.value)


@pytest.mark.parametrize("variable", INT_VARIABLES)
def test_each_non_integer_whole_number_variable_raises_config_error_naming_it(variable):
    with pytest.raises(ConfigError) as caught:
        Config.from_env({variable: "lots"})
    assert str(caught.value).startswith(variable + ":")


def test_config_error_is_a_value_error():
    assert issubclass(ConfigError, ValueError)


def test_bad_partner_keys_in_environment_raise_config_error():
    with pytest.raises(ConfigError, match="DP_PARTNER_KEYS"):
        Config.from_env({"DP_PARTNER_KEYS": "terminal.haitian"})


def test_overrides_win_over_environment():
    env = {"DP_PORT_ID": "ningbo", "DP_HTTP_PORT": "9000", "DP_REDIS_URL": "redis://env:6379",
           "DP_PARTNER_KEYS": "a=env"}
    config = Config.from_env(env, port_id="qingdao", http_port=9100, redis_url="redis://arg:6379",
                             partner_keys={"b": "arg"})
    assert config.port_id == "qingdao"
    assert config.http_port == 9100
    assert config.redis_url == "redis://arg:6379"
    assert config.partner_keys == {"b": "arg"}


def test_overrides_win_over_defaults_including_fields_without_a_variable():
    config = Config.from_env({}, redis_timeout_seconds=0.5, snapshot_seconds=3600,
                             data_dir=Path("/tmp/pp"))
    assert (config.redis_timeout_seconds, config.snapshot_seconds, config.data_dir) == (
        0.5, 3600, Path("/tmp/pp"))


def test_override_of_none_wins_over_environment_redis_url():
    config = Config.from_env({"DP_REDIS_URL": "redis://env:6379"}, redis_url=None)
    assert config.redis_url is None


def test_config_is_frozen_and_replace_returns_a_changed_copy():
    config = Config.from_env({})
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.port_id = "ningbo"  # type: ignore[misc]
    changed = config.replace(port_id="ningbo")
    assert (config.port_id, changed.port_id) == ("xiamen", "ningbo")


def test_default_partner_keys_are_not_shared_between_configs():
    assert Config().partner_keys is not Config().partner_keys


# --------------------------------------------------------------------------------------------
# parse_partner_keys
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    pytest.param("a=k1, b=k2", {"a": "k1", "b": "k2"}, id="two-pairs-with-space"),
    pytest.param("terminal.haitian=key-haitian", {"terminal.haitian": "key-haitian"}, id="one-pair"),
    pytest.param(" a = k1 ,b=k2 ", {"a": "k1", "b": "k2"}, id="spaces-around-names-and-keys"),
    pytest.param("a=k1,,b=k2,", {"a": "k1", "b": "k2"}, id="empty-items-skipped"),
    pytest.param("a=k=1", {"a": "k=1"}, id="key-containing-equals"),
    pytest.param("", {}, id="empty-text-no-partners"),
    pytest.param(" , ", {}, id="only-separators"),
])
def test_parses_partner_keys(text, expected):
    assert parse_partner_keys(text) == expected


@pytest.mark.parametrize("text", [
    pytest.param("a", id="no-equals"),
    pytest.param("=k", id="no-source"),
    pytest.param("a=", id="no-key"),
    pytest.param(" = ", id="blank-source-and-key"),
    pytest.param("a=k1,b", id="second-item-without-key"),
])
def test_rejects_partner_key_item_that_is_not_source_equals_key(text):
    with pytest.raises(ConfigError, match="DP_PARTNER_KEYS") as caught:
        parse_partner_keys(text)
    assert "source=key" in str(caught.value)


def test_unknown_clock_raises_config_error_naming_the_variable():
    with pytest.raises(ConfigError, match="DP_CLOCK"):
        Config.from_env({"DP_CLOCK": "sundial"})


@pytest.mark.parametrize(("variable", "text"), [("DP_REDIS_CLUSTER", "maybe"), ("DP_ROLE", "worker")])
def test_unknown_flag_or_role_raises_config_error_naming_the_variable(variable, text):
    with pytest.raises(ConfigError, match=variable):
        Config.from_env({variable: text})
