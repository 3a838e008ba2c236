"""A small client for the emulator's control API and process lifecycle, used by tests and benchmarks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


class EmulatorError(RuntimeError):
    pass


class Emulator:
    """A handle on a running emulator at ``url``."""

    def __init__(self, url: str, process: subprocess.Popen | None = None):
        self.url = url.rstrip("/")
        self.process = process

    # -- lifecycle -------------------------------------------------------------------------------------------

    @classmethod
    def spawn(
        cls,
        port: int = 0,
        host: str = "127.0.0.1",
        log_path: str | None = None,
        timeout: float = 30.0,
        detached: bool = False,
    ):
        """Start an emulator in a child process on ``port`` (0: any free port) and wait until it answers.

        Unless ``detached``, the emulator exits by itself when this process ends, however it ends."""
        port_file = tempfile.NamedTemporaryFile(prefix="stackops-emulator-", suffix=".port", delete=False)
        port_file.close()
        os.unlink(port_file.name)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PACKAGE_ROOT), env.get("PYTHONPATH")]))
        log = open(log_path, "ab") if log_path else subprocess.DEVNULL
        command = [sys.executable, "-m", "stackops_emulator", "serve", "--host", host, "--port", str(port)]
        if not detached:
            command += ["--parent-pid", str(os.getpid())]
        process = subprocess.Popen(
            command + ["--port-file", port_file.name],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if log_path:
            log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise EmulatorError(f"emulator exited with {process.returncode} before it was ready")
            if os.path.exists(port_file.name) and os.path.getsize(port_file.name):
                bound = int(Path(port_file.name).read_text())
                os.unlink(port_file.name)
                emulator = cls(f"http://{host}:{bound}", process)
                emulator.wait_healthy(deadline - time.monotonic())
                return emulator
            time.sleep(0.05)
        process.kill()
        raise EmulatorError(f"emulator did not start within {timeout} s")

    def stop(self, timeout: float = 10.0):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def wait_healthy(self, timeout: float = 15.0):
        deadline = time.monotonic() + max(timeout, 0.1)
        last = None
        while time.monotonic() < deadline:
            try:
                if self._request("GET", "health").get("ok"):
                    return
            except OSError as exc:
                last = exc
            time.sleep(0.05)
        raise EmulatorError(f"emulator at {self.url} is not answering: {last}")

    # -- control API -----------------------------------------------------------------------------------------

    def _request(self, method: str, route: str, payload=None):
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(f"{self.url}/_stackops/{route}", data=data, method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def reset(self):
        """Empty every backend, the request log and the fault configuration."""
        return self._request("POST", "reset")

    def calls(self) -> dict:
        """The request log: ``calls`` (list), ``reads``, ``writes``, ``faults``, ``by_operation``."""
        return self._request("GET", "calls")

    def clear_calls(self):
        return self._request("DELETE", "calls")

    def set_faults(self, **config):
        """E.g. ``set_faults(throttle_rate=0.2, seed=7)``; ``set_faults()`` turns faults off."""
        return self._request("PUT", "faults", config)

    def behaviours(self):
        return self._request("GET", "behaviours")

    def configure(self, behaviour: str, **settings):
        """A behaviour's settings, e.g. ``configure("backup-jobs", advance_hours=25)``."""
        return self._request("PUT", f"behaviours/{behaviour}", settings)

    def writes(self) -> list:
        return [c for c in self.calls()["calls"] if c["kind"] == "write" and not c["fault"]]

    def environment(self) -> dict:
        """Environment variables that point boto3 and Ansible's AWS modules at this emulator."""
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": "emulator",
            "AWS_SECRET_ACCESS_KEY": "emulator",
            "AWS_SESSION_TOKEN": "",
            "AWS_DEFAULT_REGION": "us-east-1",
            "STACKOPS_EMULATOR_URL": self.url,
        }

    def boto3_client(self, service: str, region: str = "us-east-1"):
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=region,
            aws_access_key_id="emulator",
            aws_secret_access_key="emulator",
        )
