"""Configuration: defaults < batos.toml < environment < flags; bad values name the setting."""

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from bat_os import config
from bat_os.errors import ConfigError
from support import ROOT, kernel_env


def test_defaults(tmp_path):
    cfg = config.load({}, environ={}, cwd=tmp_path)
    assert cfg.image == tmp_path / "data" / "live_image.fs"
    assert cfg.blob_dir == tmp_path / "data" / "live_image.blobs"
    assert cfg.endpoint == "tcp://127.0.0.1:5555"
    assert cfg.audit_file == tmp_path / "data" / "metacognition.jsonl"
    assert cfg.max_frame_bytes == 16 * 1024 * 1024
    assert cfg.llm.backend == "transformers"
    assert cfg.translator == "model"
    assert not config.binds_all_interfaces(cfg.endpoint)


def test_config_is_frozen(tmp_path):
    cfg = config.load({}, environ={}, cwd=tmp_path)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.endpoint = "tcp://127.0.0.1:1"


def test_priority_toml_env_flags(tmp_path):
    (tmp_path / "batos.toml").write_text(
        'image = "toml.fs"\nendpoint = "tcp://127.0.0.1:6001"\nqueue_size = 7\n'
        '[llm]\nbackend = "replay"\ncassette = "toml.cassette"\n'
    )
    cfg = config.load({}, environ={}, cwd=tmp_path)
    assert (cfg.image, cfg.endpoint, cfg.queue_size) == (tmp_path / "toml.fs", "tcp://127.0.0.1:6001", 7)
    assert cfg.llm.backend == "replay" and cfg.llm.cassette == tmp_path / "toml.cassette"

    env = {"BATOS_IMAGE": "env.fs", "BATOS_ENDPOINT": "tcp://127.0.0.1:6002", "BATOS_CASSETTE": "/abs/env.cassette"}
    cfg = config.load({}, environ=env, cwd=tmp_path)
    assert (cfg.image, cfg.endpoint, cfg.queue_size) == (tmp_path / "env.fs", "tcp://127.0.0.1:6002", 7)
    assert cfg.llm.cassette == Path("/abs/env.cassette")

    flags = config.parse_flags(["--image", "flag.fs", "--endpoint", "tcp://127.0.0.1:6003", "--llm-backend", "transformers"])
    cfg = config.load(flags, environ=env, cwd=tmp_path)
    assert (cfg.image, cfg.endpoint, cfg.llm.backend) == (tmp_path / "flag.fs", "tcp://127.0.0.1:6003", "transformers")
    assert cfg.llm.cassette == Path("/abs/env.cassette")  # not overridden by a flag


def test_explicit_config_file(tmp_path):
    other = tmp_path / "elsewhere.toml"
    other.write_text('log_level = "debug"\n')
    cfg = config.load({"config": str(other)}, environ={}, cwd=tmp_path)
    assert cfg.log_level == "DEBUG"
    cfg = config.load({}, environ={"BATOS_CONFIG": str(other)}, cwd=tmp_path)
    assert cfg.log_level == "DEBUG"
    with pytest.raises(ConfigError) as info:
        config.load({"config": str(tmp_path / "missing.toml")}, environ={}, cwd=tmp_path)
    assert info.value.setting == "config"


@pytest.mark.parametrize(
    "environ, setting",
    [
        ({"BATOS_ENDPOINT": "localhost:5555"}, "endpoint"),
        ({"BATOS_ENDPOINT": "tcp://127.0.0.1:99999"}, "endpoint"),
        ({"BATOS_IMAGE": "image.sqlite"}, "image"),
        ({"BATOS_LLM_BACKEND": "gpt"}, "llm.backend"),
        ({"BATOS_LOG_LEVEL": "LOUD"}, "log_level"),
        ({"BATOS_MAX_FRAME_BYTES": "lots"}, "max_frame_bytes"),
        ({"BATOS_QUEUE_SIZE": "0"}, "queue_size"),
        ({"BATOS_CONFLICT_RETRIES": "-1"}, "conflict_retries"),
        ({"BATOS_REQUEST_TIMEOUT": "-1"}, "request_timeout"),
        ({"BATOS_SHUTDOWN_GRACE": "0"}, "shutdown_grace"),
        ({"BATOS_MEMORY_MAX_BYTES": "10"}, "memory_max_bytes"),
        ({"BATOS_REMOTE_ENDPOINT": "0.0.0.0:5556"}, "remote_endpoint"),
        ({"BATOS_REMOTE_EVENTS_ENDPOINT": "udp://x"}, "remote_events_endpoint"),
        ({"BATOS_CODEX": "/no/such/codex.jsonl"}, "codex"),
        ({"BATOS_TRANSLATOR": "oracle"}, "translator"),
        ({"BATOS_MEMORY_TRIM_EVERY": "-1"}, "memory_trim_every"),
        ({"BATOS_MEMORY_TRIM_EVERY": "nan"}, "memory_trim_every"),
        ({"BATOS_HEARTBEAT_EVERY": "inf"}, "heartbeat_every"),
        ({"BATOS_BACKUP_EVERY": "-5"}, "backup_every"),
    ],
)
def test_bad_values_name_the_setting(tmp_path, environ, setting):
    with pytest.raises(ConfigError) as info:
        config.load({}, environ=environ, cwd=tmp_path)
    assert info.value.setting == setting
    assert repr(setting) in str(info.value)


