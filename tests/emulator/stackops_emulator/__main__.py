"""Command line: ``python -m stackops_emulator {serve,start,stop,status,run,calls,reset}``.

serve   run in the foreground (what the others start)
start   start in the background with a pidfile, wait until healthy; does nothing if already running
stop    stop the background emulator named by the pidfile
status  say whether it runs, and where
run     start on a free port, run a command with STACKOPS_EMULATOR_URL set, stop: ``run -- make itest``
calls   print the request log's counts (reads, writes, by operation)
reset   empty every backend, the request log and the faults
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from . import DEFAULT_PORT
from .client import Emulator
from .client import EmulatorError


def _build_aws_managed_policies_once():
    """moto builds its ~1,300 AWS managed IAM policies whenever an IAM backend is created, which a reset
    does for every test (seconds each time). They are read-only in AWS, so build them once per account and
    partition and hand the same objects to every later backend, with their attachment counts back at 0."""
    from moto.iam.models import IAMBackend

    build = IAMBackend._init_aws_policies
    built = {}

    def once(self):
        key = (self.account_id, self.region_name)
        if key not in built:
            built[key] = build(self)
        for policy in built[key]:
            policy.attachment_count = 0
        return list(built[key])

    IAMBackend._init_aws_policies = once


def _serve(args):
    # AWS managed IAM policies (AmazonEKSClusterPolicy, AmazonRDSEnhancedMonitoringRole, ...) exist in
    # every AWS account; moto loads them only when asked. Read by moto at import time.
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    # Imported here so that `stop` and `status` do not pay for moto's import.
    import logging

    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    from .app import EmulatorApp

    _build_aws_managed_policies_once()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server(args.host, args.port, EmulatorApp(), threaded=True, request_handler=MotoRequestHandler)
    bound = server.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        Path(tmp).write_text(str(bound))
        os.replace(tmp, args.port_file)

    def _stop(signum, frame):
        # Keep-alive request threads would hold a graceful shutdown open; nothing here needs flushing.
        os._exit(0)

    signal.signal(signal.SIGTERM, _stop)
    threading.Thread(target=_warm_up, args=(server.server_address[1],), daemon=True).start()
    if args.parent_pid:
        threading.Thread(target=_exit_with_parent, args=(args.parent_pid, server), daemon=True).start()
    print(f"stackops emulator listening on http://{args.host}:{bound}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def _warm_up(port):
    """Pay moto's and botocore's first-use costs (EC2 and IAM are the slowest) before the first real request."""
    from .protocols import _models_for_signing_name

    for service in ("ec2", "sts", "iam"):
        _models_for_signing_name(service)
    try:
        from moto.backends import get_backend

        get_backend("ec2")["123456789012"]["us-east-1"]
        get_backend("iam")["123456789012"]["aws"]  # builds the AWS managed policies (once, see above)
    except Exception:  # a warm-up must never take the server down
        pass


def _exit_with_parent(pid, server):
    """Shut the server down when the process that spawned it is gone (a killed test run leaves nothing)."""
    while True:
        time.sleep(1)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            server.shutdown()
            return


def _state(args):
    state = Path(args.state_dir)
    return state / "emulator.pid", state / "emulator.url", state / "emulator.log"


def _running(args):
    pidfile, urlfile, _log = _state(args)
    if not pidfile.exists():
        return None
    try:
        pid = int(pidfile.read_text())
        os.kill(pid, 0)
    except (ValueError, ProcessLookupError, PermissionError):
        return None
    return pid, urlfile.read_text().strip() if urlfile.exists() else None


def _start(args):
    running = _running(args)
    if running:
        pid, url = running
        try:
            Emulator(url).wait_healthy(5)
            print(f"emulator already running at {url} (pid {pid})")
            return 0
        except EmulatorError:
            os.kill(pid, signal.SIGTERM)
    pidfile, urlfile, logfile = _state(args)
    pidfile.parent.mkdir(parents=True, exist_ok=True)
    emulator = Emulator.spawn(port=args.port, host=args.host, log_path=str(logfile), detached=True)
    pidfile.write_text(str(emulator.process.pid))
    urlfile.write_text(emulator.url)
    print(f"emulator running at {emulator.url} (pid {emulator.process.pid}, log {logfile})")
    return 0


def _stop(args):
    pidfile, urlfile, _log = _state(args)
    running = _running(args)
    if not running:
        print("emulator is not running")
    else:
        pid = running[0]
        os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            os.killpg(pid, signal.SIGKILL)
        print(f"emulator stopped (pid {pid})")
    for path in (pidfile, urlfile):
        path.unlink(missing_ok=True)
    return 0


def _status(args):
    running = _running(args)
    if running:
        print(f"emulator running at {running[1]} (pid {running[0]})")
        return 0
    print("emulator is not running")
    return 1


def _run(args):
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        print("run: give a command after --", file=sys.stderr)
        return 2
    emulator = Emulator.spawn(port=args.port, host=args.host)
    try:
        env = dict(os.environ, STACKOPS_EMULATOR_URL=emulator.url)
        return subprocess.call(command, env=env)
    finally:
        emulator.stop()


def _url(args):
    if args.url:
        return args.url
    running = _running(args)
    if not running:
        raise SystemExit("emulator is not running (start it with `make emulator`)")
    return running[1]


def _calls(args):
    summary = Emulator(_url(args)).calls()
    del summary["calls"]
    print(json.dumps(summary, indent=2, sort_keys=True))
    return 0


def _reset(args):
    Emulator(_url(args)).reset()
    print("emulator reset")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="stackops_emulator", description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", default=os.environ.get("STACKOPS_EMULATOR_STATE", ".emulator"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--url", default=None, help="for calls/reset: the emulator's URL")
    sub = parser.add_subparsers(dest="action", required=True)
    serve = sub.add_parser("serve")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port-file", default=None)
    serve.add_argument("--parent-pid", type=int, default=None, help="exit when this process is gone")
    start = sub.add_parser("start")
    start.add_argument("--port", type=int, default=int(os.environ.get("STACKOPS_EMULATOR_PORT", DEFAULT_PORT)))
    sub.add_parser("stop")
    sub.add_parser("status")
    run = sub.add_parser("run")
    run.add_argument("--port", type=int, default=0)
    run.add_argument("command", nargs=argparse.REMAINDER)
    sub.add_parser("calls")
    sub.add_parser("reset")
    args = parser.parse_args(argv)
    handler = {"serve": _serve, "start": _start, "stop": _stop, "status": _status, "run": _run}
    handler.update(calls=_calls, reset=_reset)
    return handler[args.action](args) or 0


if __name__ == "__main__":
    sys.exit(main())
