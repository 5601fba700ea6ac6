"""The login form, as plain HTML: it works before any script has loaded, and every value in it
is escaped."""

from __future__ import annotations

from urllib.parse import urlencode

from markupsafe import escape

from layouts.i18n import text

PROBLEMS = {"wrong": "login_wrong", "expired": "login_expired"}


def login_page(lang: str, target: str, csrf_token: str, problem: str | None = None) -> str:
    other = "en" if lang == "zh" else "zh"
    message = f'<p class="login-problem" role="alert">{escape(text(PROBLEMS[problem], lang))}</p>' if problem else ""
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(text("login_title", lang))}</title><link rel="stylesheet" href="/assets/portpulse.css"></head>
<body><main class="login">
<h1>{escape(text("login_title", lang))}</h1>{message}
<form method="post" action="/login">
<input type="hidden" name="csrf_token" value="{escape(csrf_token)}">
<input type="hidden" name="next" value="{escape(target)}">
<input type="hidden" name="lang" value="{lang}">
<label for="username">{escape(text("login_user", lang))}</label>
<input id="username" name="username" autocomplete="username" required autofocus>
<label for="password">{escape(text("login_password", lang))}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">{escape(text("login_submit", lang))}</button>
</form>
<p><a href="/login?{escape(urlencode({"lang": other, "next": target}))}">{"English" if other == "en" else "中文"}</a></p>
</main></body></html>"""
