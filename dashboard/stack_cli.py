"""`python run.py stack` in a terminal: start the set (dashboard/stack.py), print its URLs as
`make run` does, run until Ctrl-C or SIGTERM (SIGHUP: restart the workers one by one), stop it all."""

from __future__ import annotations

import signal
import sys
from typing import Callable

from dashboard.config import Config
from dashboard.stack import Stack
from dashboard.stack_procs import StackError, Stopped


def run_stack(args, config: Config, *, demo_port_id: str) -> int:
    """`args`: run.py's (--web, --ingest, --shards, --host, --port, --redis-url, --no-simulator);
    `config`: from the environment, with the demo's account and wall token when the demo runs."""
    config = config.replace(**{k: v for k, v in (("host", args.host), ("http_port", args.port),
                                                  ("redis_url", args.redis_url)) if v})
    try:
        stack = Stack(config, web=args.web, ingest=args.ingest, shards=args.shards, simulator=not args.no_simulator,
                      demo_port_id=demo_port_id, say=lambda text: print(text, flush=True))
    except ValueError as exc:
        print(f"stack: {exc}", file=sys.stderr)
        return 2
    take_hup = _handle_signals(stack)
    code = 0
    try:
        stack.start()
        print(summary(stack), flush=True)
        stack.watch(take_hup)
    except Stopped:
        pass
    except StackError as exc:
        print(f"stack: {exc}", file=sys.stderr, flush=True)
        code = 1
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)  # a second signal must not cut the clean-up
        stack.stop()
        print("the set has stopped", flush=True)
    return code


def _handle_signals(stack: Stack) -> Callable[[], bool]:
    """Ctrl-C and SIGTERM ask the stack to stop (whatever waits gives up); SIGHUP asks for a
    rolling restart. The handlers only set flags: nothing is cut in the middle of starting a
    process, so nothing is left behind unrecorded."""
    asked = {"hup": False}

    def stop(signum, frame):
        stack.interrupted = True

    def hup(signum, frame):
        asked["hup"] = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGHUP, hup)

    def take_hup() -> bool:
        taken, asked["hup"] = asked["hup"], False
        return taken
    return take_hup


def summary(stack: Stack) -> str:
    """The URLs to open, as `make run` prints them, and what runs behind them."""
    base, config = stack.base, stack.config
    mode = f"demo: {config.demo_scenario} at ×{config.demo_speed:g}" if stack.simulator else "live partner data"
    port = stack.demo_port_id if stack.simulator else config.port_id
    lines = [f"Port Pulse on {base}/  (port {port}, {mode}; nginx in front of "
             f"{_count(stack.web, 'web replica')} and {_count(stack.ingest, 'ingest worker')})"]
    lines += _access_lines(stack)
    lines.append(f"  health:           {base}/healthz")
    lines += [f"  {w.name + ':':<18}{w.address}{' (runs the demo)' if w.demo else ''}, log {w.log_path}"
              for w in stack.workers]
    lines.append(f"  Redis:            {_redis_text(stack)}")
    lines.append(f"  nginx:            {stack.nginx.conf}, logs in {stack.nginx.prefix / 'logs'}")
    lines.append("Ctrl-C or SIGTERM stops the set; SIGHUP restarts its workers one by one.")
    return "\n".join(lines)


def _access_lines(stack: Stack) -> list[str]:
    base, config = stack.base, stack.config
    if not stack.simulator:
        return [f"  the wall:         {base}/?token=<DP_WALL_TOKEN>"] if config.wall_token else []
    from dashboard.auth import demo_access

    access, lines = demo_access(config.data_dir), []
    if config.wall_token == access.get("wall_token"):
        lines.append(f"  the wall:         {base}/?token={access['wall_token']}")
    if access.get("user") in config.users:
        lines.append(f"  managers:         {base}/login  (user {access['user']}, password {access['password']})")
    return lines + [f"  demo controls:    {base}/demo"]


def _redis_text(stack: Stack) -> str:
    if stack.redis is None:
        return f"{stack.redis_url} (given{', a cluster' if stack.cluster else ''})"
    if stack.cluster:
        return f"Redis Cluster, {stack.shards} primaries with a replica each, seed {stack.redis_url}"
    return f"embedded valkey-server {stack.redis_url}, data in {stack.folder / 'redis'}"


def _count(items: list, noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"
