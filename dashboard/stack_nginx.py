"""nginx in front of the stack (dashboard/stack.py): deploy/nginx.conf rendered into the stack's
data directory and run as the stack's child — Debian's binary, `daemon off;`, its pid file, logs
and temporary files in its own prefix, as the user who started the stack."""

from __future__ import annotations

import grp
import os
import pwd
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from dashboard.api.ingest import MAX_BODY_BYTES
from dashboard.stack_procs import ROOT, Child, StackError, get_json

TEMPLATE = ROOT / "deploy" / "nginx.conf"
PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
MISSING = ("nginx is not installed: install Debian's package as root with "
           "`apt-get install -y nginx-light` (`make test` does it when run as root)")
STOP_SECONDS = 10


def nginx_binary() -> str:
    """Debian puts it in /usr/sbin, which a normal user's PATH may lack."""
    found = shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(path, os.X_OK)), None)
    if not found:
        raise StackError(MISSING)
    return found


def render(template: str, values: dict[str, str | list[str]]) -> str:
    """Fill in `{{name}}`; a line whose placeholder stands for a list is repeated once per item."""
    lines = []
    for number, line in enumerate(template.splitlines(), 1):
        names = PLACEHOLDER.findall(line)
        unknown = [name for name in names if name not in values]
        if unknown:
            raise KeyError(f"nginx template line {number}: nothing for {', '.join(unknown)}")
        repeated = {name for name in names if isinstance(values[name], list)}
        if len(repeated) > 1:
            raise ValueError(f"nginx template line {number}: more than one list ({', '.join(sorted(repeated))})")
        items = values[repeated.pop()] if repeated else [None]
        for item in items:
            lines.append(PLACEHOLDER.sub(
                lambda match: str(item if isinstance(values[match.group(1)], list) else values[match.group(1)]),
                line))
    return "\n".join(lines) + "\n"


def listen_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def user_directive() -> str:
    """As root nginx would hand its workers to `nobody`, who cannot enter the stack's folders."""
    if os.geteuid() != 0:
        return "# (no `user`: the master is not root, so its workers run as the user who started it)"
    user, group = pwd.getpwuid(os.geteuid()).pw_name, grp.getgrgid(os.getegid()).gr_name
    return f"user {user} {group};  # the workers run as the user who started the stack"


@dataclass
class Nginx(Child):
    prefix: Path = Path("nginx")
    host: str = "127.0.0.1"
    port: int = 8050

    @property
    def conf(self) -> Path:
        return self.prefix / "nginx.conf"

    @property
    def error_log(self) -> Path:
        return self.prefix / "logs" / "error.log"

    def configure(self, web: list[str], ingest: list[str], demo: list[str]) -> Path:
        """Write the config for these upstream addresses (host:port each)."""
        for folder in (self.prefix / "logs", self.prefix / "tmp"):
            folder.mkdir(parents=True, exist_ok=True)
        text = render(TEMPLATE.read_text(), {
            "user": user_directive(), "listen": listen_address(self.host, self.port),
            "max_body_bytes": str(MAX_BODY_BYTES), "web": web, "ingest": ingest, "demo": demo})
        self.conf.write_text(text)
        return self.conf

    def command(self, *extra: str) -> list[str]:
        return [nginx_binary(), "-c", str(self.conf), "-p", f"{self.prefix}/", "-e", str(self.error_log), *extra]

    def check(self) -> None:
        """`nginx -t`: a config nginx refuses is reported before anything listens."""
        result = subprocess.run(self.command("-t"), capture_output=True, text=True, timeout=30)
        if result.returncode != 0:
            raise StackError(f"nginx refuses {self.conf}:\n{result.stderr.strip()}")

    def start(self, env: dict) -> None:
        self.check()
        self.launch(self.command(), env)

    def ready(self) -> bool:
        if not self.running():
            raise StackError(f"nginx ended while starting (exit code {self.process.returncode}); "
                             f"see {self.error_log} and {self.log_path}")
        probe = "127.0.0.1" if self.host in ("0.0.0.0", "", "*") else "::1" if self.host == "::" else self.host
        return get_json(f"http://{listen_address(probe, self.port)}/healthz") is not None

    def stop(self, timeout: float = STOP_SECONDS, signum: int = 15) -> int | None:
        """SIGTERM: nginx's fast stop (its graceful one, SIGQUIT, would wait for every open wall's
        socket to end; the walls reconnect by themselves)."""
        return super().stop(timeout, signum)
