"""scripts/setup: installs only when pyproject.toml or the mode changed, quietly."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# stands in for .venv/bin/python: records pip calls, prints a warning box like setuptools'
FAKE_PYTHON = """#!/usr/bin/env bash
if [ "$1" = -V ]; then echo "Python 3.11.9"; exit 0; fi
echo "$*" >>"$(dirname "$0")/../../pip-calls"
echo "!! ******** Please be careful with folders in your working directory ******** !!" >&2
"""


def checkout(tmp_path: Path) -> Path:
    root = tmp_path / "checkout"
    (root / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "setup", root / "scripts" / "setup")
    (root / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    bin_dir = root / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").write_text(FAKE_PYTHON, encoding="utf-8")
    (bin_dir / "python").chmod(0o755)
    (bin_dir / "monitor").write_text("#!/bin/sh\n", encoding="utf-8")
    (bin_dir / "monitor").chmod(0o755)
    return root


def setup(root: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    calls = root / "pip-calls"
    calls.unlink(missing_ok=True)
    result = subprocess.run(
        ["bash", str(root / "scripts" / "setup"), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    made = calls.read_text(encoding="utf-8").splitlines() if calls.exists() else []
    return result, made


def test_setup_installs_once_then_only_when_pyproject_changes(tmp_path: Path) -> None:
    root = checkout(tmp_path)

    first, calls = setup(root)
    assert first.returncode == 0, first.stderr
    assert any("install --quiet -e ." in c for c in calls)
    assert "Please be careful" not in first.stdout + first.stderr, "pip's noise is hidden"

    started = time.monotonic()
    again, calls = setup(root)
    assert again.returncode == 0 and calls == [] and again.stderr == ""
    assert time.monotonic() - started < 1.0

    (root / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "2"\n', "utf-8")
    changed, calls = setup(root)
    assert changed.returncode == 0 and any("-e ." in c for c in calls)


def test_setup_test_mode_installs_the_extras_once_and_serves_run(tmp_path: Path) -> None:
    root = checkout(tmp_path)
    setup(root)

    _, calls = setup(root, "test")
    assert any(".[test,transformers]" in c for c in calls), "run's install lacks the extras"
    assert setup(root, "test")[1] == []
    assert setup(root)[1] == [], "a test install serves run too"


def test_a_failing_install_shows_pips_output_and_fails(tmp_path: Path) -> None:
    root = checkout(tmp_path)
    python = root / ".venv" / "bin" / "python"
    python.write_text(FAKE_PYTHON.replace(">&2\n", ">&2\nexit 1\n"), encoding="utf-8")

    result, _ = setup(root)

    assert result.returncode != 0
    assert "Please be careful" in result.stderr
    assert not (root / ".venv" / ".monitor-install-stamp").exists()
