"""What makes the feedback safe to open: nbgrader preprocessors of its pipeline (configured in
nbgrader_config.py), the student's text made inert before it is recorded, and a page policy
that runs no script, put into every page the grader writes (``seal_feedback``)."""
import html
import os
import re
from html.parser import HTMLParser

import jinja2
from nbconvert.exporters import HTMLExporter
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
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
# A markdown link's destination is not HTML, so the sanitizer never sees it, and nbconvert's
# renderer lets every scheme through after decoding character references (twice: once for the
# URL, once for the attribute) and backslash escapes. Where markdown starts a destination (an
# inline link or image "](", a reference definition "]:", an autolink "<", then the spaces, the
# one line end, a block quote's ">" and the "<" markdown skips), the scheme is read the way the
# renderer and the browser will: references decoded, controls and whitespace dropped, case
# folded. Any scheme but these becomes "blocked:" (the rest of the link stays, for the instructor
# to see what the student wrote): "attachment:" is nbconvert's own, for pictures pasted into a
# cell, and raster pictures may be inline data. (Raw cells and HTML outputs are HTML, never
# rendered as markdown: the sanitizer checks their links. A \href in math is MathJax's, which
# the formgrader loads with its Safe extension, refusing such schemes.)
SAFE_SCHEMES = frozenset({"http", "https", "mailto", "attachment"})
_SAFE_DATA = re.compile(r"image/(?:png|jpeg|gif|webp|bmp)[;,]")
_LINK_START = re.compile(r"(?:\]\(|\]:|<)[ \t\f]*(?:(?:\r\n?|\n)[ \t\f>]*)?<?[ \t\f]*")
# What can spell a scheme up to its colon: letters, digits, "+.-", references (&#106; &Tab;
# &colon;), backslash escapes, tabs and controls (dropped, as browsers drop tabs). A space or a
# line end ends a destination in markdown; a "/", "?" or non-ASCII letter leaves no scheme.
_SCHEME_SPELLING = re.compile(r"[A-Za-z0-9+.\-&#;\\\x00-\x09\x0b\x0c\x0e-\x1f\x7f]*:?")
_REFERENCE = re.compile(r"&(?:#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[A-Za-z][A-Za-z0-9]*;?)|\\[!-/:-@\[-`{-~]")
_SCHEME = re.compile(r"[a-z][a-z0-9+.\-]*:")
# Decoding rounds before a spelling counts as hostile: the renderer decodes twice, a browser once.
_DECODE_ROUNDS = 6
_BLOCKED = "blocked:"
# What a destination may keep: ``SAFE_SCHEMES`` and "blocked:", which no browser knows.
_KEPT = SAFE_SCHEMES | {_BLOCKED[:-1]}


def _decoded(raw):
    """``raw`` as the browser finally reads it, each character with the end of its spelling in
    ``raw``: references and backslash escapes decoded until nothing changes, controls and
    whitespace dropped, ASCII case folded; None when decoding does not settle."""
    chars = [(c, i + 1) for i, c in enumerate(raw)]
    for _ in range(_DECODE_ROUNDS):
        text = "".join(c for c, _end in chars)
        decoded, pos = [], 0
        for m in _REFERENCE.finditer(text):
            decoded += chars[pos:m.start()]
            ref = m.group()
            value = ref[1] if ref[0] == "\\" else html.unescape(ref)
            decoded += [(c, chars[m.end() - 1][1]) for c in value]
            pos = m.end()
        decoded += chars[pos:]
        if decoded == chars:
            return [(c.lower() if c.isascii() else c, end) for c, end in chars
                    if not (c.isspace() and c.isascii() or ord(c) < 0x20 or c == "\x7f")]
        chars = decoded
    return None


def _blocked_span(text, start):
    """The end of the scheme a link destination at ``start`` of ``text`` has, when it is not a
    safe one (its spelling is then replaced); None when the destination is safe."""
    end = _SCHEME_SPELLING.match(text, start).end()
    chars = _decoded(text[start:end])
    if chars is None:
        return end
    scheme = _SCHEME.match("".join(c for c, _end in chars))
    if not scheme:
        return None                                   # relative: a path, a fragment, a query
    name = scheme.group()[:-1]
    if name in _KEPT:
        return None
    colon = start + chars[scheme.end() - 1][1]
    if name == "data":
        rest = _decoded(text[colon:colon + 64])
        if rest is not None and _SAFE_DATA.match("".join(c for c, _end in rest)):
            return None
    return colon


