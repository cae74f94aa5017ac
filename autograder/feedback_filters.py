"""What makes the feedback safe to open: nbgrader preprocessors of its pipeline (configured in
nbgrader_config.py), the student's text made inert before it is recorded, and a page policy
that runs no script, put into every page the grader writes (``seal_feedback``)."""
import os
import re

from nbconvert.preprocessors.sanitize import SanitizeHTML
from nbgrader.preprocessors import NbGraderPreprocessor

from .atomic import write_text


class ShortenHiddenTracebacks(NbGraderPreprocessor):
    """A failing hidden test cell's traceback quotes the cell's code, hidden tests included;
    the student gets the error's message alone. Runs before ClearHiddenTests, while the
    hidden-test markers still tell which cells hold hidden tests."""

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "code" and "BEGIN HIDDEN TESTS" in cell.source:
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources


# A feedback page runs no script at all, whatever got into it: inline scripts, event handlers
# and javascript: links are refused by the browser; frames, plugins, forms and <base> too.
CONTENT_POLICY = ("<meta http-equiv=\"Content-Security-Policy\" content=\"script-src 'none'; "
                  "object-src 'none'; frame-src 'none'; form-action 'none'; base-uri 'none'\">")


def inert_cells(nb):
    """The student's markdown, raw cells and rich outputs made inert text, in place, before
    nbgrader records and renders them: HTML tags outside a small safe set escaped (shown,
    not run; nothing the student wrote is lost), script and other active outputs removed."""
    sanitizer = SanitizeHTML(strip=False)
    for index, cell in enumerate(nb.cells):
        sanitizer.preprocess_cell(cell, {}, index)
    return nb


def seal_html(path):
    """Put ``CONTENT_POLICY`` first in the page's <head> (once); the page is the grader's own
    output, so a missing <head> gets one."""
    with open(path, encoding="utf-8", errors="replace") as f:
        html = f.read()
    if CONTENT_POLICY in html[:4096]:
        return
    match = re.search(r"<head[^>]*>", html[:65536], re.IGNORECASE)
    html = (html[:match.end()] + CONTENT_POLICY + html[match.end():]) if match else \
        f"<head>{CONTENT_POLICY}</head>" + html
    write_text(path, html)


def seal_feedback(course_dir, student=None):
    """``seal_html`` on every feedback page nbgrader wrote (one student's, or everyone's)."""
    root = os.path.join(course_dir, "feedback", *([student] if student else []))
    for folder, _dirs, names in os.walk(root):
        for name in names:
            if name.endswith(".html"):
                seal_html(os.path.join(folder, name))
