"""The verdict as JUnit XML, the one test-report format Jenkins, GitLab and Azure all read.

Layout: ``testsuites > testsuite > properties, testcase*``, one test case per limit of the
matched rule, so a CI's test history tracks each budget by a stable name. It validates
against the ``junit-10.xsd`` that pytest vendors, which has no ``<error>`` element: a
run greengate could not judge (an ERROR verdict) is a ``<failure type="error">``.

Written with the standard library's ElementTree, not junitparser (audited for issue 11):
junitparser's ``update_statistics`` puts a ``skipped`` count on ``<testsuites>``, which
junit-10.xsd does not allow, and it drops characters XML cannot carry where this writer
marks them with U+FFFD, so a hostile job name leaves a trace. What junitparser would take
over is a dozen lines of element building; ElementTree already escapes. junitparser stays
in the tests, reading every golden file back, as an independent reader of what we write.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from greengate.files.markup import markup_safe
from greengate.reporters import figures
from greengate.reporters.variables import plain_number
from greengate.units import format_emissions, format_energy, format_intensity
from greengate.verdict import Status, Verdict

SUITE = "greengate"


def xml_safe(s: str) -> str:
    """``s`` without the characters XML 1.0 forbids (control codes, lone surrogates)."""
    return markup_safe(s)


def junit_xml(v: Verdict) -> str:
    """The JUnit XML document for a verdict, with an XML declaration and a final newline."""
    cases = _cases(v)
    failures = sum(1 for c in cases if c.find("failure") is not None)
    skipped = sum(1 for c in cases if c.find("skipped") is not None)
    duration = f"{v.command.duration_seconds:.3f}" if v.command else "0.000"
    counts = {"tests": str(len(cases)), "failures": str(failures), "errors": "0"}
    root = ET.Element("testsuites", {"name": SUITE, **counts, "time": duration})
    suite = ET.SubElement(
        root, "testsuite", {"name": SUITE, **counts, "skipped": str(skipped), "time": duration}
    )
    if v.command is not None:
        suite.set("timestamp", v.command.started_at.isoformat())
    properties = ET.SubElement(suite, "properties")
    for name, value in _properties(v):
        ET.SubElement(properties, "property", {"name": name, "value": xml_safe(value)})
    suite.extend(cases)
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'


def _classname(v: Verdict) -> str:
    return xml_safe(f"{SUITE}.{v.context.job or 'run'}")


def _case(v: Verdict, name: str) -> ET.Element:
    return ET.Element("testcase", {"classname": _classname(v), "name": name, "time": "0.000"})


def _cases(v: Verdict) -> list[ET.Element]:
    details = xml_safe(_details(v))
    if v.status is Status.ERROR:
        case = _case(v, "judgement")
        message = xml_safe(v.reasons[0] if v.reasons else "greengate could not judge the run")
        failure = ET.SubElement(case, "failure", {"type": "error", "message": message})
        failure.text = details
        return [case]
    if v.rule is None:
        case = _case(v, "budget")
        message = xml_safe(v.reasons[0] if v.reasons else "no budget rule matches this run")
        ET.SubElement(case, "skipped", {"message": message}).text = details
        return [case]
    cases = []
    for check in v.checks:
        case = _case(v, f"{check.quantity.value} budget")
        summary = xml_safe(figures.limit_sentence(v, check))
        if check.status is Status.FAIL and check.enforced:
            failure = ET.SubElement(case, "failure", {"type": "over-budget", "message": summary})
            failure.text = details
        else:
            ET.SubElement(case, "system-out").text = f"{summary}\n\n{details}"
        cases.append(case)
    return cases


def _details(v: Verdict) -> str:
    lines = [f"status: {v.status.value} (mode {v.mode.value})", *v.reasons]
    if v.policy_path and v.rule:
        lines.append(f"rule: {v.rule.label} at {v.policy_path}:{v.rule.line}")
    if v.measurement:
        m = v.measurement
        lines.append(
            f"measured: {format_energy(m.energy_kwh)}, {format_emissions(m.emissions_kg)} "
            f"at {format_intensity(m.intensity.g_per_kwh)} ({m.intensity.source})"
        )
        lines += [f"note: {n}" for n in m.notes]
    return "\n".join(lines)


def _properties(v: Verdict) -> list[tuple[str, str]]:
    props = [("greengate.status", v.status.value), ("greengate.mode", v.mode.value)]
    ctx = v.context
    for name, value in (("job", ctx.job), ("branch", ctx.branch), ("commit", ctx.commit)):
        if value:
            props.append((f"greengate.{name}", value))
    if v.policy_path:
        props.append(("greengate.policy", v.policy_path))
    if v.rule:
        props.append(("greengate.rule", v.rule.label))
    if v.measurement:
        m = v.measurement
        props += [
            ("greengate.energy_kwh", plain_number(m.energy_kwh)),
            ("greengate.emissions_kg", plain_number(m.emissions_kg)),
            ("greengate.grid_g_per_kwh", plain_number(m.intensity.g_per_kwh)),
        ]
    if v.command:
        props.append(("greengate.exit_code", str(v.command.exit_code)))
    props.append(("greengate.version", v.tool_version))
    return props
