"""Port Pulse command line: serve the wall (default) or publish a recorded feed.

    python run.py [--host H] [--port P] [--redis-url URL] [--no-simulator]
    python run.py publish FILE.jsonl [--speed X] [--redis-url URL] [--port-id ID]
    python run.py simulate --scenario X --days D --seed N [--start ISO-DATE] --max --out FILE.jsonl
    python run.py simulate --scenario diversion-ab --days 1 --report report.json
    python run.py simulate --scenario h1-before-after --report reconstruction.json [--seeds N] [--workers N]
    python run.py simulate --scenario X --speed N [--measures a,b]   (drives the running service's demo)
    python run.py stack [--web N] [--ingest N] [--shards N] [--port P] [--no-simulator]   (the whole set)
    python run.py add-org ID --name NAME --kind KIND [--source SRC ...] | remove-org ID | list-orgs
    python run.py add-user NAME [--org ID] | remove-user NAME | add-key --org ID   (docs/organisations.md)

Without a Redis URL (flag or DP_REDIS_URL) `serve` starts the embedded valkey-server in
DP_DATA_DIR and stops it again on Ctrl-C or SIGTERM; `publish` finds that server through the URL
file it leaves in DP_DATA_DIR.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from dashboard import directory_cli
from dashboard.config import Config, ConfigError

COMMANDS = ("serve", "publish", "simulate", "stack", *directory_cli.COMMANDS)
DEMO_PORT_ID = "demo"  # the demo's own namespace: dp:{demo}:…


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="run.py", description="Port Pulse: the digital port's live operations wall.")
    sub = parser.add_subparsers(dest="command", metavar="{" + ",".join(COMMANDS) + "}")
    serve = sub.add_parser("serve", help="serve the wall and the partner API (the default)")
    serve.add_argument("--host", help="address to listen on (DP_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="HTTP port (DP_HTTP_PORT, default 8050)")
    serve.add_argument("--redis-url", help="use this Redis instead of the embedded server (DP_REDIS_URL)")
    serve.add_argument("--role", choices=("all", "web", "ingest"),
                       help="what this process runs (DP_ROLE, default all: both; docs/deploy.md)")
    serve.add_argument("--no-simulator", action="store_true",
                       help="serve live partner data only, without the demo simulator")
    parser.epilog = "serve (the default command) takes:\n" + serve.format_help().split("\n", 2)[2]
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    publish = sub.add_parser("publish", help="publish a JSON-lines file of v1 events (a replay)")
    publish.add_argument("file", type=Path, help="one v1 event per line")
    publish.add_argument("--speed", type=float, default=0.0,
                         help="pace by event time, X times real time (default 0: as fast as possible)")
    publish.add_argument("--redis-url", help="Redis to publish to (DP_REDIS_URL; default: the embedded server of DP_DATA_DIR)")
    publish.add_argument("--port-id", help="port namespace to publish into (DP_PORT_ID, default xiamen)")
    simulate = add_simulate(sub)
    stack = add_stack(sub)
    directory = directory_cli.add_parsers(sub)  # the organisations' directory (docs/organisations.md)
    parser.epilog += "".join(f"\n{name} takes:\n" + command.format_help().split("\n\n", 1)[1]  # after the usage
                             for name, command in (("publish", publish), ("simulate", simulate), ("stack", stack),
                                                   *directory))
    return parser


def add_simulate(sub) -> argparse.ArgumentParser:
    from simulator.measures import MEASURE_IDS
    simulate = sub.add_parser("simulate", help="run the port simulator: to a file, an A/B report, or the running demo",
                              description="With --out or --report it runs flat out here (no Redis needed); "
                                          "otherwise it sends the command to the running service's demo.")
    simulate.add_argument("--scenario", help="normal (default), diversion-ab, typhoon, inspection-surge, "
                          "partner-outage, delayed-vessel, h1-before-after (files in simulator/scenarios/)")
    simulate.add_argument("--days", type=float, default=1.0, help="days of port time after the warm-up (default 1)")
    simulate.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    simulate.add_argument("--start", help="ISO date-time the scenario starts at (default: the scenario's own)")
    simulate.add_argument("--max", action="store_true", help="as fast as possible (implied by --out and --report)")
    simulate.add_argument("--out", type=Path, help="write the events to this JSON-lines file")
    simulate.add_argument("--report", type=Path, help="write the report (JSON) here: the smart-diversion A/B, or "
                          "the before/after reconstruction for a scenario with a [reconstruction] table")
    simulate.add_argument("--seeds", type=int, help="reconstruction: seeds to average over (default: the scenario's)")
    simulate.add_argument("--workers", type=int, default=2, help="reconstruction: processes to run in (default 2)")
    simulate.add_argument("--speed", type=float, help="running demo: port time per wall time, 1 to 3600 (×60 default)")
    simulate.add_argument("--pause", action="store_true", help="running demo: pause")
    simulate.add_argument("--resume", action="store_true", help="running demo: resume")
    simulate.add_argument("--jump", type=float, metavar="HOURS", help="running demo: jump forward")
    simulate.add_argument("--reset", action="store_true", help="running demo: stop and clear the demo namespace")
    simulate.add_argument("--measures", metavar="IDS", help="running demo: start with these measures in force, "
                          "comma-separated (" + ", ".join(MEASURE_IDS) + "); '' for none")
    simulate.add_argument("--redis-url", help="Redis of the running service (default: the embedded one of DP_DATA_DIR)")
    return simulate


def add_stack(sub) -> argparse.ArgumentParser:
    stack = sub.add_parser("stack", help="the whole set on this machine: Redis, web replicas, ingest workers, "
                           "nginx in front (dashboard/stack.py)")
    stack.add_argument("--web", type=int, default=2, help="web replicas (default 2)")
    stack.add_argument("--ingest", type=int, default=2, help="ingest workers (default 2)")
    stack.add_argument("--shards", type=int, default=3,
                       help="Redis Cluster primaries, each with a replica (default 3); 0: one embedded server")
    stack.add_argument("--host", help="address nginx listens on (DP_HOST, default 127.0.0.1)")
    stack.add_argument("--port", type=int, help="nginx's HTTP port (DP_HTTP_PORT, default 8050)")
    stack.add_argument("--redis-url", help="use this Redis instead of starting one (DP_REDIS_URL, DP_REDIS_CLUSTER)")
    stack.add_argument("--no-simulator", action="store_true",
                       help="serve live partner data only, without the demo simulator")
    return stack


def parse_args(argv: list[str]) -> argparse.Namespace:
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help")):
        argv = ["serve", *argv]
    return build_parser().parse_args(argv)


def _stop_on_sigterm() -> None:
    """SIGTERM and SIGINT both stop the service cleanly, even when it was started where SIGINT is
    ignored (a shell's background job inherits that): its documented stop is Ctrl-C or SIGTERM."""
    def handler(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def serve(args: argparse.Namespace, config: Config) -> int:
    from dashboard.serving import PortPulseServer
    from feeds.embedded import EmbeddedRedis

    config = config.replace(**{k: v for k, v in (("host", args.host), ("http_port", args.port),
                                                  ("redis_url", args.redis_url), ("role", args.role)) if v})
    if not args.no_simulator and config.role != "ingest":  # the demo: its own namespace, on the event clock
        config = with_demo_access(config.replace(demo=True, port_id=DEMO_PORT_ID, clock="event"))
    _stop_on_sigterm()  # until the server takes the signals over
    embedded, code = None, 0
    try:
        if not config.redis_url:
            embedded = EmbeddedRedis(config.data_dir)
            config = config.replace(redis_url=embedded.start())
            print(f"embedded Redis at {config.redis_url} (data in {embedded.data_dir})", flush=True)
        if config.demo:  # the parties the simulator names, and the trucker who follows his boxes on /track
            from dashboard.auth import demo_access
            from dashboard.demo_orgs import prepare_demo_orgs
            prepare_demo_orgs(config, demo_access(config.data_dir)["trucker_password"])
        print_urls(config, f"demo: {config.demo_scenario} at ×{config.demo_speed:g}" if config.demo
                   else "ingest worker" if config.role == "ingest" else "live partner data")
        PortPulseServer(config, make_simulator=demo_simulator if config.demo else None).run()
    except KeyboardInterrupt:
        pass
    except SystemExit as stopped:  # the server's own way out, after its worker has stopped
        code = stopped.code if isinstance(stopped.code, int) else 0
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second signal must not cut the clean-up
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if embedded is not None:
            embedded.stop()
    return code


def with_demo_access(config: Config) -> Config:
    """The demo opens with its own account and wall token unless DP_USERS / DP_WALL_TOKEN say
    otherwise; kept in the data directory so they stay the same between runs."""
    from werkzeug.security import generate_password_hash
    from dashboard.auth import demo_access

    access = demo_access(config.data_dir)
    if not config.users:
        config = config.replace(users={access["user"]: generate_password_hash(access["password"])})
    if not config.wall_token:
        config = config.replace(wall_token=access["wall_token"])
    return config


def print_urls(config: Config, mode: str) -> None:
    base = f"http://{config.host}:{config.http_port}"
    lines = [f"Port Pulse on {base}/  (port {config.port_id}, {mode})"]
    if config.demo:
        from dashboard.auth import demo_access
        access = demo_access(config.data_dir)
        if config.wall_token == access.get("wall_token"):
            lines.append(f"  the wall:         {base}/?token={access['wall_token']}")
        if access.get("user") in config.users:
            lines.append(f"  managers:         {base}/login  (user {access['user']}, password {access['password']})")
            # the demo's own accounts only: with DP_USERS set, no password is printed
            lines.append(f"  a trucker's phone: {base}/track  (user trucker, password {access['trucker_password']})")
        lines.append(f"  demo controls:    {base}/demo")
    lines.append(f"  health:           {base}/healthz")
    print("\n".join(lines), flush=True)


def demo_simulator(svc, reset_namespace):
    """The demo port, publishing through the service's publisher into its (demo) namespace, with
    the presenters' what-if over the reconstruction report (DP_DEMO_REPORT, or the shipped one)."""
    from simulator.live import LiveSimulator
    from simulator.whatif import WhatIf
    return LiveSimulator(svc.profile, svc.publisher.publish, reset_namespace=reset_namespace,
                         boxes_per_day=svc.config.demo_boxes_per_day, what_if=WhatIf(svc.config.demo_report))


def stack(args: argparse.Namespace, config: Config) -> int:
    """The whole set; the work is in dashboard/stack.py. The demo's account and wall token are
    `make run`'s (data/demo-access.json), shared by every replica."""
    from dashboard.stack_cli import run_stack
    if not args.no_simulator:
        config = with_demo_access(config)
    return run_stack(args, config, demo_port_id=DEMO_PORT_ID)


def publish(args: argparse.Namespace, config: Config) -> int:
    import redis

    from feeds.embedded import read_url
    from feeds.publisher import Publisher
    from feeds.replay import replay

    url = args.redis_url or config.redis_url or read_url(config.data_dir)
    if not url:
        print(f"no Redis: start `python run.py` first (it keeps its server in {config.data_dir}) "
              "or give --redis-url", file=sys.stderr)
        return 2
    if not args.file.is_file():
        print(f"no such file: {args.file}", file=sys.stderr)
        return 2
    client = redis.Redis.from_url(url)
    report = replay(Publisher(client, args.port_id or config.port_id), args.file, speed=args.speed)
    print(f"{report.lines} lines: {report.accepted} accepted, {report.duplicates} duplicates, "
          f"{len(report.rejected)} rejected")
    for item in report.rejected[:20]:
        reasons = "; ".join(f"{e['field']}: {e['problem']}" for e in item["errors"])
        print(f"  line {item['line']}: {reasons}")
    return 1 if report.rejected else 0


def simulate(args: argparse.Namespace, config: Config) -> int:
    from simulator import commands
    try:
        if args.report or args.out:
            return commands.offline(args, config.profile)
        return commands.drive_running_demo(args, config, DEMO_PORT_ID)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.command in directory_cli.COMMANDS:  # add-user without --org needs no configuration
        return directory_cli.main(args)
    try:
        config = Config.from_env()
    except ConfigError as exc:
        print(f"configuration: {exc}", file=sys.stderr)
        return 2
    command = {"publish": publish, "simulate": simulate, "stack": stack}.get(args.command, serve)
    return command(args, config)


if __name__ == "__main__":
    sys.exit(main())
