"""Request limits (flask-limiter), counted in the service's own Redis so that every process of
one port shares them. Logins are limited per client address; #7 adds limits per partner key."""

from __future__ import annotations

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from feeds.keys import PortKeys


def make_limiter(server: Flask, config) -> Limiter:
    return Limiter(get_remote_address, app=server, storage_uri=config.redis_url,
                   key_prefix=PortKeys(config.port_id).limits, headers_enabled=True,
                   strategy="moving-window",
                   swallow_errors=True)  # Redis away: let requests through rather than fail them
