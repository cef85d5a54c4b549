"""
The fault matrix: a scripted workload against FakeEC2 under every fault kind at 1, 10 and 30 %.

Every case is seeded, so a failing one replays: the fake draws its faults from
``random.Random(seed)`` in the order requests arrive. The workload does what a careful user
does after an error the retries could not cure: it sends RunInstances again with the same
ClientToken, reads ``*.Duplicate`` after a create as "my earlier attempt took effect", and
reads ``*.NotFound`` after a delete or revoke the same way. The asserts then check that no
resource exists twice and that every error that reached the workload was typed.

``docs/reliability.md`` shows the matrix these tests print (``pytest -s``).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import aiohttp
import attrs
import pytest

import aioec2
from aioec2.errors import (
    AioEC2Error,
    BulkOperationError,
    ConnectError,
    EC2APIError,
    NotFoundError,
    RequestTimeoutError,
    ServiceError,
    ThrottlingError,
    TransportError,
)
from aioec2.models.security_group import IpPermission
from aioec2.testing import FakeEC2, Faults
from tests.reliability.conftest import IMAGE, open_session

T = TypeVar("T")

#: Each fault kind of the matrix: FakeEC2 settings and Config settings.
KINDS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "throttle": ({"fault_kinds": ["throttle"]}, {}),
    "throttle, adaptive mode": ({"fault_kinds": ["throttle"]}, {"retry_mode": "adaptive"}),
    "503 Unavailable": ({"fault_kinds": ["unavailable"]}, {}),
    "500 InternalError": ({"fault_kinds": ["internal_error"]}, {}),
    "drop before acting": ({"fault_kinds": ["drop_before"]}, {}),
    "drop after acting": ({"fault_kinds": ["drop_after"]}, {}),
    "slow (50 ms)": ({"fault_kinds": ["delay"], "fault_delay": 0.05}, {}),
    # The answer comes 0.5 s after the action took effect; the client stops reading at 0.25 s
    # (well above the fake's slowest action, CreateKeyPair's RSA key: about 0.1 s).
    "read timeout": ({"fault_kinds": ["delay"], "fault_delay": 0.5}, {"read_timeout": 0.25}),
}
RATES = (0.01, 0.10, 0.30)
#: How often the workload itself sends a call again after the session's retries gave up.
APP_TRIES = 6
#: Instances one round of the workload asks for: run_instances of 2, launch_many of 3 x 2.
ASKED = 2 + 3 * 2
#: Rounds of the workload per case (about 30 requests each, so 1 % still meets faults).
ROUNDS = 3
RULE_80 = IpPermission.build("tcp", 80, 80, cidr_ip="0.0.0.0/0")
RULE_22 = IpPermission.build("tcp", 22, 22, cidr_ip="192.168.1.130/32")


@pytest.fixture(autouse=True)
def _no_retry_sleeps(no_retry_sleeps: None) -> None:
    """Retries happen at once; the fault matrix is about outcomes, not back-off timing."""


class RetryLog(logging.Handler):
    """Counts the session's "retrying" log records: one per retry it decided on."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.retries = 0

    def emit(self, record: logging.LogRecord) -> None:
        """Count a retry record."""
        if "retrying in" in str(record.msg):
            self.retries += 1


@pytest.fixture
def retry_log() -> Iterator[RetryLog]:
    """A handler on ``aioec2.session`` that counts retries."""
    logger = logging.getLogger("aioec2.session")
    handler = RetryLog()
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def assert_typed(error: BaseException) -> None:
    """Check that an error reaching the caller is aioec2's and says what happened."""
    assert isinstance(error, AioEC2Error), f"untyped {type(error).__name__}: {error}"
    assert not isinstance(error, aiohttp.ClientError)
    if isinstance(error, BulkOperationError):
        for inner in error.exceptions:
            assert_typed(inner)
    elif isinstance(error, EC2APIError):
        assert error.code, error
        assert error.request_id, f"{error.code} has no request id"
    elif isinstance(error, TransportError):
        # No response, so no code or request id: the class and the cause say what failed.
        assert isinstance(error, ConnectError | RequestTimeoutError), error
        assert error.__cause__ is not None


def label(error: AioEC2Error) -> str:
    """A short name for an error: its code, else its class."""
    return error.code if isinstance(error, EC2APIError) else type(error).__name__


