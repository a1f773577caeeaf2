"""The report's coverage section, from what `./harness coverage` (coverage/run.sh) left in
out/coverage/: summary.json (per suite and the union, per file), ratchet.json and html/.
The per-file view is llvm-cov's own HTML, copied beside index.html and linked."""
import datetime
import html
import json
import os
import shutil
import sys

sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "coverage"))
import lcov  # noqa: E402  (one way to write line ranges, the coverage tools' own)

RATCHET_CLASS = {"ok": "passed", "failed": "failed"}


def esc(text):
    return html.escape(str(text), quote=True)


def _pct(pair):
    hit, found = pair
    return 100.0 * hit / found if found else 100.0


def _cell(pair):
    return '<td class="num" data-hit="%d" data-found="%d">%.1f%% <span class="meta">%d/%d' \
           '</span></td>' % (pair[0], pair[1], _pct(pair), pair[0], pair[1])


def load(coverage_dir):
    """(summary, ratchet, generated) or None when no coverage run left its summary."""
    path = os.path.join(coverage_dir, "summary.json")
    try:
        with open(path) as f:
            summary = json.load(f)
    except (OSError, ValueError):
        return None
    try:
        with open(os.path.join(coverage_dir, "ratchet.json")) as f:
            ratchet = json.load(f)
    except (OSError, ValueError):
        ratchet = {"verdict": "not judged"}
    generated = datetime.datetime.fromtimestamp(
        os.path.getmtime(path), datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return summary, ratchet, generated


def copy_html(coverage_dir, out_dir):
    """llvm-cov's per-file view into OUT/coverage/; the link, or "" without one."""
    source = os.path.join(coverage_dir, "html")
    if not os.path.isdir(source):
        return ""
    target = os.path.join(out_dir, "coverage")
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    return "coverage/index.html"


def cases(coverage_dir):
    """The coverage suite's cases for the summary table: one per suite that left profiles
    (failed when one left none), and the ratchet."""
    loaded = load(coverage_dir)
    if loaded is None:
        return []
    summary, ratchet, _ = loaded
    out = []
    for suite in summary.get("suites_ran", []):
        s = summary["suites"].get(suite)
        if s:
            out.append({"group": "profiles", "name": suite, "classname": "", "outcome": "passed",
                        "message": "", "text": "", "time": 0.0})
        else:
            out.append({"group": "profiles", "name": suite, "classname": "", "outcome": "failed",
                        "message": "%s left no coverage profile" % suite, "text": "",
                        "time": 0.0})
    verdict = ratchet.get("verdict", "not judged")
    outcome = {"ok": "passed", "failed": "failed"}.get(verdict, "skipped")
    out.append({"group": "ratchet", "name": "floor", "classname": "", "outcome": outcome,
                "message": "" if outcome == "passed" else
                "\n".join(ratchet.get("lost", [])) or verdict,
                "text": "", "time": 0.0})
    return out


def section(loaded, link):
    if loaded is None:
        return ('<p class="na">No coverage: <code>./harness coverage</code> (or <code>harness '
                'run --coverage</code>) did not run; see docs/coverage.md.</p>')
    summary, ratchet, generated = loaded
    union = summary["union"]
    t = union["total"]
    parts = ['<p id="coverage-union"><b>sandbox/, union of %s: lines %.1f%% (%d/%d), '
             'branches %.1f%% (%d/%d), functions %.1f%% (%d/%d)</b> <span class="meta">'
             'generated %s</span></p>' % (
                 esc(", ".join(summary["suites"])), _pct(t["lines"]), t["lines"][0],
                 t["lines"][1], _pct(t["branches"]), t["branches"][0], t["branches"][1],
                 _pct(t["functions"]), t["functions"][0], t["functions"][1], esc(generated))]
    verdict = ratchet.get("verdict", "not judged")
    parts.append('<p>Ratchet (coverage/floor.tsv): <span class="%s" id="coverage-ratchet">'
                 '%s</span>%s</p>' % (
                     RATCHET_CLASS.get(verdict, "na"), esc(verdict),
                     "".join("<br><code>%s</code>" % esc(l) for l in ratchet.get("lost", []))))
    if link:
        parts.append('<p><a href="%s" id="coverage-link">Per-file view</a> (llvm-cov: '
                     'unreached lines and branches marked); lcov.info and cobertura.xml are in '
                     'out/coverage/.</p>' % esc(link))
    head = "<tr><th>suite</th><th>lines</th><th>branches</th><th>functions</th>" \
           "<th>profiles</th></tr>"
    rows = []
    for name, s in summary["suites"].items():
        rows.append('<tr data-coverage-suite="%s"><td>%s</td>%s%s%s<td class="num">%d</td>'
                    '</tr>' % (esc(name), esc(name), _cell(s["total"]["lines"]),
                               _cell(s["total"]["branches"]), _cell(s["total"]["functions"]),
                               s["profiles"]))
    rows.append('<tr class="total" data-coverage-suite="union"><td>union</td>%s%s%s<td></td>'
                '</tr>' % (_cell(t["lines"]), _cell(t["branches"]), _cell(t["functions"])))
    parts.append('<table id="coverage-suites"><thead>%s</thead><tbody>%s</tbody></table>' % (
        head, "".join(rows)))
    suites = list(summary["suites"])
    head = "<tr><th>file</th><th>union lines</th><th>union branches</th>" \
           "<th>union functions</th>%s</tr>" % "".join(
               "<th>%s lines</th>" % esc(s) for s in suites)
    rows = []
    for name in sorted(union["files"]):
        u = union["files"][name]
        per = "".join(_cell(summary["suites"][s]["files"][name]["lines"])
                      if name in summary["suites"][s]["files"] else "<td></td>" for s in suites)
        rows.append('<tr data-coverage-file="%s"><td><code>%s</code></td>%s%s%s%s</tr>' % (
            esc(name), esc(name), _cell(u["lines"]), _cell(u["branches"]),
            _cell(u["functions"]), per))
    parts.append('<table id="coverage-files"><thead>%s</thead><tbody>%s</tbody></table>' % (
        head, "".join(rows)))
    rows = []
    for suite, files in summary.get("only", {}).items():
        for name, lines in sorted(files.items()):
            rows.append('<tr><td>%s</td><td><code>%s</code></td><td class="num">%d</td>'
                        '<td>%s</td></tr>' % (esc(suite), esc(name), len(lines),
                                              esc(lcov.ranges(lines))))
    parts.append('<h3>Lines only one suite reaches</h3><table id="coverage-only"><thead><tr>'
                 '<th>suite</th><th>file</th><th>lines</th><th>which</th></tr></thead><tbody>'
                 '%s</tbody></table>' % ("".join(rows) or
                                         '<tr><td colspan="4">none</td></tr>'))
    return "\n".join(parts)
