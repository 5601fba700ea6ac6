"""`run.py` commands for the organisations' directory (docs/organisations.md):

    python run.py add-org ID --name NAME --kind KIND [--source SRC ...]
    python run.py remove-org ID
    python run.py add-user NAME --org ID      (without --org: prints a DP_USERS line, as always)
    python run.py remove-user NAME
    python run.py add-key --org ID            (prints the new read key, this once)
    python run.py list-orgs
    python run.py add-channel --org ID --kind webhook|wecom|dingtalk|email (--url URL | --to ADDR)
                  [--secret S] [--digest-minutes N] [--lang zh|en]   (docs/notifications.md)
    python run.py remove-channel --org ID CHANNEL_ID
    python run.py list-channels --org ID

Each takes `--redis-url URL` (else DP_REDIS_URL, else the embedded server of DP_DATA_DIR, as
`publish` finds it) and `--port-id ID` (else DP_PORT_ID; `make run`'s demo serves port `demo`).
"""

from __future__ import annotations

import argparse
import getpass
import sys

from dashboard.config import Config, ConfigError
from dashboard.notify.channels import CHANNEL_KINDS, ChannelError, ChannelStore, public_view
from dashboard.orgs import MIN_PASSWORD, ORG_KINDS, USER_NAME, Directory, DirectoryError
from feeds.redis_client import STORE_ERRORS

COMMANDS = ("add-org", "remove-org", "add-user", "remove-user", "add-key", "list-orgs", "add-channel",
            "remove-channel", "list-channels")


def add_parsers(sub) -> list[tuple[str, argparse.ArgumentParser]]:
    """The directory's subcommands on run.py's parser; → (name, parser) for its epilog."""
    made = {}
    made["add-org"] = org = sub.add_parser("add-org", help="add an organisation (a party, or the task force)")
    org.add_argument("id", help="its id: a-z 0-9 . _ - (up to 64)")
    org.add_argument("--name", required=True, help="its name as people read it")
    org.add_argument("--kind", required=True, choices=ORG_KINDS, help="what it is (taskforce: sees the whole port)")
    org.add_argument("--source", action="append", default=[], metavar="SRC",
                     help="a partner source it sends as, e.g. trucking.x (repeat for more)")
    made["remove-org"] = sub.add_parser("remove-org", help="remove an organisation, its users and its read keys")
    made["remove-org"].add_argument("id")
    made["add-user"] = user = sub.add_parser(
        "add-user", help="with --org: add (or change the password of) an organisation's user; without: "
        "print a manager's DP_USERS line name=hash. Asks for the password (or reads it from standard input)")
    user.add_argument("name", help="the user name (letters, digits, . _ -)")
    user.add_argument("--org", help="the organisation's id: keep the account in the port's Redis")
    made["remove-user"] = sub.add_parser("remove-user", help="remove an organisation's user")
    made["remove-user"].add_argument("name")
    made["add-key"] = sub.add_parser("add-key", help="make a read key for an organisation; printed this once")
    made["add-key"].add_argument("--org", required=True, help="the organisation's id")
    made["list-orgs"] = sub.add_parser("list-orgs", help="the organisations, their users and how many read keys")
    made.update(_channel_parsers(sub))
    for name, parser in made.items():
        parser.add_argument("--redis-url", help="the port's Redis (DP_REDIS_URL; default: the embedded server "
                            "of DP_DATA_DIR)" + ("; with --org only" if name == "add-user" else ""))
        parser.add_argument("--port-id", help="the port namespace (DP_PORT_ID, default xiamen; the demo: demo)")
    return list(made.items())


def main(args: argparse.Namespace) -> int:
    if args.command == "add-user" and not args.org:
        return print_users_line(args.name)  # needs no configuration, no Redis
    try:
        config = Config.from_env()
    except ConfigError as exc:
        print(f"configuration: {exc}", file=sys.stderr)
        return 2
    directory = open_directory(args, config)
    if directory is None:
        return 2
    try:
        return COMMAND_BODIES[args.command](args, directory)
    except (DirectoryError, ChannelError) as exc:
        print(f"{args.command}: {exc}", file=sys.stderr)
        return 2
    except STORE_ERRORS as exc:
        print(f"{args.command}: Redis: {exc}", file=sys.stderr)
        return 2


def open_directory(args: argparse.Namespace, config: Config) -> Directory | None:
    from feeds.embedded import read_url
    from feeds.redis_client import connect

    url = args.redis_url or config.redis_url or read_url(config.data_dir)
    if not url:
        print(f"no Redis: start `python run.py` first (it keeps its server in {config.data_dir}) "
              "or give --redis-url", file=sys.stderr)
        return None
    client = connect(url, cluster=config.redis_cluster)
    try:  # the directory's reads forgive an absent Redis; a command must not
        client.ping()
    except STORE_ERRORS as exc:
        print(f"no Redis at {url}: {exc}", file=sys.stderr)
        return None
    return Directory(client, args.port_id or config.port_id)


def read_password(name: str) -> str | None:
    """Twice without echo on a terminal, else one line of standard input; None (said why) when
    it will not do."""
    if sys.stdin.isatty():
        password = getpass.getpass(f"password for {name}: ")
        if getpass.getpass("again: ") != password:
            print("add-user: the two passwords differ", file=sys.stderr)
            return None
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < MIN_PASSWORD:
        print(f"add-user: a password has at least {MIN_PASSWORD} characters", file=sys.stderr)
        return None
    return password