@attrs.define
class Report:
    """What one workload run met: requests, faults, retries, errors and duplicates."""

    kind: str
    rate: float
    requests: int = 0
    faults: int = 0
    retries: int = 0
    errors: Counter[str] = attrs.Factory(Counter)
    duplicates: Counter[str] = attrs.Factory(Counter)
    launched: int = 0

    def row(self) -> str:
        """The row of the matrix in docs/reliability.md."""
        errors = ", ".join(f"{code} x{n}" for code, n in sorted(self.errors.items())) or "-"
        dups = ", ".join(f"{code} x{n}" for code, n in sorted(self.duplicates.items())) or "-"
        return (
            f"| {self.kind} | {self.rate:.0%} | {self.requests} | {self.faults} | "
            f"{self.retries} | {errors} | {dups} | {self.launched}/{ASKED * ROUNDS} |"
        )

    async def call(
        self, factory: Callable[[], Awaitable[T]], *, done_codes: tuple[str, ...] = ()
    ) -> T | None:
        """
        Await ``factory()`` until it succeeds, up to APP_TRIES times.

        A code in ``done_codes`` means an earlier attempt took effect (a duplicate): it ends
        the loop and returns None. Every error on the way must be typed.
        """
        for _ in range(APP_TRIES):
            try:
                return await factory()
            except AioEC2Error as exc:
                assert_typed(exc)
                if isinstance(exc, EC2APIError) and exc.code in done_codes:
                    self.duplicates[exc.code] += 1
                    return None
                self.errors[label(exc)] += 1
        pytest.fail(f"still failing after {APP_TRIES} tries; errors so far: {self.errors}")


async def workload(session: aioec2.Session, fake: FakeEC2, report: Report, n: int) -> None:
    """Describe, launch, tag, change a security group and a key pair, terminate, wait."""
    before = set(fake.state.instances)
    await report.call(session.describe_regions)
    assert await report.call(lambda: session.describe_images(owners=["amazon"]))

    # RunInstances: sending it again with the same token is safe, so the workload does.
    reservation = await report.call(
        lambda: session.run_instances(IMAGE, min_count=2, max_count=2, client_token=f"run-{n}")
    )
    assert reservation is not None
    ids = [i.id for i in reservation.instances]
    result = await session.launch_many([{"image_id": IMAGE, "max_count": 2}] * 3, concurrency=3)
    for failure in result.failures:
        assert_typed(failure.error)
        report.errors[label(failure.error)] += 1
        again = await report.call(lambda f=failure: session.run_instances(**f.spec))
        assert again is not None
        ids += [i.id for i in again.instances]
    ids += [i.id for i in result.instances]
    report.launched += len(set(fake.state.instances) - before)
    assert ASKED == len(ids) == len(set(ids))
    assert set(ids) == set(fake.state.instances) - before, "an instance was launched twice"
    await report.call(lambda: session.wait_all(ids, "running", timeout=30))

    # Tags overwrite: idempotent by nature.
    await report.call(lambda: session.create_tags(ids, {"env": "reliability"}))

    # A security group: a retried create or authorize answers *.Duplicate, a retried revoke
    # or delete *.NotFound; the workload reads those as "done".
    created = await report.call(
        lambda: session.create_security_group(f"web-{n}", "web tier"),
        done_codes=("InvalidGroup.Duplicate",),
    )
    groups = await report.call(lambda: session.describe_security_groups(group_names=[f"web-{n}"]))
    assert groups is not None
    assert 1 == len(groups)
    group_id = groups[0].id
    assert created is None or created.id == group_id
    for rule in (RULE_80, RULE_22):
        await report.call(
            lambda r=rule: session.authorize_security_group_ingress(group_id, ip_permissions=[r]),
            done_codes=("InvalidPermission.Duplicate",),
        )
    await report.call(
        lambda: session.revoke_security_group_ingress(group_id, ip_permissions=[RULE_22]),
        done_codes=("InvalidPermission.NotFound",),
    )
    rules = [
        (g.protocol, g.from_port, g.to_port, g.peer) for g in fake.state.groups[group_id].ingress
    ]
    assert [("tcp", 80, 80, "0.0.0.0/0")] == rules

    # A key pair: a retried create answers InvalidKeyPair.Duplicate and the private key is
    # gone with the lost answer, so the workload deletes the pair and creates it again.
    key = None
    for _ in range(APP_TRIES):
        key = await report.call(
            lambda: session.create_key_pair(f"key-{n}"), done_codes=("InvalidKeyPair.Duplicate",)
        )
        if key is not None:
            break
        await report.call(lambda: session.delete_key_pair(f"key-{n}"))
    assert key is not None
    assert key.material
    assert [f"key-{n}"] == [k.name for k in fake.state.key_pairs.values()]

    # Terminating is idempotent by nature: a second TerminateInstances answers the same.
    await report.call(lambda: session.terminate_instances(ids))
    await report.call(lambda: session.wait_all(ids, "terminated", timeout=30))
    await report.call(
        lambda: session.delete_security_group(group_id), done_codes=("InvalidGroup.NotFound",)
    )
    await report.call(lambda: session.delete_key_pair(f"key-{n}"))

    assert group_id not in fake.state.groups
    assert not fake.state.key_pairs
    assert {"terminated"} == {fake.state.instances[i].state for i in ids}
    assert all("reliability" == fake.state.instances[i].tags.get("env") for i in ids)


