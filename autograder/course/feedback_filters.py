"""What makes the feedback safe to open: nbgrader preprocessors of its pipeline (configured in
nbgrader_config.py), the student's text made inert before it is recorded, and a page policy
that runs no script, put into every page the grader writes (``seal_feedback``)."""
import os
import re

from nbconvert.preprocessors.sanitize import SanitizeHTML
from nbgrader.preprocessors import NbGraderPreprocessor

from ..common.atomic import write_text
from ..untrusted.metadata import nbgrader


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
    r"|\s*warnings\.warn\(\"%s\.\s+joblib will operate in serial mode\" % \(e,\)\))$")
# joblib's own line, by plain text tests: a pattern with two wildcards around a phrase the
# student can repeat takes quadratic time on a crafted line.
JOBLIB_NOISE = ("joblib/_multiprocessing_helpers.py:", ": UserWarning: ", "joblib will operate in serial mode")
MAX_NOISE_LINE = 2000


def is_grader_noise(line):
    if len(line) > MAX_NOISE_LINE:
        return False
    if line.endswith(JOBLIB_NOISE[2]) and JOBLIB_NOISE[0] in line and JOBLIB_NOISE[1] in line:
        return True
    return bool(GRADER_NOISE.match(line))


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
                               if not is_grader_noise(line.rstrip("\r\n")))
                if not text:
                    continue
                output["text"] = text
            kept.append(output)
        cell["outputs"] = kept
    return nb


# A feedback page runs no script at all, whatever got into it: inline scripts, event handlers
# and javascript: links are refused by the browser; frames, plugins, forms and <base> too.
CONTENT_POLICY = ("<meta http-equiv=\"Content-Security-Policy\" content=\"script-src 'none'; "
                  "object-src 'none'; frame-src 'none'; form-action 'none'; base-uri 'none'; img-src data:\">")


# nbgrader's hidden-test delimiters mean something to its preprocessors in any cell: in a
# student's text they would make the record fail (and the student be recorded on the blank
# release). A zero-width joiner keeps them readable and inert.
HIDDEN_TEST_MARKS = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
# A markdown link's target is not HTML, so the sanitizer never sees it; browsers ignore
# whitespace and control characters inside a scheme.
_SCRIPT_SCHEME = re.compile(r"(?i)(?:j[\s\x00-\x1f]*a[\s\x00-\x1f]*v[\s\x00-\x1f]*a[\s\x00-\x1f]*"
                            r"|v[\s\x00-\x1f]*b[\s\x00-\x1f]*)s[\s\x00-\x1f]*c[\s\x00-\x1f]*r[\s\x00-\x1f]*"
                            r"i[\s\x00-\x1f]*p[\s\x00-\x1f]*t[\s\x00-\x1f]*:")


def inert_cells(nb):
    """The student's markdown, raw cells and rich outputs made inert text, in place, before
    nbgrader records and renders them: HTML tags outside a small safe set escaped (shown,
    not run; nothing the student wrote is lost), script and other active outputs removed,
    script links in markdown disabled, nbgrader's hidden-test delimiters defused outside the
    grader's test cells."""
    sanitizer = SanitizeHTML(strip=False)
    for index, cell in enumerate(nb.cells):
        sanitizer.preprocess_cell(cell, {}, index)
        if cell.cell_type == "markdown":
            cell.source = _SCRIPT_SCHEME.sub("blocked:", cell.source)
        if not nbgrader(cell).get("grade"):
            for mark in HIDDEN_TEST_MARKS:
                cell.source = cell.source.replace(mark, mark.replace(" ", " \u200d", 1))
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
