"""One sender per channel kind (docs/notifications.md, "Channels"): each takes a delivery's notices
and answers (status, error) — error None means delivered. requests for HTTP, smtplib for mail.

Every message carries the delivery's stable notice id (`X-PortPulse-Notice` on HTTP, the
`Message-ID` of a mail), so a receiver can recognise a repeat of the at-least-once outbox.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import smtplib
import ssl
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import unquote, urlsplit

import orjson
import requests

from dashboard.notify.messages import headline, markdown, plain_text, webhook_body
from feeds.delivery_state import sign

TIMEOUT = (5.0, 10.0)  # connect, read
SMTP_TIMEOUT = 15.0
NOTICE_HEADER = "X-PortPulse-Notice"


@dataclass(frozen=True)
class Outgoing:
    notice_id: str  # the delivery's stable id (a digest's own)
    items: list  # the notices it carries
    digest: bool
    base_url: str  # put before each notice's link


@dataclass(frozen=True)
class SmtpSettings:
    url: str | None
    sender: str


def dingtalk_signed_url(url: str, secret: str, now_ms: int | None = None) -> tuple[str, dict]:
    """(url, query params `timestamp`, `sign`): sign = base64(HMAC-SHA256(secret, f"{ts}\\n{secret}")),
    url-encoded by requests as DingTalk asks."""
    timestamp = str(now_ms if now_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return url, {"timestamp": timestamp, "sign": base64.b64encode(digest).decode()}


def _post(session: requests.Session, url: str, body: bytes, headers: dict, params=None) -> requests.Response:
    return session.post(url, data=body, params=params, timeout=TIMEOUT, allow_redirects=False,
                        headers={"Content-Type": "application/json", **headers})


def _http_outcome(answer: requests.Response, robot: bool) -> tuple[int, str | None]:
    """A robot answers 200 with `{"errcode": 0}`; any other errcode is a failure."""
    if not 200 <= answer.status_code < 300:
        return answer.status_code, f"HTTP {answer.status_code}"
    if not robot:
        return answer.status_code, None
    try:
        reply = answer.json()
    except ValueError:
        return answer.status_code, "the robot's answer is not JSON"
    if not isinstance(reply, dict) or reply.get("errcode") != 0:
        detail = reply.get("errmsg") if isinstance(reply, dict) else None
        return answer.status_code, f"errcode {reply.get('errcode') if isinstance(reply, dict) else '?'}: {detail}"[:300]
    return answer.status_code, None


def send_webhook(session, channel: dict, out: Outgoing) -> tuple[int | None, str | None]:
    body = orjson.dumps(webhook_body(out.notice_id, out.items, out.base_url, out.digest))
    headers = {"Notification-Signature": sign(body, channel["secret"]), NOTICE_HEADER: out.notice_id}
    return _http_outcome(_post(session, channel["url"], body, headers), robot=False)


def send_wecom(session, channel: dict, out: Outgoing) -> tuple[int | None, str | None]:
    content = markdown(out.items, channel["lang"], out.base_url)
    body = orjson.dumps({"msgtype": "markdown", "markdown": {"content": content}})
    return _http_outcome(_post(session, channel["url"], body, {NOTICE_HEADER: out.notice_id}), robot=True)


def send_dingtalk(session, channel: dict, out: Outgoing) -> tuple[int | None, str | None]:
    lang = channel["lang"]
    body = orjson.dumps({"msgtype": "markdown", "markdown": {
        "title": headline(out.items, lang), "text": markdown(out.items, lang, out.base_url)}})
    url, params = channel["url"], None
    if channel.get("secret"):
        url, params = dingtalk_signed_url(url, channel["secret"])
    return _http_outcome(_post(session, url, body, {NOTICE_HEADER: out.notice_id}, params), robot=True)


def mail_of(channel: dict, out: Outgoing, sender: str) -> EmailMessage:
    lang = channel["lang"]
    message = EmailMessage()
    message["Subject"] = headline(out.items, lang)
    message["From"] = sender
    message["To"] = ", ".join(channel["to"])
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = f"<{out.notice_id}.{channel['id']}@portpulse>"  # the same on every repeat
    message[NOTICE_HEADER] = out.notice_id
    message.set_content(plain_text(out.items, lang, out.base_url))
    return message


def send_email(smtp: SmtpSettings, channel: dict, out: Outgoing) -> tuple[int | None, str | None]:
    """`smtp://host:port` plain, `smtp+starttls://` upgraded, `smtps://` TLS from the start."""
    if not smtp.url:
        return None, "no mail server configured (DP_SMTP_URL)"
    parts = urlsplit(smtp.url)
    secure = parts.scheme == "smtps"
    opener = smtplib.SMTP_SSL if secure else smtplib.SMTP
    kwargs = {"context": ssl.create_default_context()} if secure else {}
    with opener(parts.hostname, parts.port or (465 if secure else 25), timeout=SMTP_TIMEOUT, **kwargs) as server:
        if parts.scheme == "smtp+starttls":
            server.starttls(context=ssl.create_default_context())
        if parts.username:
            server.login(unquote(parts.username), unquote(parts.password or ""))
        # a partial refusal still delivered to the others: sending again would repeat it to them
        server.send_message(mail_of(channel, out, smtp.sender))
    return 250, None


HTTP_SENDERS = {"webhook": send_webhook, "wecom": send_wecom, "dingtalk": send_dingtalk}


def send(session, smtp: SmtpSettings, channel: dict, out: Outgoing) -> tuple[int | None, str | None]:
    """→ (status, None) when delivered; (status or None, why) when not."""
    try:
        if channel["kind"] == "email":
            return send_email(smtp, channel, out)
        return HTTP_SENDERS[channel["kind"]](session, channel, out)
    except (requests.RequestException, smtplib.SMTPException, OSError) as exc:
        return None, f"{type(exc).__name__}: {exc}"[:300]