@pytest.mark.parametrize("rate", RATES, ids=lambda r: f"{r:.0%}")
@pytest.mark.parametrize("kind", list(KINDS))
async def test_fault_matrix(kind: str, rate: float, retry_log: RetryLog) -> None:
    """The workload completes under the fault at the rate, launching nothing twice."""
    fake_settings, config = KINDS[kind]
    seed = 1000 + list(KINDS).index(kind) * 10 + RATES.index(rate)
    report = Report(kind=kind, rate=rate)
    async with (
        FakeEC2(
            boot_time=0.02,
            stop_time=0.02,
            terminate_time=0.02,
            rsa_key_bits=1024,
            seed=seed,
            fault_rate=rate,
            **fake_settings,
        ) as fake,
        open_session(fake.url, bulk_retry_delay=0.01, **config) as session,
    ):
        for n in range(ROUNDS):
            await workload(session, fake, report, n)
        report.requests = len(fake.requests)
        report.faults = sum(1 for r in fake.requests if r.fault is not None)
        report.retries = retry_log.retries
    print(report.row())
    if rate >= 0.10:
        assert report.faults > 0, "the matrix must inject faults"
        if not kind.startswith("slow"):
            assert report.retries > 0
    if kind.startswith("slow"):
        assert (0, {}, {}) == (report.retries, dict(report.errors), dict(report.duplicates))
    assert ASKED * ROUNDS == report.launched


# -- the same, one operation at a time: what a retry after a lost answer does ---------------


@attrs.frozen
class Case:
    """One operation sent once while its first answer is lost after it took effect."""

    action: str
    call: Callable[[aioec2.Session, dict[str, str]], Awaitable[object]]
    #: The error code the retry surfaces, or None when the retry simply succeeds.
    surfaces: str | None


async def _arrange(session: aioec2.Session) -> dict[str, str]:
    """Resources the cases act on: a running instance, a group with a rule, a key pair."""
    reservation = await session.run_instances(IMAGE, min_count=2, max_count=2)
    first, second = (i.id for i in reservation.instances)
    await session.wait_all([first, second], "running", timeout=10)
    await session.stop_instances([second])
    group = await session.create_security_group("arranged", "arranged group")
    await session.authorize_security_group_ingress(group.id, ip_permissions=[RULE_22])
    await session.create_key_pair("arranged-key")
    return {"instance": first, "stopping": second, "group": group.id}


CASES = [
    Case(
        "RunInstances",
        lambda s, _: s.run_instances(IMAGE, min_count=3, max_count=3),
        None,
    ),
    Case(
        "CreateSecurityGroup",
        lambda s, _: s.create_security_group("new-group", "new"),
        "InvalidGroup.Duplicate",
    ),
    Case(
        "AuthorizeSecurityGroupIngress",
        lambda s, r: s.authorize_security_group_ingress(r["group"], ip_permissions=[RULE_80]),
        "InvalidPermission.Duplicate",
    ),
    Case(
        "RevokeSecurityGroupIngress",
        lambda s, r: s.revoke_security_group_ingress(r["group"], ip_permissions=[RULE_22]),
        "InvalidPermission.NotFound",
    ),
    Case(
        "DeleteSecurityGroup",
        lambda s, r: s.delete_security_group(r["group"]),
        "InvalidGroup.NotFound",
    ),
    Case(
        "CreateKeyPair",
        lambda s, _: s.create_key_pair("new-key"),
        "InvalidKeyPair.Duplicate",
    ),
    Case("DeleteKeyPair", lambda s, _: s.delete_key_pair("arranged-key"), None),
    Case("CreateTags", lambda s, r: s.create_tags([r["instance"]], {"a": "b"}), None),
    Case("DeleteTags", lambda s, r: s.delete_tags([r["instance"]], ["a"]), None),
    Case("RebootInstances", lambda s, r: s.reboot_instances([r["instance"]]), None),
    Case("StopInstances", lambda s, r: s.stop_instances([r["stopping"]]), None),
    Case("TerminateInstances", lambda s, r: s.terminate_instances([r["instance"]]), None),
]


# A read timeout after the action took effect is the same story as a dropped connection; it
# is run for three operations only, since each costs the timeout and the fake's close.
LOST = [(case, "drop_after") for case in CASES] + [
    (case, "read timeout")
    for case in CASES
    if case.action in ("RunInstances", "CreateSecurityGroup", "CreateKeyPair")
]


