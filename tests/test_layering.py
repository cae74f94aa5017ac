"""Arrows run downward: each side of the grader imports only what lies below it, read from the
sources (every import, function-local ones included), in milliseconds.

From the bottom: the common helpers (``autograder.common``: nothing of the grader), the student
package (what ``autograder release`` ships, ``student_package.FILES``) and the kernel's side; the
readers of what a submission controls (``autograder.untrusted``); the sandbox (knows no grader:
what it hides is handed to it); the retraining; the course's nbgrader files (``autograder.course``);
the batch; the instructor's commands (``autograder.instructor``) and the command line. Tools
(``autograder.tools``: benchmarks, sample classes) may read anything; nothing but the command
line reads them. The top level of the package holds the student package and the command line."""
import ast
import os

import pytest

from autograder.instructor import student_package

PACKAGE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "autograder")
STUDENT = {f[:-3].replace("/", ".").removesuffix(".__init__") for f in student_package.FILES}


def _module(path):
    rel = os.path.relpath(path, os.path.dirname(PACKAGE))[:-3].replace(os.sep, ".")
    return rel.removesuffix(".__init__")


def _resolve(name):
    """The module an imported name is: a submodule when one exists, else the package."""
    path = os.path.join(os.path.dirname(PACKAGE), *name.split("."))
    return name if os.path.exists(path + ".py") or os.path.isdir(path) else name.rsplit(".", 1)[0]


def import_graph():
    graph = {}
    for root, _, names in os.walk(PACKAGE):
        for name in names:
            if not name.endswith(".py"):
                continue
            path = os.path.join(root, name)
            module = _module(path)
            package = module if name == "__init__.py" else module.rsplit(".", 1)[0]
            targets = graph.setdefault(module, set())
            for node in ast.walk(ast.parse(open(path, encoding="utf-8").read())):
                if isinstance(node, ast.ImportFrom):
                    base = package.split(".")[:len(package.split(".")) - node.level + 1] if node.level else []
                    target = ".".join(base + ([node.module] if node.module else []))
                    if target.split(".")[0] == "autograder":
                        targets.update(_resolve(f"{target}.{a.name}") for a in node.names)
                elif isinstance(node, ast.Import):
                    targets.update(_resolve(a.name) for a in node.names if a.name.split(".")[0] == "autograder")
            targets.discard(module)
    return graph


GRAPH = import_graph()


def within(module, *sides):
    """``module`` is one of ``sides`` or lies inside one (a package)."""
    return any(module == side or module.startswith(side + ".") for side in sides)


TOOLS = {m for m in GRAPH if within(m, "autograder.tools")}


def arrows(source):
    return sorted((m, t) for m, ts in GRAPH.items() if source(m) for t in ts)


# Imported where the grader is installed, and skipped (ImportError of that very module) in the
# student package, which ships no accuracy checks: the student's visible checks never retrain.
OPTIONAL = {("autograder.checks.in_force", "autograder.checks.accuracy")}


def test_the_student_package_imports_only_itself():
    assert [(m, t) for m, t in arrows(lambda m: m in STUDENT) if t not in STUDENT and (m, t) not in OPTIONAL] == []


def test_the_kernel_side_imports_only_itself_and_the_student_package():
    assert [(m, t) for m, t in arrows(lambda m: m.startswith("autograder.kernel"))
            if not (t.startswith("autograder.kernel") or t in STUDENT)] == []


def test_the_sandbox_knows_no_grader():
    allowed = ("autograder.sandbox", "autograder.common", "autograder.kernel.channel", "autograder.untrusted.files")
    assert [(m, t) for m, t in arrows(lambda m: m.startswith("autograder.sandbox"))
            if not (t == "autograder" or t.startswith(allowed))] == []


def test_the_common_helpers_import_nothing_of_the_grader():
    assert arrows(lambda m: within(m, "autograder.common")) == []


# The one module above: the JSON depth bound the retraining's config check uses too.
UNTRUSTED_READS = ("autograder.common", "autograder.untrusted", "autograder.retrain.safety")


def test_the_readers_of_untrusted_files_import_only_the_common_helpers_and_the_student_package():
    assert [(m, t) for m, t in arrows(lambda m: within(m, "autograder.untrusted"))
            if not (within(t, *UNTRUSTED_READS) or t in STUDENT)] == []


@pytest.mark.parametrize("side, above", [
    ("autograder.retrain", ("autograder.batch", "autograder.cli", "autograder.course", "autograder.instructor")),
    ("autograder.checks", ("autograder.batch", "autograder.retrain.runner", "autograder.cli", "autograder.course",
                           "autograder.instructor")),
    ("autograder.course", ("autograder.batch", "autograder.instructor", "autograder.cli")),
    ("autograder.batch", ("autograder.instructor", "autograder.cli")),
])
def test_no_arrow_runs_up(side, above):
    assert [(m, t) for m, t in arrows(lambda m: within(m, side) and m not in TOOLS) if within(t, *above)] == []


def test_only_the_command_line_reads_the_tools():
    assert [(m, t) for m, t in arrows(lambda m: m not in TOOLS and m != "autograder.cli") if t in TOOLS] == []


def test_only_the_command_line_and_the_tools_read_the_instructors_commands():
    """(The Gradescope autograder runs the batch: the instructor's commands may read it.)"""
    assert [(m, t) for m, t in arrows(lambda m: not within(m, "autograder.instructor", "autograder.cli", *TOOLS))
            if within(t, "autograder.instructor")] == []


def test_the_top_level_holds_the_student_package_and_the_command_line():
    top = sorted(n for n in os.listdir(PACKAGE) if n.endswith(".py"))
    shipped = [f.removeprefix("autograder/") for f in student_package.FILES if f.count("/") == 1]
    assert top == sorted(shipped + ["cli.py", "__main__.py"])


def strongly_connected(graph):
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(component)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycle():
    """The assignment is declared below its checks: the checks read it, it reads none of them
    (``checks.in_force`` builds an assignment's checks)."""
    assert strongly_connected(GRAPH) == []
    assert strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
