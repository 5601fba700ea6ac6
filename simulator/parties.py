"""The demo's organisations, and which of them each box and declaration is for (`parties` on the
events, docs/events.md): the one place they are named.

Each declaration gets a customs broker and a cargo owner (the consignee of an import, the shipper
of an export), each import box a trucking company that picks it up. The draws are pure functions
of the box's and the declaration's own streams (simulator/draws.py, purposes of their own), so
naming parties changes no other draw: the same seed gives the same traffic, now with parties.

Which events carry them: `declaration.filed` (broker and cargo owner), an import's
`container.discharged` (consignee, and the trucker the pickup is booked with: the terminal knows
it from the delivery order, and it is what lets the trucker follow the box from the quay to its
release) and the trucker's `gate.in` / `gate.out` of the import (trucking).
"""

from __future__ import annotations

from simulator import draws

# id → (name, kind): `run.py serve` makes these organisations in the demo's directory
DEMO_ORGS = {
    "hx-trucking": ("海翔车队 Haixiang Trucking", "trucking"),
    "lianfa-logistics": ("联发物流 Lianfa Logistics", "trucking"),
    "xm-haicang-fleet": ("海沧车队 Haicang Fleet", "trucking"),
    "xm-brokers": ("厦门报关行 Xiamen Customs Brokers", "broker"),
    "jinxia-brokers": ("金厦报关 Jinxia Brokers", "broker"),
    "minnan-foods": ("闽南食品 Minnan Foods", "consignee"),
    "xm-electronics": ("厦门电子 Xiamen Electronics", "consignee"),
    "tongan-furniture": ("同安家具 Tong'an Furniture", "consignee"),
}
TRUCKING = tuple(org for org, (_, kind) in DEMO_ORGS.items() if kind == "trucking")
BROKERS = tuple(org for org, (_, kind) in DEMO_ORGS.items() if kind == "broker")
CARGO_OWNERS = tuple(org for org, (_, kind) in DEMO_ORGS.items() if kind == "consignee")
DEMO_TRUCKER_ORG = TRUCKING[0]  # the demo's trucker account belongs to it
P_BROKER, P_OWNER, P_TRUCKING = 950, 951, 952  # draw purposes no other draw uses


def _one_of(pool: tuple[str, ...], key: int, purpose: int) -> str:
    return pool[int(draws.uniform01(key, purpose) * len(pool))]


def cargo_owner(box) -> str:
    return _one_of(CARGO_OWNERS, box.declaration.key, P_OWNER)


def of_declaration(box) -> dict:
    """A declaration's broker and cargo owner (its boxes share them)."""
    owner_role = "consignee" if box.direction == "import" else "shipper"
    return {"broker": _one_of(BROKERS, box.declaration.key, P_BROKER), owner_role: cargo_owner(box)}


def trucker(box) -> str:
    return _one_of(TRUCKING, box.key, P_TRUCKING)


def of_discharge(box) -> dict:
    return {"consignee": cargo_owner(box), "trucking": trucker(box)}


def of_gate(box) -> dict | None:
    """The trucker of an import's pickup; an export's gate-in names nobody here."""
    return {"trucking": trucker(box)} if box.direction == "import" else None
