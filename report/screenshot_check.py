#!/usr/bin/python3
"""Checks what headless Chromium made of the fixture report: the screenshot is the size
asked for and shows a styled page (the red verdict badge, the benchmark plot's bars, so
CSS and the copied SVGs were loaded), and Chromium's DOM holds the summary table with the
fixture's counts.

Usage: screenshot_check.py PNG DOM WIDTH HEIGHT
"""
import html.parser
import sys

import png_pixels

VERDICT_RED = (179, 38, 30)   # .verdict.failed background, report/html_report.py
PLOT_ORANGE = (217, 95, 2)    # the lix bars of report/testdata/bench/*.svg
WHITE = (255, 255, 255)
# suite: (passed, failed, skipped), as in make_report_test.py.
EXPECTED = {"unit": ("6", "3", "1"), "host": ("6", "0", "1"), "total": ("23", "6", "5")}


class Cells(html.parser.HTMLParser):
    """{data-suite: [n-passed, n-failed, n-skipped]} from the table with id="summary"."""

    def __init__(self):
        super().__init__()
        self.rows, self.table, self.suite, self.field = {}, False, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self.table = a.get("id") == "summary"
        elif self.table and tag == "tr":
            self.suite = a.get("data-suite")
        elif self.table and self.suite and tag == "td":
            classes = (a.get("class") or "").split()
            self.field = next((c for c in classes if c.startswith("n-")), None)

    def handle_data(self, data):
        if self.field:
            self.rows.setdefault(self.suite, []).append(data.strip())
            self.field = None


def main(png, dom, width, height):
    problems = []
    w, h, counts = png_pixels.colours(png)
    if (w, h) != (int(width), int(height)):
        problems.append("screenshot is %dx%d, asked for %sx%s" % (w, h, width, height))
    total = sum(counts.values())
    if len(counts) < 50:
        problems.append("screenshot has only %d colours: a blank or broken page" % len(counts))
    if counts[WHITE] > 0.97 * total:
        problems.append("screenshot is %.1f%% white" % (100.0 * counts[WHITE] / total))
    if counts[VERDICT_RED] < 500:
        problems.append("no red verdict badge (%d pixels): the CSS did not apply"
                        % counts[VERDICT_RED])
    if counts[PLOT_ORANGE] < 1000:
        problems.append("no plot bars (%d pixels): the SVG plots did not load"
                        % counts[PLOT_ORANGE])

    text = open(dom, encoding="utf-8", errors="replace").read()
    if "<title>sbx harness run: failed</title>" not in text:
        problems.append("Chromium's DOM has no report title")
    cells = Cells()
    cells.feed(text)
    for suite, want in EXPECTED.items():
        got = tuple(cells.rows.get(suite, ()))
        if got != want:
            problems.append("summary row %s: %s, want %s" % (suite, got, want))

    for p in problems:
        print("FAIL: " + p, file=sys.stderr)
    if not problems:
        print("PASS: %dx%d screenshot, %d colours; summary table as expected" % (
            w, h, len(counts)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
