"""
Turn the samples into Markdown: medians with min and max, ratios to aioec2, the targets.

A ratio is taken round by round (aioec2's sample against the other client's sample of the
same round, measured moments apart) and then summarized; that cancels most of the drift of
a noisy machine, which a ratio of two medians would not.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import budget
from scenarios import Scenario

__all__ = ["TARGETS", "Target", "evidence", "render", "summary"]

OURS = "aioec2"


@dataclass(frozen=True, kw_only=True)
class Target:
    """One promise: ``ratio`` of aioec2 to ``other`` in ``scenario``, compared to ``bound``."""

    label: str
    scenario: str
    other: str
    bound: float
    at_least: bool  # True: ratio >= bound, False: ratio <= bound
    inverted: bool = False  # True: ratio = other / aioec2 (a speed-up from times)

    def ratios(self, scenario: Scenario) -> list[float]:
        ours = scenario.samples.get(OURS, [])
        theirs = scenario.samples.get(self.other, [])
        if self.inverted:
            return [t / o for o, t in zip(ours, theirs, strict=False) if o]
        return [o / t for o, t in zip(ours, theirs, strict=False) if t]

    def describe(self) -> str:
        op = ">=" if self.at_least else "<="
        return f"{op} {self.bound:g}x"


TARGETS = (
    Target(
        label="small sequential calls/s vs aiobotocore",
        scenario="small_seq",
        other="aiobotocore",
        bound=2.0,
        at_least=True,
    ),
    Target(
        label="small sequential calls/s vs raw + xmltodict",
        scenario="small_seq",
        other="raw + xmltodict",
        bound=0.85,
        at_least=True,
    ),
    Target(
        label="64 in flight calls/s vs aiobotocore",
        scenario="small_64",
        other="aiobotocore",
        bound=2.5,
        at_least=True,
    ),
    Target(
        label="1,000 instances: aiobotocore's time / aioec2's",
        scenario="big",
        other="aiobotocore",
        bound=2.0,
        at_least=True,
        inverted=True,
    ),
    Target(
        label="1,000 instances: aioec2's time / raw + xmltodict's",
        scenario="big",
        other="raw + xmltodict",
        bound=1.25,
        at_least=False,
    ),
    Target(
        label="cold start: aioec2's time / aiobotocore's",
        scenario="cold",
        other="aiobotocore",
        bound=0.5,
        at_least=False,
    ),
    Target(
        label="memory kept: aioec2's / aiobotocore's",
        scenario="memory",
        other="aiobotocore",
        bound=0.5,
        at_least=False,
    ),
)


def _fmt(value: float, unit: str) -> str:
    if unit == "calls/s":
        return f"{value:,.0f}"
    if unit == "MiB":
        return f"{value:.2f}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _spread(values: list[float], unit: str) -> str:
    if not values:
        return "-"
    middle = _fmt(statistics.median(values), unit)
    if len(values) == 1:
        return middle
    return f"{middle} ({_fmt(min(values), unit)}-{_fmt(max(values), unit)})"


def _ratio_text(values: list[float]) -> str:
    if not values:
        return "-"
    middle = statistics.median(values)
    if len(values) == 1:
        return f"{middle:.2f}x"
    return f"{middle:.2f}x ({min(values):.2f}-{max(values):.2f})"


def _scenario_table(scenario: Scenario) -> list[str]:
    lines = [f"### {scenario.title}", ""]
    if scenario.skipped:
        return [*lines, scenario.skipped, ""]
    direction = "higher is better" if scenario.higher_is_better else "lower is better"
    ours = scenario.samples.get(OURS, [])
    with_ratio = len(scenario.samples) > 1 and bool(ours)
    header = f"| client | {scenario.unit}, median (min-max) ({direction}) |"
    rule = "|---|---:|"
    if with_ratio:
        header += " aioec2 / client, per round |"
        rule += "---:|"
    lines += [header, rule]
    for client, values in scenario.samples.items():
        row = f"| {client} | {_spread(values, scenario.unit)} |"
        if with_ratio:
            if client == OURS:
                row += " |"
            else:
                paired = [o / t for o, t in zip(ours, values, strict=False) if t]
                row += f" {_ratio_text(paired)} |"
        lines.append(row)
    lines.append("")
    rounds = max((len(v) for v in scenario.samples.values()), default=0)
    notes = [f"{rounds} round{'s' if rounds != 1 else ''}"]
    if scenario.note:
        notes.append(scenario.note)
    share = scenario.server_share()
    if share is not None:
        client, value = share
        notes.append(f"server CPU at most {value:.0%} of its core (while serving {client})")
    lines += ["; ".join(notes) + ".", ""]
    return lines


def summary(scenarios: Iterable[Scenario]) -> list[str]:
    """The targets table: each promise, what this run measured and whether it holds."""
    by_key = {s.key: s for s in scenarios}
    lines = [
        "| target | required | measured: median (min-max) over rounds | met |",
        "|---|---:|---:|:---:|",
    ]
    for target in TARGETS:
        scenario = by_key.get(target.scenario)
        ratios = target.ratios(scenario) if scenario is not None else []
        if not ratios:
            lines.append(f"| {target.label} | {target.describe()} | not measured | - |")
            continue
        middle = statistics.median(ratios)
        met = middle >= target.bound if target.at_least else middle <= target.bound
        mark = "yes" if met else "**no**"
        lines.append(f"| {target.label} | {target.describe()} | {_ratio_text(ratios)} | {mark} |")
    return [*lines, ""]


def _median_of(scenarios: Iterable[Scenario], key: str, client: str) -> float | None:
    for scenario in scenarios:
        if scenario.key == key and scenario.samples.get(client):
            return statistics.median(scenario.samples[client])
    return None


def evidence(
    scenarios: list[Scenario],
    per_call: dict[str, dict[str, float]] | None,
    cold: dict[str, float] | None,
) -> list[str]:
    """The budget tables, with what they say about the targets (when measured)."""
    if not per_call and not cold:
        return []
    lines = ["## Where the time goes", ""]
    if per_call:
        small = per_call["describe1"]
        lines += ["### Per call, without the network", "", *budget.per_call_table(per_call)]
        whole = small[budget.WHOLE] * 1e6
        readers = (small[budget.PARSE_SHAPED] - small[budget.TREE]) * 1e6
        text = (
            f"Without the network, a small DescribeInstances costs aioec2 {whole:.0f} us in all, "
            f"against {small[budget.FLOOR_PARSE] * 1e6:.0f} us for `xmltodict.parse` alone: "
            f"the element tree ({small[budget.TREE] * 1e6:.0f} us), the shaped readers "
            f"({readers:.0f} us), models ({small[budget.MODELS] * 1e6:.0f} us), signing "
            f"({small[budget.SIGNING] * 1e6:.0f} us), serialization "
            f"({small[budget.SERIALIZE] * 1e6:.0f} us) and glue "
            f"({small[budget.GLUE] * 1e6:.0f} us)."
        )
        rate = _median_of(scenarios, "small_seq", "raw + xmltodict")
        ours_rate = _median_of(scenarios, "small_seq", "aioec2")
        if rate and ours_rate:
            text += (
                f" Over the network, in this run, raw + xmltodict took {1e6 / rate:.0f} us per "
                f"call and aioec2 {1e6 / ours_rate:.0f} us; 0.85x of the floor's rate allows "
                f"{1e6 / rate / 0.85:.0f} us. Every step costs more there than alone (the "
                "network stack and the other code between two calls evict the caches), "
                "which is why the calls take more than the sum of their steps."
            )
        lines += [text, ""]
    if cold:
        lines += ["### Cold start", "", *budget.cold_table(cold)]
        theirs = _median_of(scenarios, "cold", "aiobotocore")
        floor = cold["asyncio"] + cold["aiohttp"]
        text = (
            f"`import asyncio` and `import aiohttp` take {floor:.0f} ms before any aioec2 code "
            f"runs; attrs spends {cold['attrs']:.0f} ms of `import aioec2` generating the "
            f"methods of its {cold['classes']:.0f} classes."
        )
        if theirs:
            text += (
                f" aiobotocore's cold start took {theirs:.0f} ms in this run: the two imports "
                f"are {floor / theirs:.2f}x of it, and with attrs' share "
                f"{(floor + cold['attrs']) / theirs:.2f}x, against a target of 0.5x."
            )
        lines += [text, ""]
    return lines


def render(
    scenarios: list[Scenario],
    *,
    header: list[str],
    fleet_phases: dict[str, float],
    fleet_calls: Counter[str],
    per_call: dict[str, dict[str, float]] | None = None,
    cold: dict[str, float] | None = None,
) -> str:
    """The whole report, Markdown."""
    lines = [*header, "## Targets", "", *summary(scenarios)]
    lines += evidence(scenarios, per_call, cold)
    lines += ["## Results", ""]
    for scenario in scenarios:
        lines += _scenario_table(scenario)
        if scenario.key == "fleet" and fleet_calls:
            lines += ["Last run, by phase and by request:", ""]
            lines += ["| phase | seconds |", "|---|---:|"]
            lines += [f"| {name} | {seconds:.2f} |" for name, seconds in fleet_phases.items()]
            lines += ["", "| action | requests |", "|---|---:|"]
            lines += [f"| {name} | {count} |" for name, count in sorted(fleet_calls.items())]
            lines += [f"| total | {sum(fleet_calls.values())} |", ""]
    return "\n".join(lines).rstrip() + "\n"
