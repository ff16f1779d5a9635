"""chaincard.config: settings from flags, the environment and a TOML file, in that order."""

from chaincard.config import load_settings


def test_settings_precedence(tmp_path, monkeypatch):
    config = tmp_path / "c.toml"
    config.write_text('listen = "127.0.0.1:1"\nregion_code = "E"\nrpc_deadline_seconds = 2\nsomething_else = 1\n')
    monkeypatch.setenv("CHAINCARD_REGION_CODE", "W")
    settings = load_settings(config, listen="127.0.0.1:3")
    assert settings.listen == "127.0.0.1:3"  # flag beats file
    assert settings.region_code == "W"  # environment beats file
    assert settings.rpc_deadline_seconds == 2.0
    assert settings.extra == {"something_else": 1}
