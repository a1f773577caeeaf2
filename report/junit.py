"""Writes junit.xml: one <testsuite> per suite, one <testcase> per case, for CI systems.

Failed cases are <failure>; a suite that broke without a failing case (its command failed,
e.g. a build error) gets one <testcase> with an <error>, counted under "errors" so that
"failures" stays equal to the suite's own count of failed cases. Suites that were not
available are kept as empty <testsuite>s with a property saying so.
"""
import xml.etree.ElementTree as ET

# XML 1.0 forbids most control characters; test output may contain them.
_BAD_XML = {c: None for c in range(32) if c not in (9, 10, 13)}


def _clean(text):
    return (text or "").translate(_BAD_XML)


def build(suites):
    root = ET.Element("testsuites", name="sbx harness run")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0, "time": 0.0}
    for s in suites:
        c = s["counts"]
        errors = 1 if s["error"] else 0
        tests = c["passed"] + c["failed"] + c["skipped"] + errors
        el = ET.SubElement(root, "testsuite", name=s["name"], tests=str(tests),
                           failures=str(c["failed"]), errors=str(errors),
                           skipped=str(c["skipped"]), time="%.3f" % s["seconds"])
        props = ET.SubElement(el, "properties")
        ET.SubElement(props, "property", name="result", value=s["result"])
        ET.SubElement(props, "property", name="command", value=_clean(s["command"]))
        if s.get("note"):
            ET.SubElement(props, "property", name="note", value=_clean(s["note"]))
        for case in s["cases"]:
            classname = ".".join(p for p in (s["name"], case["group"], case["classname"]) if p)
            tc = ET.SubElement(el, "testcase", classname=classname, name=case["name"],
                               time="%.3f" % case["time"])
            if case["outcome"] == "failed":
                f = ET.SubElement(tc, "failure", message=_clean(case["message"]))
                f.text = _clean(case["text"])
            elif case["outcome"] == "skipped":
                ET.SubElement(tc, "skipped", message=_clean(case["message"]))
        if errors:
            tc = ET.SubElement(el, "testcase", classname=s["name"], name="suite", time="0")
            e = ET.SubElement(tc, "error", message=_clean(s["error"]))
            e.text = _clean(s.get("error_text", ""))
        totals["tests"] += tests
        totals["failures"] += c["failed"]
        totals["errors"] += errors
        totals["skipped"] += c["skipped"]
        totals["time"] += s["seconds"]
    for k, v in totals.items():
        root.set(k, "%.3f" % v if k == "time" else str(v))
    return ET.ElementTree(root)


def write(suites, path):
    tree = build(suites)
    ET.indent(tree, space="  ")
    tree.write(path, encoding="UTF-8", xml_declaration=True)
