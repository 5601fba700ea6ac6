"""Port profiles: one TOML file per port (feeds/profiles/<id>.toml), loaded into plain data."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

PROFILES = Path(__file__).resolve().parent / "profiles"
STAGE_PARTIES = {
    "import": {"awaiting_discharge": "terminal", "awaiting_release": "customs",
               "in_inspection": "inspection", "awaiting_pickup": "trucking", "gated_out": None},
    "export": {"awaiting_gate_in": "trucking", "awaiting_release": "customs",
               "in_inspection": "inspection", "awaiting_loading": "terminal", "loaded": None},
}


class ProfileError(ValueError):
    pass


@dataclass(frozen=True)
class Terminal:
    id: str
    name: dict
    berths: tuple[str, ...]
    gates: tuple[dict, ...]
    diversion_since: str | None = None   # ISO date smart diversion began here (None: not yet)


@dataclass(frozen=True)
class PortProfile:
    id: str
    name: dict
    timezone: ZoneInfo
    terminals: tuple[Terminal, ...]
    inspection_sites: tuple[dict, ...]
    sla_hours: dict            # direction → stage → hours
    yard_transfer_hours: float
    berth_tolerance_hours: float
    late_box_share: float
    unlocode: str | None = None  # UN/LOCODE (`CNXMN`): where DCSA events published here happen

    @property
    def berths(self) -> tuple[str, ...]:
        return tuple(berth for terminal in self.terminals for berth in terminal.berths)


def load_profile(port_id: str, directory: Path = PROFILES) -> PortProfile:
    path = directory / f"{port_id}.toml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in directory.glob("*.toml")))
        raise ProfileError(f"no port profile {path.name} (profiles: {known})")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        return _build(raw)
    except (KeyError, TypeError, ValueError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"{path.name}: {exc}") from exc


def _build(raw: dict) -> PortProfile:
    sla = {direction: {stage: float(hours) for stage, hours in raw["sla_hours"][direction].items()}
           for direction in STAGE_PARTIES}
    for direction, stages in sla.items():
        unknown = set(stages) - set(STAGE_PARTIES[direction])
        if unknown:
            raise ValueError(f"sla_hours.{direction}: unknown stages {sorted(unknown)}")
    return PortProfile(
        id=raw["id"], name=dict(raw["name"]), timezone=ZoneInfo(raw["timezone"]),
        terminals=tuple(Terminal(t["id"], dict(t["name"]), tuple(t["berths"]), tuple(t.get("gates", ())),
                                 t.get("diversion_since")) for t in raw["terminals"]),
        inspection_sites=tuple(raw.get("inspection_sites", ())),
        sla_hours=sla,
        yard_transfer_hours=float(raw["yard_transfer_hours"]),
        berth_tolerance_hours=float(raw["delays"]["vessel_berth_tolerance_hours"]),
        late_box_share=float(raw["delays"]["vessel_late_box_share"]),
        unlocode=raw.get("unlocode"),
    )
