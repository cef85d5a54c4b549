"""
EC2 XML out: a handler's plain result (dicts, lists, scalars) becomes the response body.

The rules are EC2's: the root is ``<{Action}Response xmlns="http://ec2.amazonaws.com/doc/
2016-11-15/">`` with ``<requestId>`` first; every list is a run of ``<item>`` elements; an
empty list is an empty element; booleans are ``true``/``false``; timestamps are ISO 8601
in UTC with milliseconds; None leaves the element out. Errors use EC2's envelope
``<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

__all__ = ["NAMESPACE", "iso8601", "render_error", "render_response"]

NAMESPACE = "http://ec2.amazonaws.com/doc/2016-11-15/"
_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def iso8601(moment: datetime) -> str:
    """Format ``moment`` as EC2 does: ``2024-05-01T12:00:00.000Z``."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return iso8601(value)
    return escape(str(value))


def _write(out: list[str], name: str, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, Mapping):
        out.append(f"<{name}>")
        for key, child in value.items():
            _write(out, key, child)
        out.append(f"</{name}>")
    elif isinstance(value, list | tuple):
        if not value:
            out.append(f"<{name}/>")
            return
        out.append(f"<{name}>")
        for item in value:
            _write(out, "item", item)
        out.append(f"</{name}>")
    else:
        out.append(f"<{name}>{_text(value)}</{name}>")


def render_response(action: str, body: Mapping[str, Any], request_id: str) -> bytes:
    """
    Render a successful answer.

    Args:
        action: the EC2 action, e.g. ``"DescribeInstances"``.
        body: the result's elements in order; nested dicts, lists and scalars.
        request_id: the ``<requestId>``.

    Returns:
        The UTF-8 XML document.
    """
    out = [_DECLARATION, f'<{action}Response xmlns="{NAMESPACE}">']
    out.append(f"<requestId>{escape(request_id)}</requestId>")
    for key, value in body.items():
        _write(out, key, value)
    out.append(f"</{action}Response>")
    return "".join(out).encode()


def render_error(code: str, message: str, request_id: str) -> bytes:
    """Render EC2's error envelope for ``code`` and ``message``."""
    return (
        f"{_DECLARATION}<Response><Errors><Error><Code>{escape(code)}</Code>"
        f"<Message>{escape(message)}</Message></Error></Errors>"
        f"<RequestID>{escape(request_id)}</RequestID></Response>"
    ).encode()
