"""Modules the grader's own processes never need, kept from loading.

nbformat validates notebooks with jsonschema, and jsonschema, when the optional
``rfc3987-syntax`` is installed (jupyter-events asks for it), builds a Lark grammar for IRIs
as it is imported: 2.7 s of CPU at the first ``import nbformat`` of every process on this
project's 2-core machine, for a string format no notebook schema uses. The grader's processes
that read notebooks (the command line, the runner inside each sandbox, nbgrader's commands, the
test suite) go without it: marked absent, jsonschema's optional import of it fails, as it does
where the package is not installed. A student's kernel is left as it is.
"""
import sys

UNUSED = ("rfc3987_syntax",)
# `python -c` for nbgrader's commands: the same, then nbgrader's own entry point.
NBGRADER_MAIN = (f"import sys; from {__name__} import skip_unused; skip_unused(); "
                 "sys.argv[0] = 'nbgrader'; from nbgrader.apps.nbgraderapp import main; main()")


def skip_unused():
    """Mark the unused modules absent in this process (one already imported stays)."""
    for name in UNUSED:
        sys.modules.setdefault(name, None)
