"""Port Pulse command line: serve the wall (default) or publish a recorded feed.

    python run.py [--host H] [--port P] [--redis-url URL] [--no-simulator]
    python run.py publish FILE.jsonl [--speed X] [--redis-url URL] [--port-id ID]

Without a Redis URL (flag or DP_REDIS_URL) `serve` starts the embedded valkey-server in
DP_DATA_DIR and stops it again on Ctrl-C or SIGTERM; `publish` finds that server through the URL
file it leaves in DP_DATA_DIR.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from dashboard.config import Config, ConfigError

COMMANDS = ("serve", "publish")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="run.py", description="Port Pulse: the digital port's live operations wall.")
    sub = parser.add_subparsers(dest="command", metavar="{serve,publish}")
    serve = sub.add_parser("serve", help="serve the wall and the partner API (the default)")
    serve.add_argument("--host", help="address to listen on (DP_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="HTTP port (DP_HTTP_PORT, default 8050)")
    serve.add_argument("--redis-url", help="use this Redis instead of the embedded server (DP_REDIS_URL)")
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
    return parser


def parse_args(argv: list[str]) -> argparse.Namespace:
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help")):
        argv = ["serve", *argv]
    return build_parser().parse_args(argv)


def _stop_on_sigterm() -> None:
    def handler(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, handler)


def serve(args: argparse.Namespace, config: Config) -> int:
    from dashboard.app import create_app, socketio_of, stop_app
    from feeds.embedded import EmbeddedRedis

    config = config.replace(**{k: v for k, v in (("host", args.host), ("http_port", args.port),
                                                  ("redis_url", args.redis_url)) if v})
    _stop_on_sigterm()
    embedded = app = None
    try:
        if not config.redis_url:
            embedded = EmbeddedRedis(config.data_dir)
            config = config.replace(redis_url=embedded.start())
            print(f"embedded Redis at {config.redis_url} (data in {embedded.data_dir})", flush=True)
        app = create_app(config)
        print(f"Port Pulse on http://{config.host}:{config.http_port}/  (port {config.port_id})", flush=True)
        socketio_of(app).run(app.server, host=config.host, port=config.http_port,
                             allow_unsafe_werkzeug=True, use_reloader=False, log_output=False)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second signal must not cut the clean-up
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if app is not None:
            stop_app(app)
        if embedded is not None:
            embedded.stop()
    return 0


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


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        config = Config.from_env()
    except ConfigError as exc:
        print(f"configuration: {exc}", file=sys.stderr)
        return 2
    return publish(args, config) if args.command == "publish" else serve(args, config)


if __name__ == "__main__":
    sys.exit(main())
