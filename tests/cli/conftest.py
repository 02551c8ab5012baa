"""CLI test helpers: run the Typer app in-process, or ``python -m gatewayctl`` as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gatewayctl.cli.app import app

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


Cli = Callable[..., Run]


@pytest.fixture
def cli() -> Cli:
    """``cli("providers", "list", "--json")`` → Run; never raises for a non-zero exit."""
    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> Run:
        result = runner.invoke(app, list(args), input=input, catch_exceptions=False)
        return Run(result.exit_code, result.stdout, result.stderr)

    return run


@pytest.fixture
def proc(isolated_env: Path) -> Cli:
    """Run ``python -m gatewayctl`` in a subprocess (headless: no keyring backend)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAYCTL_")}
    env.update(
        PYTHONPATH=str(REPO),
        GATEWAYCTL_DATA_DIR=str(isolated_env),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        NO_COLOR="1",
        COLUMNS="200",
    )

    def run(*args: str, input: str | None = None) -> Run:
        done = subprocess.run(
            [sys.executable, "-m", "gatewayctl", *args],
            input=input,
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            cwd=REPO,
        )
        return Run(done.returncode, done.stdout, done.stderr)

    return run


def one_line_error(run: Run, code: int = 1) -> str:
    """Assert a clean failure: exit ``code``, one ``error:`` line on stderr, no traceback."""
    assert run.code == code, (run.code, run.stdout, run.stderr)
    assert run.stderr.startswith("error: ") and run.stderr.count("\n") == 1, run.stderr
    assert "Traceback" not in run.stderr
    return run.stderr
