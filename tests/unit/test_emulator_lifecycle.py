"""The emulator's process lifecycle: started, healthy, reset, stopped, and never left behind."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from stackops_emulator.client import Emulator

EMULATOR_ROOT = Path(__file__).resolve().parents[1] / "emulator"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    return False


def test_spawn_reset_and_stop():
    emulator = Emulator.spawn()
    try:
        ec2 = emulator.boto3_client("ec2")
        ec2.create_vpc(CidrBlock="10.9.0.0/16")
        assert any(v["CidrBlock"] == "10.9.0.0/16" for v in ec2.describe_vpcs()["Vpcs"])
        emulator.reset()
        assert not any(v["CidrBlock"] == "10.9.0.0/16" for v in ec2.describe_vpcs()["Vpcs"])
        assert emulator.calls()["by_operation"] == {"ec2:DescribeVpcs": 1}
    finally:
        emulator.stop()
    assert emulator.process.poll() is not None


def test_spawned_emulator_exits_when_its_parent_is_killed():
    code = (
        f"import sys, time; sys.path.insert(0, {str(EMULATOR_ROOT)!r});"
        "from stackops_emulator.client import Emulator;"
        "e = Emulator.spawn(); print(e.process.pid, flush=True); time.sleep(120)"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    assert _alive(child)
    parent.kill()
    parent.wait()
    assert _wait_gone(child), "the emulator outlived the process that started it"


def test_background_start_stop_with_pidfile(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(EMULATOR_ROOT))
    cli = [sys.executable, "-m", "stackops_emulator", "--state-dir", str(tmp_path)]
    started = subprocess.run([*cli, "start", "--port", "0"], env=env, capture_output=True, text=True, check=True)
    assert "emulator running at" in started.stdout
    pid = int((tmp_path / "emulator.pid").read_text())
    url = (tmp_path / "emulator.url").read_text()
    Emulator(url).wait_healthy(5)
    again = subprocess.run([*cli, "start", "--port", "0"], env=env, capture_output=True, text=True, check=True)
    assert "already running" in again.stdout
    status = subprocess.run([*cli, "status"], env=env, capture_output=True, text=True, check=False)
    assert status.returncode == 0
    subprocess.run([*cli, "stop"], env=env, capture_output=True, text=True, check=True)
    assert _wait_gone(pid)
    assert not (tmp_path / "emulator.pid").exists()
    status = subprocess.run([*cli, "status"], env=env, capture_output=True, text=True, check=False)
    assert status.returncode == 1
