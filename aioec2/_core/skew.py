"""
Clock skew: whether EC2 refused a request for its time, and how far off the signing clock is.

A signature carries the request's time (SigV4's ``X-Amz-Date``, SigV2's ``Timestamp``) and
EC2 refuses one that is more than about five minutes from its own clock. A machine whose
clock is wrong would then fail every call. The AWS SDKs correct for it (AWS SDK for Java v2,
``ClockSkewAdjuster`` and ``ClockSkew``; the JavaScript v3 ``systemClockOffset``): when an
answer is a clock-skew error *and* the HTTP ``Date`` header of that answer is more than four
minutes from the clock that signed the request, they remember the difference and sign again
with the corrected time. This module makes that decision; ``session.py`` applies it.

Pure: the local time is an argument, nothing here reads a clock.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

__all__ = ["SKEW_CODES", "THRESHOLD", "clock_offset", "is_skew_error", "server_time"]

#: Codes that say the request's time is wrong (the Java SDK's clock-skew codes). EC2 itself
#: answers ``RequestExpired``; the others come from AWS's shared front ends.
SKEW_CODES = frozenset(
    {
        "RequestTimeTooSkewed",
        "RequestExpired",
        "RequestInTheFuture",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
    }
)
#: A skew smaller than this is left alone (the Java SDK's ``CLOCK_SKEW_ADJUST_THRESHOLD``):
#: EC2 accepts five minutes either way, so less than four is not what failed the request.
THRESHOLD = timedelta(minutes=4)
# AuthFailure is EC2's catch-all for authentication; only one that speaks of time is a skew
# ("Signature expired: 20240501T120000Z is now earlier than ...", "Signature not yet current").
_TIME_WORDS = re.compile(
    r"expired|not yet current|skew|clock|in the future|earlier than|later than|x-amz-date",
    re.IGNORECASE,
)
# Any Date further out than this is not a clock, it is garbage (or an attack on our signing).
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def is_skew_error(code: str, message: str) -> bool:
    """
    Return True when EC2's error ``code`` (and, for ``AuthFailure``, ``message``) is a skew.

    Args:
        code: the error code, e.g. ``"RequestExpired"``.
        message: the error message.
    """
    if code in SKEW_CODES:
        return True
    return code == "AuthFailure" and _TIME_WORDS.search(message) is not None


def server_time(date_header: str | None) -> datetime | None:
    """
    Read an HTTP ``Date`` header (RFC 9110: IMF-fixdate, or the obsolete RFC 850 and asctime).

    Args:
        date_header: the header's value, or None when the answer had none.

    Returns:
        The time as an aware UTC datetime; None when absent, unreadable, or before 2000 or
        after 9000.
    """
    if not date_header:
        return None
    try:
        moment = parsedate_to_datetime(date_header)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment if _EARLIEST <= moment < _LATEST else None


def clock_offset(
    code: str, message: str, date_header: str | None, *, local_now: datetime
) -> timedelta | None:
    """
    Return how far the signing clock is behind EC2's, when that is why a request failed.

    Args:
        code: the error code of the answer.
        message: the error message of the answer.
        date_header: the answer's HTTP ``Date`` header (None when absent).
        local_now: the time by the clock that signed the request, when the answer arrived
            (aware).

    Returns:
        ``server time - local_now`` when the error is a clock-skew error (see
        :func:`is_skew_error`) and the two differ by more than :data:`THRESHOLD`; otherwise
        None. Add it to the signing clock's offset to sign with EC2's time.
    """
    if not is_skew_error(code, message):
        return None
    server = server_time(date_header)
    if server is None:
        return None
    offset = server - local_now
    return offset if abs(offset) > THRESHOLD else None
