"""The little markdown bench/report_md.py writes (headings, pipe tables, lists, paragraphs,
**bold**, `code`) as HTML, so the report shows the benchmark tables without a library."""
import html
import re


def _inline(text):
    text = html.escape(text, quote=False)
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
    return re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", text)


def _cells(line):
    return [c.strip() for c in line.strip().strip("|").split("|")]


def to_html(text, heading_offset=2):
    """HTML for TEXT; '# x' becomes <h(1+offset)> so it nests under the report's own."""
    out, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
        elif line.startswith("#"):
            level = min(6, len(line) - len(line.lstrip("#")) + heading_offset)
            out.append("<h%d>%s</h%d>" % (level, _inline(line.lstrip("#").strip()), level))
            i += 1
        elif line.lstrip().startswith("|"):
            rows = []
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                if not re.fullmatch(r"\|?(\s*:?-+:?\s*\|)+\s*", lines[i].strip()):
                    rows.append(_cells(lines[i]))
                i += 1
            head, body = rows[0], rows[1:]
            out.append("<table><thead><tr>%s</tr></thead><tbody>%s</tbody></table>" % (
                "".join("<th>%s</th>" % _inline(c) for c in head),
                "".join("<tr>%s</tr>" % "".join("<td>%s</td>" % _inline(c) for c in r)
                        for r in body)))
        elif line.startswith("- "):
            items = []
            while i < len(lines) and lines[i].startswith("- "):
                items.append("<li>%s</li>" % _inline(lines[i][2:]))
                i += 1
            out.append("<ul>%s</ul>" % "".join(items))
        else:
            para = []
            while (i < len(lines) and lines[i].strip() and not lines[i].startswith(("#", "- "))
                   and not lines[i].lstrip().startswith("|")):
                para.append(lines[i].strip())
                i += 1
            out.append("<p>%s</p>" % _inline(" ".join(para)))
    return "\n".join(out)
