from __future__ import annotations

from pathlib import Path

import pytest

from gatewayctl.errors import InvalidInput
from gatewayctl.settings import default_data_dir, parse_dsn, resolve_settings


def test_explicit_data_dir_wins_over_env(tmp_path: Path) -> None:
    s = resolve_settings(data_dir=tmp_path / "a", env={"GATEWAYCTL_DATA_DIR": str(tmp_path / "b")})
    assert s.data_dir == tmp_path / "a"
    assert s.db_path == tmp_path / "a" / "gatewayctl.db"
    assert s.dsn == f"sqlite://{tmp_path / 'a' / 'gatewayctl.db'}"


def test_env_data_dir(tmp_path: Path) -> None:
    s = resolve_settings(env={"GATEWAYCTL_DATA_DIR": str(tmp_path / "b")})
    assert s.data_dir == tmp_path / "b"


def test_default_data_dir_xdg_then_home(tmp_path: Path) -> None:
    assert default_data_dir({"XDG_DATA_HOME": str(tmp_path)}) == tmp_path / "gatewayctl"
    assert default_data_dir({"HOME": str(tmp_path)}) == tmp_path / ".local/share/gatewayctl"
    # a relative XDG_DATA_HOME is invalid per the spec and ignored
    assert default_data_dir({"XDG_DATA_HOME": "rel", "HOME": str(tmp_path)}) == (
        tmp_path / ".local/share/gatewayctl"
    )
    s = resolve_settings(env={"HOME": str(tmp_path)})
    assert s.db_path == tmp_path / ".local/share/gatewayctl/gatewayctl.db"


@pytest.mark.parametrize(
    ("dsn", "expected"),
    [
        ("sqlite:////abs/x.db", Path("/abs/x.db")),
        ("sqlite:///abs/x.db", Path("/abs/x.db")),
        ("sqlite://rel/x.db", Path("/cwd/rel/x.db")),
        ("sqlite://./data/gproxy.db?mode=rwc", Path("/cwd/data/gproxy.db")),
        ("/plain/path.db", Path("/plain/path.db")),
        ("plain.db", Path("/cwd/plain.db")),
    ],
)
def test_parse_dsn(dsn: str, expected: Path) -> None:
    assert parse_dsn(dsn, cwd=Path("/cwd")) == expected


@pytest.mark.parametrize(
    "dsn", ["postgres://u:p@h/db", "mysql://u@h/db", "sqlite://", "sqlite:///", "  "]
)
def test_unsupported_dsn(dsn: str) -> None:
    with pytest.raises(InvalidInput, match="unsupported dsn"):
        parse_dsn(dsn)


def test_dsn_overrides_data_dir_file(tmp_path: Path) -> None:
    s = resolve_settings(
        data_dir=tmp_path / "d", env={"GATEWAYCTL_DSN": f"sqlite:///{tmp_path}/other.db"}
    )
    assert s.data_dir == tmp_path / "d"
    assert s.db_path == tmp_path / "other.db"
    s2 = resolve_settings(data_dir=tmp_path / "d", dsn=str(tmp_path / "x.db"))
    assert s2.db_path == tmp_path / "x.db"
