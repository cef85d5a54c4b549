"""
One request through the fake, without I/O: authenticate, throttle, inject faults, act,
render; and keep the record of every request.

The aiohttp front (``_server``) only turns HTTP into a :class:`RawRequest` and carries out
the :class:`Outcome`: answer, answer late, or drop the connection.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import attrs

from aioec2.testing._auth import RawRequest, authenticate
from aioec2.testing._model import FakeError
from aioec2.testing._params import AUTH_PARAMS
from aioec2.testing._render import render_error, render_response
from aioec2.testing._state import HANDLERS

if TYPE_CHECKING:
    from aioec2.credentials import Credentials
    from aioec2.testing._faults import Fault, Faults
    from aioec2.testing._state import EC2State
    from aioec2.testing._throttle import Throttle

__all__ = ["Outcome", "RequestRecord", "Service"]

_FAULT_ERRORS = {
    "unavailable": ("Unavailable", "The service is unavailable. Please try again shortly."),
    "internal_error": ("InternalError", "An internal error has occurred."),
    "throttle": ("RequestLimitExceeded", "Request limit exceeded."),
}
_RESOURCE_ACTIONS = frozenset({"StartInstances", "StopInstances", "TerminateInstances"})


@attrs.frozen(kw_only=True)
class RequestRecord:
    """
    One request the fake received, as ``fake.requests`` lists it.

    Attributes:
        action: the EC2 action (``""`` when none was given).
        params: its parameters, authentication fields left out.
        code: ``"OK"``, the error code answered, or ``"ConnectionDropped"``.
        status: the HTTP status answered; None when the connection was dropped.
        time: the fake's clock when the request arrived.
        fault: the injected fault's kind, if one was injected.

    .. versionadded:: 0.1
    """

    action: str
    params: dict[str, str]
    code: str
    status: int | None
    time: float
    fault: str | None = None


@attrs.frozen(kw_only=True)
class Outcome:
    """What the HTTP front does: answer ``status``/``body`` after ``delay``, or drop."""

    status: int = 200
    body: bytes = b""
    code: str = "OK"
    delay: float = 0.0
    drop: bool = False


#: The request records a fake keeps by default (about 30 MB at most).
REQUESTS_KEPT = 100_000


class Service:
    """
    The fake's request pipeline around one :class:`~aioec2.testing._state.EC2State`.

    Args:
        state: the state machine.
        faults: the faults to inject.
        throttle: EC2's request limits, or None for none.
        credentials: the only credentials accepted; None accepts any request.
        allow_anonymous: accept unsigned requests even when credentials are set.
    """

    def __init__(
        self,
        state: EC2State,
        *,
        faults: Faults,
        throttle: Throttle | None = None,
        credentials: Credentials | None = None,
        allow_anonymous: bool = False,
    ) -> None:
        self.state = state
        self.faults = faults
        self.throttle = throttle
        self.credentials = credentials
        self.allow_anonymous = allow_anonymous
        self.requests: list[RequestRecord] = []
        #: How many records :attr:`requests` keeps at most; the oldest go first.
        self.requests_kept = REQUESTS_KEPT
        self.calls: Counter[str] = Counter()

    def reset_counters(self) -> None:
        """Forget the recorded requests and the per-action counts."""
        self.requests.clear()
        self.calls.clear()

    def handle(self, request: RawRequest) -> Outcome:
        """Serve one request and record it."""
        now = self.state.now()
        action = request.params.get("Action", "")
        params = {
            k: v
            for k, v in request.params.items()
            if k not in AUTH_PARAMS and k not in ("Action", "Version")
        }
        self.calls[action] += 1
        fault: Fault | None = None
        request_id = self.state.request_id()
        try:
            outcome, fault = self._serve(request, action, params, request_id, now)
        except FakeError as error:
            body = render_error(error.code, error.message, request_id)
            outcome = Outcome(status=error.status, body=body, code=error.code)
        if len(self.requests) >= self.requests_kept:
            # A long-running fake forgets its oldest records (in halves: appends stay O(1)).
            del self.requests[: len(self.requests) - self.requests_kept // 2]
        self.requests.append(
            RequestRecord(
                action=action,
                params=params,
                code="ConnectionDropped" if outcome.drop else outcome.code,
                status=None if outcome.drop else outcome.status,
                time=now,
                fault=fault.kind if fault else None,
            )
        )
        return outcome

    def _serve(
        self, request: RawRequest, action: str, params: dict[str, str], request_id: str, now: float
    ) -> tuple[Outcome, Fault | None]:
        if not action:
            raise FakeError("MissingAction", "The request must contain the parameter Action")
        authenticate(
            request,
            self.credentials,
            region=self.state.region,
            allow_anonymous=self.allow_anonymous,
        )
        if action not in HANDLERS:
            raise FakeError(
                "InvalidAction", f"The action {action} is not valid for this web service."
            )
        if self.throttle is not None and not self.throttle.admit(
            action, params, resources=_resources(action, params), now=now
        ):
            raise FakeError("RequestLimitExceeded", "Request limit exceeded.")
        fault = self.faults.pick(action)
        if fault is not None and fault.kind in _FAULT_ERRORS:
            code, message = _FAULT_ERRORS[fault.kind]
            error = FakeError(code, message)
            body = render_error(code, message, request_id)
            return Outcome(status=error.status, body=body, code=code), fault
        if fault is not None and fault.kind == "drop_before":
            return Outcome(drop=True), fault
        try:
            body = render_response(action, self.state.call(action, params), request_id)
            outcome = Outcome(body=body)
        except FakeError as error:
            body = render_error(error.code, error.message, request_id)
            outcome = Outcome(status=error.status, body=body, code=error.code)
        if fault is not None and fault.kind == "drop_after":
            return Outcome(drop=True), fault  # the client learns nothing, whatever happened
        if fault is not None and fault.kind == "delay":
            outcome = attrs.evolve(outcome, delay=fault.seconds)
        return outcome, fault


def _resources(action: str, params: dict[str, Any]) -> int:
    # Resource tokens: one per instance launched, started, stopped or terminated.
    if action == "RunInstances":
        try:
            return max(1, int(params.get("MaxCount", "1")))
        except ValueError:
            return 1
    if action in _RESOURCE_ACTIONS:
        return sum(1 for name in params if name.startswith("InstanceId."))
    return 0