def inert_links(text):
    """``text`` (markdown) with every link, image and reference destination whose scheme is not
    in ``SAFE_SCHEMES`` turned into "blocked:..."; nothing else changes."""
    out, pos = [], 0
    for m in _LINK_START.finditer(text):
        if m.start() < pos:
            continue
        end = _blocked_span(text, m.end())
        if end is not None:
            out += [text[pos:m.end()], _BLOCKED]
            pos = end
    return "".join(out) + text[pos:]


# The student's markdown rendered the way nbgrader's formgrader renders it, in case markdown
# holds a destination ``inert_links`` does not know: a live link left in it and the text is
# shown as code, inert, instead (a text the renderer fails on is shown so too: the instructor's
# page would fail on it). Pictures are left as they are: a missing attachment fails the
# renderer, and the check wants links, not pictures.
_CONTROLS = re.compile(r"[\x00-\x20\x7f]+")
_URL_ATTRIBUTES = frozenset({"href", "src", "xlink:href", "action", "formaction", "background", "poster"})


class _Links(HTMLParser):
    """The URLs in a page's tags, their references decoded."""

    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        self.urls += [value or "" for name, value in attrs if name in _URL_ATTRIBUTES]

    handle_startendtag = handle_starttag


class _NoAttachments(dict):
    """Every "attachment:" picture found (and empty): the check renders links, not pictures."""

    def __contains__(self, name):
        return True

    def __missing__(self, name):
        return {"image/png": ""}


def _live_link(markdown):
    """Whether ``markdown``, rendered by nbconvert, has a link or image with an unsafe scheme."""
    try:
        links = _Links()
        links.feed(MarkdownWithMath(renderer=IPythonRenderer(escape=False, attachments=_NoAttachments())
                                    ).render(markdown))
        links.close()
    except Exception:
        return True
    # An attribute's value is decoded already; the browser drops its spaces and controls.
    return any(_blocked_span(_CONTROLS.sub("", url), 0) is not None for url in links.urls)


def _as_code(text):
    """``text`` as a fenced code block no line of it can close: shown as it is, nothing parsed."""
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall(r"`+", text)), default=0))
    return f"{fence}\n{text}\n{fence}"


def inert_markdown(text):
    """``inert_links`` on ``text``, shown as code when links are still live after it."""
    text = inert_links(text)
    return _as_code(text) if _live_link(text) else text


def inert_cells(nb):
    """The student's markdown, raw cells and rich outputs made inert text, in place, before
    nbgrader records and renders them: HTML tags outside a small safe set escaped (shown,
    not run; nothing the student wrote is lost), script and other active outputs removed,
    links with a scheme outside ``SAFE_SCHEMES`` disabled in markdown cells and markdown
    outputs (``inert_markdown``), nbgrader's hidden-test delimiters defused outside the
    grader's test cells."""
    sanitizer = SanitizeHTML(strip=False)
    for index, cell in enumerate(nb.cells):
        sanitizer.preprocess_cell(cell, {}, index)
        if cell.cell_type == "markdown":
            cell.source = inert_markdown(cell.source)
        for output in cell.get("outputs", []):
            data = output.get("data") or {}
            if isinstance(data.get("text/markdown"), str):
                data["text/markdown"] = inert_markdown(data["text/markdown"])
            elif "text/markdown" in data:       # not text: nothing a renderer should read
                data["text/markdown"] = ""
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


class _CompiledTemplates(jinja2.BytecodeCache):
    """The feedback's Jinja templates as compiled code, kept by name and source checksum for
    the life of the process (jinja2's own bytecode cache protocol)."""

    def __init__(self):
        self._codes = {}

    def load_bytecode(self, bucket):
        kept = self._codes.get(bucket.key)
        if kept is not None and kept[0] == bucket.checksum:
            bucket.code = kept[1]

    def dump_bytecode(self, bucket):
        self._codes[bucket.key] = (bucket.checksum, bucket.code)


_TEMPLATES = _CompiledTemplates()


class FeedbackExporter(HTMLExporter):
    """nbconvert's HTML exporter, configured as ``HTMLExporter`` is, that compiles its templates
    once per process: nbgrader makes a new exporter, so a new Jinja environment, for every
    student, and compiling the feedback's nine templates again was a fifth of recording one."""

    def _create_environment(self):
        environment = super()._create_environment()
        environment.bytecode_cache = _TEMPLATES
        return environment
