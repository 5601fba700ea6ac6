"""Container (ISO 6346) and ship (IMO) numbers: normalised and checked with python-stdnum."""

from __future__ import annotations

import re
from functools import lru_cache

from stdnum import imo, iso6346
from stdnum.exceptions import InvalidChecksum, ValidationError


# Owner code (3 letters), category U, J or Z, serial (6 digits), check digit: ASCII only, so the
# check-digit arithmetic below never meets a character it cannot weigh.
_ISO6346 = re.compile(r"[A-Z]{3}[UJZ][0-9]{6}[0-9]")
_NOT_ISO6346 = "not an ISO 6346 container number (3 letters, then U, J or Z, 6 digits, check digit)"


def _compact(number: str) -> str:
    return number.replace("-", "").replace(" ", "").strip().upper()


@lru_cache(maxsize=131_072)  # a box is named by ~10 events per visit: check it once
def check_container(number: str) -> tuple[str | None, str | None]:
    """→ (canonical number, None) or (None, problem). Canonical: upper case, no spaces or dashes."""
    compact = _compact(number)
    if not _ISO6346.fullmatch(compact):
        return None, _NOT_ISO6346
    digit = iso6346.calc_check_digit(compact[:10])
    if digit != compact[10]:
        return None, f"wrong ISO 6346 check digit (did you mean {compact[:10]}{digit}?)"
    return compact, None


def suggest_container(number: str) -> str | None:
    """The corrected number when only the check digit is wrong, else None."""
    compact = _compact(number)
    if not _ISO6346.fullmatch(compact):
        return None
    candidate = compact[:10] + iso6346.calc_check_digit(compact[:10])
    return candidate if candidate != compact else None


@lru_cache(maxsize=16_384)
def check_imo(number: str) -> tuple[str | None, str | None]:
    """→ (7-digit IMO number, None) or (None, problem). Accepts an `IMO ` prefix."""
    try:
        return imo.validate(number), None
    except InvalidChecksum:
        return None, "wrong IMO check digit"
    except ValidationError:
        return None, "not an IMO number (7 digits with a check digit)"