def test_bad_toml(tmp_path):
    (tmp_path / "batos.toml").write_text("queue_size = [1, 2]\n")
    with pytest.raises(ConfigError) as info:
        config.load({}, environ={}, cwd=tmp_path)
    assert info.value.setting == "queue_size"
    (tmp_path / "batos.toml").write_text("colour = 'blue'\n")
    with pytest.raises(ConfigError) as info:
        config.load({}, environ={}, cwd=tmp_path)
    assert info.value.setting == "colour"
    (tmp_path / "batos.toml").write_text("this is not toml\n")
    with pytest.raises(ConfigError) as info:
        config.load({}, environ={}, cwd=tmp_path)
    assert info.value.setting == "config"


def test_kernel_refuses_a_bad_value_at_start(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "batos.py"), "--endpoint", "nonsense", "--image", str(tmp_path / "x.fs")],
        cwd=tmp_path, env=kernel_env(), capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 2
    assert "'endpoint'" in result.stderr
    assert not (tmp_path / "x.fs").exists()  # nothing was created


def test_all_interfaces_is_recognised():
    assert config.binds_all_interfaces("tcp://*:5555")
    assert config.binds_all_interfaces("tcp://0.0.0.0:5555")
    assert not config.binds_all_interfaces("tcp://127.0.0.1:5555")


def test_log_and_audit_paths_must_be_files(tmp_path):
    (tmp_path / "adir").mkdir()
    for setting, env in (("log_file", "BATOS_LOG_FILE"), ("audit_file", "BATOS_AUDIT_FILE")):
        with pytest.raises(ConfigError) as info:
            config.load({}, environ={env: "adir"}, cwd=tmp_path)
        assert info.value.setting == setting


def test_backup_dir_defaults_beside_the_image(tmp_path):
    assert config.load({}, environ={}, cwd=tmp_path).backup_dir == tmp_path / "data" / "backups"
    assert config.load({}, environ={"BATOS_IMAGE": "/srv/img/x.fs"}, cwd=tmp_path).backup_dir == Path("/srv/img/backups")
    (tmp_path / "batos.toml").write_text('backup_dir = "toml_backups"\n')
    assert config.load({}, environ={}, cwd=tmp_path).backup_dir == tmp_path / "toml_backups"
    assert config.load({}, environ={"BATOS_BACKUP_DIR": "env_backups"}, cwd=tmp_path).backup_dir == tmp_path / "env_backups"
    flags = config.parse_flags(["--backup-dir", "/abs/flag_backups"])
    assert config.load(flags, environ={"BATOS_BACKUP_DIR": "env_backups"}, cwd=tmp_path).backup_dir == Path("/abs/flag_backups")
    (tmp_path / "a_file").write_text("")
    with pytest.raises(ConfigError) as info:
        config.load({}, environ={"BATOS_BACKUP_DIR": "a_file"}, cwd=tmp_path)
    assert info.value.setting == "backup_dir"


def test_translator_setting(tmp_path):
    (tmp_path / "batos.toml").write_text('translator = "local"\n')
    assert config.load({}, environ={}, cwd=tmp_path).translator == "local"
    assert config.load({}, environ={"BATOS_TRANSLATOR": "model"}, cwd=tmp_path).translator == "model"


def test_cycle_seed_from_the_environment(tmp_path):
    assert config.load({}, environ={}, cwd=tmp_path).cycle_seed == 0  # the series recorded cassettes were made with
    assert config.load({}, environ={"BATOS_CYCLE_SEED": "3"}, cwd=tmp_path).cycle_seed == 3
    with pytest.raises(ConfigError, match="cycle_seed"):
        config.load({}, environ={"BATOS_CYCLE_SEED": "three"}, cwd=tmp_path)


def test_every_setting_is_in_the_readme_table():
    readme = (ROOT / "README.md").read_text()
    rows = {line.split("|")[1].strip(): line for line in readme.splitlines() if line.startswith("| `")}
    for setting, env_name in config.ENV_NAMES.items():
        assert f"`{setting}`" in rows, f"{setting} has no row in the README's configuration table"
        assert f"`{env_name}`" in rows[f"`{setting}`"], f"the README's row of {setting} does not name {env_name}"


def test_upkeep_settings(tmp_path):
    cfg = config.load({}, environ={}, cwd=tmp_path)
    assert (cfg.backup_every, cfg.backup_keep, cfg.pack_days) == (86400.0, 7, 1.0)  # daily, a week, a day of history
    assert cfg.watchdog_state == tmp_path / "data" / "watchdog.json"  # the watchdog's own default, from the same directory
    env = {"BATOS_BACKUP_EVERY": "2.5", "BATOS_BACKUP_KEEP": "0", "BATOS_PACK_DAYS": "0", "BATOS_WATCHDOG_STATE": ""}
    cfg = config.load({}, environ=env, cwd=tmp_path)
    assert (cfg.backup_every, cfg.backup_keep, cfg.pack_days, cfg.watchdog_state) == (2.5, 0, 0.0, None)
    for name, value in (("BATOS_BACKUP_EVERY", "-1"), ("BATOS_BACKUP_EVERY", "nan"), ("BATOS_BACKUP_EVERY", "inf"),
                        ("BATOS_BACKUP_KEEP", "-2"), ("BATOS_BACKUP_KEEP", "1.5"), ("BATOS_PACK_DAYS", "-0.5"),
                        ("BATOS_PACK_DAYS", "1e9")):
        with pytest.raises(ConfigError) as info:
            config.load({}, environ={name: value}, cwd=tmp_path)
        assert info.value.setting == {v: k for k, v in config.ENV_NAMES.items()}[name]
