"""The package as an operator installs it: the wheel builds from a clean checkout without
warnings from our pyproject.toml, installs into a fresh virtual environment, and ``smsrelay
serve`` from it answers ``/ready`` (``/health`` where ``/ready`` does not exist)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import venv
from io import BytesIO
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]

LOCAL_PORTS = ("--port", "0", "--simulator-port", "0", "--smpp-server-port", "0")


def _clean_checkout(target: Path) -> Path:
    """``git archive HEAD`` (what a fresh clone holds); a copy of the tree without git."""
    target.mkdir()
    if shutil.which("git") and (ROOT / ".git").exists():
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", "--format=tar", "HEAD"],
            capture_output=True,
            check=True,
        ).stdout
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(target, filter="data")
        return target
    ignore = shutil.ignore_patterns(".venv", "var", "__pycache__", "*.egg-info", ".git")
    shutil.copytree(ROOT, target, dirs_exist_ok=True, ignore=ignore)
    return target


@pytest.mark.packaging
def test_the_wheel_builds_installs_and_serves(tmp_path: Path) -> None:
    """Build (no warnings from our pyproject), install in a fresh venv, serve, /ready answers."""
    source = _clean_checkout(tmp_path / "checkout")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "-w", str(tmp_path / "dist"),
         str(source)],
        capture_output=True,
        text=True,
        timeout=600,
    )  # fmt: skip
    assert 0 == build.returncode, build.stderr[-3000:]
    log = build.stdout + build.stderr
    ours = [
        line
        for line in log.splitlines()
        if ("Deprecat" in line or "Warning:" in line) and "WARNING: Location" not in line
    ]
    assert [] == ours
    [wheel] = (tmp_path / "dist").glob("smsrelay-*.whl")

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(wheel)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert 0 == install.returncode, install.stderr[-3000:]
    pytest_there = subprocess.run([str(python), "-c", "import pytest"], capture_output=True)
    assert 0 != pytest_there.returncode  # the runtime install brings no test tools

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    server = subprocess.Popen(
        [str(env_dir / "bin" / "smsrelay"), "serve", *LOCAL_PORTS],
        cwd=run_dir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        ready = ""
        for line in server.stdout:
            if "smsrelay is ready" in line:
                ready = line
                break
        assert ready, server.stderr.read() if server.stderr else ""
        url = ready.split("API on ")[1].split()[0]
        answer = httpx.get(f"{url}/ready", timeout=10)
        if answer.status_code == 404:  # before /ready exists: the liveness probe
            answer = httpx.get(f"{url}/health", timeout=10)
        assert 200 == answer.status_code, answer.text
    finally:
        server.terminate()
        server.communicate(timeout=60)
    assert 0 == server.returncode