def print_users_line(name: str) -> int:
    """Prints `name=hash` for DP_USERS (or a DP_USERS_FILE line); the password never echoes."""
    from werkzeug.security import generate_password_hash

    if not USER_NAME.fullmatch(name):
        print("add-user: a name is 1 to 64 letters, digits, dots, dashes or underscores", file=sys.stderr)
        return 2
    password = read_password(name)
    if password is None:
        return 2
    print(f"{name}={generate_password_hash(password)}")
    return 0


def _add_org(args, directory: Directory) -> int:
    org = directory.add_org(args.id, args.name, args.kind, args.source)
    print(f"organisation {org.id} added ({org.kind})")
    return 0


def _remove_org(args, directory: Directory) -> int:
    directory.remove_org(args.id)
    print(f"organisation {args.id} removed, with its users and read keys")
    return 0


def _add_user(args, directory: Directory) -> int:
    if directory.org(args.org) is None:  # said before the password is asked, not after
        raise DirectoryError(f"no organisation {args.org!r}")
    if not USER_NAME.fullmatch(args.name):
        raise DirectoryError("a user name is 1 to 64 letters, digits, dots, dashes or underscores")
    password = read_password(args.name)
    if password is None:
        return 2
    replaced = directory.account(args.name) is not None
    directory.add_account(args.name, args.org, password)
    print(f"user {args.name} of {args.org} {'changed' if replaced else 'added'}")
    return 0


def _remove_user(args, directory: Directory) -> int:
    directory.remove_account(args.name)
    print(f"user {args.name} removed")
    return 0


def _add_key(args, directory: Directory) -> int:
    key = directory.add_read_key(args.org)
    print(key)
    print(f"the read key of {args.org} (shown this once: only its digest is kept); "
          "send it as `Authorization: Bearer <key>`", file=sys.stderr)
    return 0


def _list_orgs(args, directory: Directory) -> int:
    orgs = directory.orgs()
    if not orgs:
        print(f"no organisations in port {directory.keys.port_id}")
    for org in orgs:
        users = ", ".join(a.name for a in directory.accounts(org.id)) or "-"
        print(f"{org.id}  {org.kind}  {org.name!r}  sources: {', '.join(org.sources) or '-'}  "
              f"users: {users}  read keys: {directory.key_count(org.id)}")
    return 0


def _channel_parsers(sub) -> dict[str, argparse.ArgumentParser]:
    """An organisation's notification channels (docs/notifications.md, "Channels")."""
    made = {}
    made["add-channel"] = add = sub.add_parser("add-channel", help="add a notification channel to an organisation")
    add.add_argument("--org", required=True, help="the organisation's id")
    add.add_argument("--kind", required=True, choices=CHANNEL_KINDS)
    add.add_argument("--url", help="webhook, wecom, dingtalk: where to POST (a host in DP_CALLBACK_HOSTS)")
    add.add_argument("--to", help="email: the addresses, comma-separated")
    add.add_argument("--secret", help="webhook: base64 of 16+ bytes to sign with; dingtalk: the robot's SEC…")
    add.add_argument("--digest-minutes", type=int, default=0, help="0: each at once; N: one message per N minutes")
    add.add_argument("--lang", choices=("zh", "en"), default="zh")
    made["remove-channel"] = remove = sub.add_parser("remove-channel", help="remove an organisation's channel")
    remove.add_argument("--org", required=True, help="the organisation's id")
    remove.add_argument("channel_id")
    made["list-channels"] = listed = sub.add_parser("list-channels", help="an organisation's channels (no secrets)")
    listed.add_argument("--org", required=True, help="the organisation's id")
    return made


def _channels(directory: Directory, org: str) -> ChannelStore:
    from feeds.subscriptions import CallbackPolicy

    if directory.org(org) is None:
        raise DirectoryError(f"no organisation {org!r}")
    policy = CallbackPolicy(Config.from_env().callback_hosts)
    return ChannelStore(directory._client, directory.keys.port_id, policy)  # the directory's own connection


def _add_channel(args, directory: Directory) -> int:
    given = {"kind": args.kind, "url": args.url, "to": args.to, "secret": args.secret,
             "digest_minutes": args.digest_minutes, "lang": args.lang}
    channel = _channels(directory, args.org).add(args.org, given)
    print(channel["id"])
    print(f"channel {channel['id']} ({channel['kind']}) added to {args.org}", file=sys.stderr)
    return 0


def _remove_channel(args, directory: Directory) -> int:
    _channels(directory, args.org).remove(args.org, args.channel_id)
    print(f"channel {args.channel_id} of {args.org} removed")
    return 0


def _list_channels(args, directory: Directory) -> int:
    for channel in _channels(directory, args.org).of(args.org):
        view = public_view(channel)
        print(f"{view['id']}  {view['kind']}  {view.get('url') or ', '.join(view.get('to', ()))}  "
              f"digest: {view['digest_minutes']} min  lang: {view['lang']}  secret: {view.get('secret', '-')}")
    return 0


COMMAND_BODIES = {"add-org": _add_org, "remove-org": _remove_org, "add-user": _add_user,
                  "remove-user": _remove_user, "add-key": _add_key, "list-orgs": _list_orgs,
                  "add-channel": _add_channel, "remove-channel": _remove_channel, "list-channels": _list_channels}