@pytest.mark.parametrize(
    ("case", "lost"), LOST, ids=lambda v: v.action if isinstance(v, Case) else v
)
async def test_retry_after_lost_answer(case: Case, lost: str) -> None:
    """A lost answer is retried: it succeeds, or surfaces the duplicate honestly, typed."""
    # The retry must answer within read_timeout even on a loaded machine (CreateKeyPair makes
    # an RSA key in pure Python), so the timeout is generous and the lost answer later still.
    config = {"read_timeout": 1.0} if lost == "read timeout" else {}
    async with (
        FakeEC2(boot_time=0.01, stop_time=5, rsa_key_bits=1024, seed=7) as fake,
        open_session(fake.url) as arranging,
        open_session(fake.url, **config) as session,
    ):
        resources = await _arrange(arranging)
        instances_before = len(fake.state.instances)
        if lost == "drop_after":
            fake.faults.add(action=case.action, kind="drop_after")
        else:
            fake.faults.add(action=case.action, kind="delay", seconds=2.0)
        fake.reset_counters()
        surfaced: str | None = None
        notes: list[str] = []
        try:
            await case.call(session, resources)
        except EC2APIError as exc:
            assert_typed(exc)
            surfaced = exc.code
            notes = getattr(exc, "__notes__", [])
        assert case.surfaces == surfaced
        if surfaced is not None:
            # The error says that the first, unanswered attempt may be what it reports.
            expected = f"{case.action} was sent 2 times; attempt 1 got no answer"
            assert any(note.startswith(expected) for note in notes), notes
        # Sent twice: the lost one, and the retry that told the truth.
        assert 2 == fake.calls[case.action]
        expected_instances = instances_before + (3 if case.action == "RunInstances" else 0)
        assert expected_instances == len(fake.state.instances)
        tokens = {r.params.get("ClientToken") for r in fake.requests if r.action == "RunInstances"}
        assert len(tokens) == (1 if case.action == "RunInstances" else 0)


# -- retries that run out -------------------------------------------------------------------

EXHAUSTED = [
    ("throttle", ThrottlingError, "RequestLimitExceeded", {}),
    ("unavailable", ServiceError, "Unavailable", {}),
    ("internal_error", ServiceError, "InternalError", {}),
    ("drop_before", ConnectError, None, {}),
    ("drop_after", ConnectError, None, {}),
    ("delay", RequestTimeoutError, None, {"read_timeout": 0.05}),
]


@pytest.mark.parametrize(("kind", "error_class", "code", "config"), EXHAUSTED)
async def test_exhausted_retries_surface_a_typed_error(
    kind: str, error_class: type[AioEC2Error], code: str | None, config: dict[str, Any]
) -> None:
    """When every attempt fails, the caller gets the typed error after max_attempts sends."""
    async with (
        FakeEC2(seed=3) as fake,
        open_session(fake.url, max_attempts=3, **config) as session,
    ):
        fake.faults.add(action="DescribeRegions", kind=kind, times=None, seconds=0.2)
        with pytest.raises(error_class) as caught:
            await session.describe_regions()
        assert 3 == fake.calls["DescribeRegions"]
        assert_typed(caught.value)
        assert "DescribeRegions" in str(caught.value) or code is not None
        if code is not None:
            assert isinstance(caught.value, EC2APIError)
            assert code == caught.value.code
            assert caught.value.request_id
        fake.faults.clear()
        assert await session.describe_regions()  # the session is fine afterwards


async def test_exhausted_retry_quota_fails_fast_and_typed() -> None:
    """A broken endpoint drains the retry quota; calls then fail at once, still typed."""
    async with (
        FakeEC2(seed=4) as fake,
        open_session(fake.url, max_attempts=3) as session,
    ):
        fake.faults.add(kind="unavailable", times=None)
        errors: list[Exception] = []
        for _ in range(120):  # 2 retries x 5 tokens each: 500 tokens last 50 calls
            with pytest.raises(ServiceError) as caught:
                await session.describe_regions()
            errors.append(caught.value)
        assert 120 + 100 == fake.calls["DescribeRegions"]
        for error in errors:
            assert_typed(error)
        fake.faults.clear()
        assert await session.describe_regions()


# -- the fake's random faults ---------------------------------------------------------------


def test_random_delay_faults_carry_their_seconds() -> None:
    """A random ``delay`` fault holds the answer back by the configured seconds."""
    faults = Faults(rate=1.0, seed=0, kinds=["delay"], delay=0.25)
    assert {0.25} == {faults.pick("DescribeRegions").seconds for _ in range(5)}


def test_random_delay_must_not_be_negative() -> None:
    """A negative random delay is refused."""
    with pytest.raises(ValueError, match="delay"):
        Faults(delay=-1)


async def test_not_found_error_keeps_request_id() -> None:
    """A plain 4xx (no retry) surfaces at once with its code and request id."""
    async with FakeEC2(seed=5) as fake, open_session(fake.url) as session:
        with pytest.raises(NotFoundError) as caught:
            await session.delete_security_group("sg-0123456789abcdef0")
        assert_typed(caught.value)
        assert 1 == fake.calls["DeleteSecurityGroup"]
