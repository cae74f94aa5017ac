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


# What the grading machine's libraries print on stderr while a notebook runs there, not the
# student's: C++ log lines of TensorFlow/XLA (info and warnings: no GPU, oneDNN), absl's note on
# them, and joblib's notice that the sandbox has no shared memory. Errors are kept.
GRADER_NOISE = re.compile(
    r"^(?:WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|[IW]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ [\w./-]+:\d+\] .*"
    r"|.*joblib/_multiprocessing_helpers\.py:\d+: UserWarning: .*joblib will operate in serial mode"
    r"|\s*warnings\.warn\(\"%s\.\s+joblib will operate in serial mode\" % \(e,\)\))$")


def without_grader_noise(nb):
    """The stderr outputs of ``nb``'s code cells without ``GRADER_NOISE`` lines, in place; an
    output left empty is dropped."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                text = output.get("text") or ""
                text = "".join(line for line in text.splitlines(keepends=True)
                               if not GRADER_NOISE.match(line.rstrip("\r\n")))
                if not text:
                    continue
                output["text"] = text
            kept.append(output)
        cell["outputs"] = kept
    return nb


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
