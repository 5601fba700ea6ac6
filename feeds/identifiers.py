"""Container (ISO 6346) and ship (IMO) numbers: normalised and checked with python-stdnum."""

from __future__ import annotations

from functools import lru_cache

from stdnum import imo, iso6346
from stdnum.exceptions import InvalidChecksum, ValidationError


@lru_cache(maxsize=131_072)  # a box is named by ~10 events per visit: check it once
def check_container(number: str) -> tuple[str | None, str | None]:
    """→ (canonical number, None) or (None, problem). Canonical: upper case, no spaces or dashes."""
    compact = number.replace("-", "").replace(" ", "").strip().upper()
    try:
        return iso6346.validate(compact), None
    except InvalidChecksum:
        digit = iso6346.calc_check_digit(compact[:10])
        return None, f"wrong ISO 6346 check digit (did you mean {compact[:10]}{digit}?)"
    except ValidationError:
        return None, "not an ISO 6346 container number (4 letters ending in U, J or Z, 6 digits, check digit)"


def suggest_container(number: str) -> str | None:
    """The corrected number when only the check digit is wrong, else None."""
    compact = number.replace("-", "").replace(" ", "").strip().upper()
    if len(compact) != 11 or iso6346.is_valid(compact):
        return None
    candidate = compact[:10] + iso6346.calc_check_digit(compact[:10])
    return candidate if iso6346.is_valid(candidate) else None


@lru_cache(maxsize=16_384)
def check_imo(number: str) -> tuple[str | None, str | None]:
    """→ (7-digit IMO number, None) or (None, problem). Accepts an `IMO ` prefix."""
    try:
        return imo.validate(number), None
    except InvalidChecksum:
        return None, "wrong IMO check digit"
    except ValidationError:
        return None, "not an IMO number (7 digits with a check digit)"
