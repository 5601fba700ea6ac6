"""The demo's organisations and its trucker's account (`run.py serve` in demo mode).

The simulator names its parties from a fixed pool (simulator/parties.py); here they become
organisations of the demo port's directory, and one trucker account (`trucker`, of
`simulator.parties.DEMO_TRUCKER_ORG`) opens the phone page, /track, on that company's boxes.
Made once: an organisation that exists is left as it is, and the account is only (re)made when it
is missing or no longer opens with the password kept in demo-access.json (dashboard/auth.py).
"""

from __future__ import annotations

import logging

from werkzeug.security import check_password_hash

from dashboard.orgs import Directory, DirectoryError
from simulator.parties import DEMO_ORGS, DEMO_TRUCKER_ORG

log = logging.getLogger(__name__)
TRUCKER = "trucker"


def ensure_demo_orgs(directory: Directory, trucker_password: str) -> list[str]:
    """Add the demo's organisations that are missing and the trucker's account; → what was added."""
    added = []
    for org_id, (name, kind) in DEMO_ORGS.items():
        if directory.org(org_id) is not None:
            continue
        try:
            directory.add_org(org_id, name, kind)
            added.append(org_id)
        except DirectoryError as exc:  # made meanwhile by another replica, or its id taken: keep theirs
            log.info("demo organisation %s not added: %s", org_id, exc)
    account = directory.account(TRUCKER)
    if account is None or account.org != DEMO_TRUCKER_ORG or not check_password_hash(account.password_hash,
                                                                                      trucker_password):
        directory.add_account(TRUCKER, DEMO_TRUCKER_ORG, trucker_password)
        added.append(TRUCKER)
    return added


def prepare_demo_orgs(config, trucker_password: str) -> None:
    """run.py, once the demo's Redis is up: its organisations and trucker in its directory. A Redis
    that does not answer leaves a warning; the demo runs without them."""
    from feeds.redis_client import STORE_ERRORS, connect
    try:
        directory = Directory(connect(config.redis_url, cluster=config.redis_cluster), config.port_id)
        added = ensure_demo_orgs(directory, trucker_password)
    except (*STORE_ERRORS, DirectoryError) as exc:
        log.warning("the demo's organisations and trucker were not made: %s", exc)
        return
    if added:
        log.info("demo directory: added %s", ", ".join(added))
