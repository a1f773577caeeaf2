"""Renders index.html: one static page, inline CSS, nothing fetched, readable offline as a
CI artifact. Sections: summary table, failures, fuzzing, kernels (the VM tests by guest
kernel), benchmarks, conformance, suites, machine."""
import html

import markdown
import suites as suites_module

MAX_TEXT = 8000  # characters of one failure's output; the full text is in the logs

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;
  max-width:1100px;padding:0 16px;color:#1d2330;background:#fff}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 8px;
  border-bottom:1px solid #d8dde6;padding-bottom:4px}h3,h4,h5{font-size:15px;margin:16px 0 6px}
table{border-collapse:collapse;margin:6px 0 12px;font-variant-numeric:tabular-nums}
th,td{border:1px solid #d8dde6;padding:4px 10px;text-align:left;vertical-align:top}
th{background:#f1f4f9}td.num{text-align:right}tr.total td{font-weight:600;background:#f7f8fb}
.verdict{display:inline-block;padding:4px 12px;border-radius:4px;font-weight:700;color:#fff}
.passed{color:#17743a}.failed{color:#b3261e;font-weight:600}.na{color:#8a6d00}
.verdict.passed{background:#17743a;color:#fff}.verdict.failed{background:#b3261e;color:#fff}
.failure{border-left:4px solid #b3261e;background:#fdf3f2;padding:6px 12px;margin:10px 0}
.failure h3{margin:2px 0}.meta{color:#5b6475}
pre{background:#f6f8fa;border:1px solid #e1e5ec;padding:8px;overflow:auto;max-height:360px;
  white-space:pre-wrap;word-break:break-word;font-size:12px}
code{font-size:12px}figure{display:inline-block;width:calc(50% - 14px);margin:8px 10px 8px 0;
  vertical-align:top}figure img{width:100%;border:1px solid #e1e5ec}
#conformance-matrix td.passed{background:#eaf6ee}#conformance-matrix td.failed{background:#fdf3f2}
"""


def esc(text):
    return html.escape(str(text), quote=True)


def duration(seconds):
    seconds = int(round(seconds))
    if seconds < 60:
        return "%ds" % seconds
    if seconds < 3600:
        return "%dm %02ds" % divmod(seconds, 60)
    h, rest = divmod(seconds, 3600)
    return "%dh %02dm %02ds" % (h, rest // 60, rest % 60)


RESULT_CLASS = {"passed": "passed", "failed": "failed", "not available": "na"}


def table(table_id, heads, rows):
    """A table with one header row: `heads` and `rows` are HTML, each head put in a <th>."""
    return '<table id="%s"><thead><tr>%s</tr></thead><tbody>%s</tbody></table>' % (
        table_id, "".join("<th>%s</th>" % h for h in heads), "".join(rows))


def summary_table(suites, totals, overall):
    rows = []
    for s in suites:
        c = s["counts"]
        result = s["result"] + (" (suite error)" if s["error"] else "")
        rows.append(
            '<tr data-suite="%s"><td>%s</td><td class="result %s">%s</td>'
            '<td class="num n-passed">%d</td><td class="num n-failed">%d</td>'
            '<td class="num n-skipped">%d</td><td class="num time">%s</td></tr>' % (
                esc(s["name"]), esc(s["title"] or s["name"]),
                RESULT_CLASS.get(s["result"], ""), esc(result), c["passed"], c["failed"],
                c["skipped"], duration(s["seconds"])))
    rows.append(
        '<tr class="total" data-suite="total"><td>total</td><td class="result %s">%s</td>'
        '<td class="num n-passed">%d</td><td class="num n-failed">%d</td>'
        '<td class="num n-skipped">%d</td><td class="num time">%s</td></tr>' % (
            RESULT_CLASS[overall], overall, totals["passed"], totals["failed"],
            totals["skipped"], duration(totals["seconds"])))
    return table("summary", ["suite", "result", "passed", "failed", "skipped", "time"], rows)


def _failure(title, message, text):
    body = text[:MAX_TEXT] + ("\n… (cut; see the log)" if len(text) > MAX_TEXT else "")
    if " ".join(message.split()) in " ".join(body.split()):
        message = ""  # gtest repeats the whole text as the message
    return ('<div class="failure"><h3>%s</h3>%s%s</div>' % (
        esc(title), '<p class="message">%s</p>' % esc(message) if message else "",
        "<pre>%s</pre>" % esc(body) if body.strip() else ""))


def failures_section(suites):
    parts = []
    for s in suites:
        for case in s["cases"]:
            if case["outcome"] == "failed":
                title = " › ".join(p for p in (s["name"], case["group"], ".".join(
                    p for p in (case["classname"], case["name"]) if p)) if p)
                parts.append(_failure(title, case["message"], case["text"]))
        if s["error"]:
            parts.append(_failure("%s › suite" % s["name"], s["error"],
                                  s.get("error_text", "")))
    if not parts:
        return '<p class="passed">No failures.</p>'
    return "\n".join(parts)


def fuzz_section(suites):
    fuzz = next((s for s in suites if s["kind"] == "fuzz"), None)
    if fuzz is None or "fuzz" not in fuzz["extra"]:
        why = "the fuzz suite did not run" if fuzz is None or fuzz["state"] != "ran" else \
            "the fuzz suite left no summary (out/fuzz/summary.json) in this run"
        return '<p class="na">No fuzzing numbers: %s.</p>' % why
    summary = fuzz["extra"]["fuzz"]
    rows = []
    for t in summary.get("targets", []):
        if t.get("skipped"):
            rows.append('<tr><td>%s</td><td class="na" colspan="8">skipped: %s</td></tr>' % (
                esc(t.get("target")), esc(t.get("reason", ""))))
            continue
        c = t.get("coverage", {})
        failed = t.get("crashes") or t.get("target") in summary.get("failed", [])
        rows.append(
            '<tr data-fuzz="%s"><td>%s</td><td class="%s">%s</td><td class="num">%s</td>'
            '<td class="num">%s</td><td class="num">%s</td><td class="num">%s → %s → %s</td>'
            '<td class="num">%s → %s → %s</td><td class="num">%s</td><td class="num">%s</td>'
            '<td class="num">%s</td></tr>' % (
                esc(t.get("target")), esc(t.get("target")), "failed" if failed else "passed",
                "crash" if failed else "ok", esc(t.get("execs_per_sec")),
                esc(t.get("executions")), esc(t.get("seconds")), esc(c.get("cov_seeds")),
                esc(c.get("cov_start")), esc(c.get("cov_end")), esc(c.get("ft_seeds")),
                esc(c.get("ft_start")), esc(c.get("ft_end")),
                esc(t.get("new_corpus_entries")), esc(t.get("crashes")),
                esc((t.get("rate") or {}).get("steady_after_30s"))))
    return ('<p class="meta">%s s per target, finished %s. Coverage is libFuzzer\'s cov '
            '(edges) and ft (features): checked-in seeds alone → start of this run (with '
            'earlier finds) → end of this run.</p>%s' % (
                esc(summary.get("seconds_per_target")), esc(summary.get("finished")),
                table("fuzz-table", ["target", "result", "execs/s", "executions", "seconds",
                                     "cov", "ft", "new inputs", "crashes",
                                     "steady execs/s (after 30 s)"], rows))
            ) + fuzz_modes_section(fuzz["extra"])


def fuzz_modes_section(extra):
    """The planted bugs' time to find, the differential per guest kernel, the campaign."""
    def when(data):
        return "this run" if data.get("this_run") else "an earlier run, finished %s" % esc(
            data.get("finished"))
    html = []
    planted = extra.get("planted")
    if planted:
        rows = [
            '<tr><td>%s</td><td>%s</td><td>%s</td><td class="%s">%s</td><td class="num">%s</td>'
            '<td class="num">%s</td><td class="num">%s</td></tr>' % (
                esc(b["bug"]), esc(b["target"]), esc(b["mode"]),
                "passed" if b["found"] else "failed", esc(b["verdict"]) +
                (" (fuzzer switched off)" if b.get("switched_off") else ""),
                esc(b["seconds"]), esc(b["limit_seconds"]), esc(b["executions"]))
            for b in planted.get("bugs", [])]
        html.append('<h3>Planted bugs: time to find (%s)</h3>' % when(planted) + table(
            "fuzz-planted",
            ["bug", "target", "mode", "result", "seconds", "limit", "executions"], rows))
    in_vm = extra.get("in_vm")
    if in_vm:
        rows = [
            '<tr><td>%s</td><td>%s</td><td class="num">%s</td><td class="num">%s</td>'
            '<td class="num">%s</td><td class="num">%s</td><td class="%s">%s</td><td>%s</td>'
            '</tr>' % (esc(k["kernel"]), esc(k["uname"]), esc(k["executions"]),
                       esc(k["seconds"]), esc(k["execs_per_sec"]),
                       esc(k["steady_execs_per_sec"]),
                       "passed" if k["verdict"] == "agree" else "failed", esc(k["verdict"]),
                       esc(k["agreement_test"]))
            for k in in_vm.get("kernels", [])]
        html.append('<h3>Kernel differential in each guest (%s)</h3>' % when(in_vm) + table(
            "fuzz-in-vm", ["kernel", "uname -r", "executions", "seconds", "execs/s",
                           "steady execs/s (after 30 s)", "verdict", "agreement test"], rows))
    campaign = extra.get("campaign")
    if campaign:
        rows = [
            '<tr><td>%s</td><td class="num">%s</td><td class="num">%s</td><td class="num">%s'
            '</td><td class="num">%s</td><td class="num">%s</td><td class="num">%s</td></tr>' % (
                esc(t["target"]), esc(t.get("seconds")), esc(t.get("executions")),
                esc(t.get("new_corpus_entries")), esc(t.get("crash_inputs")),
                esc(t.get("reproduced_under_sanitizers")), esc(t.get("merged_into_seeds")))
            for t in campaign.get("targets", [])]
        html.append('<h3>Campaign (%s s, %s)</h3>' % (
            esc(campaign.get("duration_seconds")), when(campaign)) + table(
            "fuzz-campaign", ["target", "seconds", "executions", "new entries", "crash inputs",
                              "fail under ASan+UBSan", "merged into seeds"], rows))
    return "".join(html)


def bench_section(suites, bench_markdown, plots):
    bench = next((s for s in suites if s["kind"] == "bench"), None)
    if bench is None or bench["state"] != "ran":
        note = bench["note"] if bench and bench["note"] else "the benchmark suite did not run"
        return '<p class="na">No benchmark numbers: %s.</p>' % esc(note)
    parts = []
    if bench_markdown:
        parts.append(markdown.to_html(bench_markdown))
    else:
        parts.append('<p class="na">No benchmark table: bench/run_all.sh wrote no '
                     'summary.md in this run.</p>')
    for rel in plots:
        parts.append('<figure><img src="%s" alt="%s"><figcaption>%s</figcaption></figure>' % (
            esc(rel), esc(rel), esc(rel.rsplit("/", 1)[-1])))
    return "\n".join(parts)


def conformance_section(suites):
    """The conformance matrix: observables by implementations, green where an
    implementation agrees with conformance/expectations.tsv, red with both values where not."""
    impls = [i for s in suites for i in s["extra"].get("conformance", [])]
    if not impls:
        return ('<p class="na">No conformance results: no //conformance target ran in this '
                'run.</p>')
    names = sorted({n for i in impls for n in i["results"]})
    heads = ['%s<br><span class="meta">%s, %s</span>%s' % (
        esc(i["name"]), esc(i["family"]), esc(i["config"]),
        '<br><span class="failed" title="%s">exit %d</span>' % (esc(i["stderr"]), i["exit"])
        if i["exit"] else "") for i in impls]
    rows = []
    for name in names:
        cells = []
        for i in impls:
            r = i["results"].get(name)
            if r is None:
                cells.append("<td></td>")
            elif r["verdict"] == "agree":
                cells.append('<td class="passed" title="%s">agree</td>' % esc(r["actual"]))
            else:
                cells.append('<td class="failed">%s<br>expected <code>%s</code><br>got '
                             '<code>%s</code></td>' % (esc(r["verdict"]), esc(r["expected"]),
                                                       esc(r["actual"])))
        rows.append("<tr><th>%s</th>%s</tr>" % (esc(name), "".join(cells)))
    bad = sum(1 for i in impls if i["exit"] or any(
        r["verdict"] != "agree" for r in i["results"].values()))
    return ('<p class="meta">%d implementation(s), %d disagree with the expectations '
            '(conformance/expectations.tsv; see docs/conformance.md).</p>'
            '<div style="overflow:auto">%s</div>' % (
                len(impls), bad, table("conformance-matrix", ["observable"] + heads, rows)))


def suites_section(suites):
    rows = []
    for s in suites:
        log = s["log"].rsplit("/", 1)[-1] if s["log"] else ""
        rows.append('<tr><td>%s</td><td><code>%s</code></td><td class="num">%s</td>'
                    '<td>%s</td><td>%s</td></tr>' % (
                        esc(s["name"]), esc(s["command"]),
                        esc(s["exit"]) if s["state"] == "ran" else "–",
                        '<a href="logs/%s">%s</a>' % (esc(log), esc(log)) if log else "",
                        esc(s["note"])))
    return table("suites", ["suite", "command", "exit", "log", "note"], rows)


def kernel_section(suites):
    """The VM suites by guest kernel: one row per test, one column per kernel."""
    kernels, rows = suites_module.kernel_matrix(suites)
    if not rows:
        return '<p class="na">no VM test ran on a kernel of the matrix in this run.</p>'
    cells = []
    for test, by_kernel in rows:
        tds = []
        for kernel in kernels:
            c = by_kernel.get(kernel)
            if c is None:
                tds.append('<td class="na">not run</td>')
                continue
            result = "failed" if c["failed"] else "passed"
            text = "%d failed of %d" % (c["failed"], sum(c.values())) if c["failed"] else \
                "%d passed" % c["passed"]
            if c["skipped"]:
                text += ", %d skipped" % c["skipped"]
            tds.append('<td class="%s">%s</td>' % (result, esc(text)))
        cells.append("<tr><td>%s</td>%s</tr>" % (esc(test), "".join(tds)))
    return table("kernels", ["VM test"] + ["Linux %s" % esc(k) for k in kernels], cells)


def machine_section(machine):
    return '<table id="machine"><tbody>%s</tbody></table>' % "".join(
        "<tr><th>%s</th><td>%s</td></tr>" % (esc(k), esc(v)) for k, v in machine)


def render(suites, totals, machine, generated, bench_markdown="", plots=(), coverage=""):
    overall = "failed" if totals["failed"] or totals["errors"] else "passed"
    na = [s["name"] for s in suites if s["result"] == "not available"]
    na_text = "not available: %s; " % ", ".join(na) if na else ""
    return """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sbx harness run: %(overall)s</title><style>%(css)s</style></head>
<body>
<h1>sbx: harness run</h1>
<p><span class="verdict %(overall)s" id="verdict">%(OVERALL)s</span>
<span class="meta">%(na)sgenerated %(generated)s</span></p>
<h2>Summary</h2>
%(summary)s
<h2 id="failures">Failures</h2>
%(failures)s
%(coverage)s<h2 id="fuzzing">Fuzzing</h2>
%(fuzz)s
<h2 id="kernels">Kernels</h2>
%(kernels)s
<h2 id="benchmarks">Benchmarks</h2>
%(bench)s
<h2 id="conformance">Conformance</h2>
%(conformance)s
<h2>Suites</h2>
%(suites)s
<h2>Machine</h2>
%(machine)s
</body></html>
""" % {"overall": overall, "OVERALL": overall.upper(), "css": CSS, "generated": esc(generated),
       "na": esc(na_text),
       "summary": summary_table(suites, totals, overall), "failures": failures_section(suites),
       "fuzz": fuzz_section(suites), "kernels": kernel_section(suites),
       # Only where ./harness coverage left its summary (report/coverage_section.py).
       "coverage": '<h2 id="coverage">Coverage</h2>\n%s\n' % coverage if coverage else "",
       "bench": bench_section(suites, bench_markdown, plots),
       "conformance": conformance_section(suites), "suites": suites_section(suites),
       "machine": machine_section(machine)}
