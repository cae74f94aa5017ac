"""Code in a submission that tampers with the libraries, the grader or the kernel, found by
reading it (never by running it), so the instructor can review those submissions.

Each flag has a severity. ``tampering``: code that changes libraries, Python or the kernel,
for the instructor to review. Those aimed at the grader's own code (``against_grader``) can
forge what the kernel observes, so the observed checks are withheld until the instructor
reviews the submission (``c.Batch.reviewed``); the others are judged on their effects.
``notice``: worth a look, changes nothing (e.g. a shipped ``keras.py``, which the kernel no
longer lets shadow the library). Model structure and accuracy are judged outside the kernel
whatever the flags say.
"""
import ast
import os
import sys

from ..untrusted import files
from ..untrusted.metadata import nbgrader
from .cell_code import Unreadable, read
from .results import Flag

GRADER_MODULES_ALLOWED = {"autograder", "autograder.data", "autograder.budget", "autograder.notebook"}
KERNEL_CALLS = {("os", "_exit"): "ends the kernel process (os._exit)",
                ("os", "kill"): "sends signals to processes (os.kill)",
                ("sys", "exit"): "ends the kernel (sys.exit)",
                ("importlib", "reload"): "reloads a module (importlib.reload)",
                ("importlib", "import_module"): "imports by name at run time (importlib.import_module)",
                ("gc", "get_referrers"): "reaches into other objects (gc.get_referrers)"}
DYNAMIC = {"exec": "runs code built at run time (exec)", "eval": "evaluates code built at run time (eval)",
           "compile": "compiles code at run time (compile)", "__import__": "imports by name at run time",
           "setattr": "sets attributes by name (setattr)"}


# Assignments into libraries that notebooks make for display or configuration, harmlessly.
BENIGN_TARGETS = ("rcParams", "environ", "options")
SEVERITY = {"notice": 0, "tampering": 1}


def _root(node):
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def tampering(flags):
    """The flags an instructor should review."""
    return [f for f in flags if f.get("severity") == "tampering"]


# What only code aimed at the grader's own observation can be: these withhold the observed
# checks until reviewed. Library patches are judged on their effects (a sweep trained by a
# patched ``fit`` fails its honesty check); IPython's error handling no longer decides anything.
AGAINST_GRADER = ("grader's", "nested too deeply", "could not be read by the grader")


def against_grader(flags):
    return [f for f in tampering(flags) if any(phrase in str(f.get("why", "")) for phrase in AGAINST_GRADER)]


def _trees(source, depth=0):
    """[(lines, tree, line offset)] of a cell as the kernel runs it, and of the code a magic
    runs (``%%time``'s body, ``%timeit``'s line: a string in the cell's own tree)."""
    code = read(source)
    if code.tree is None:
        return []
    found = [(code.python.splitlines(), code.tree, 0)]
    for node in ast.walk(code.tree) if depth < 2 else ():
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr in ("run_cell_magic", "run_line_magic") and node.args and \
                isinstance(node.args[-1], ast.Constant) and isinstance(node.args[-1].value, str):
            try:
                inner = _trees(node.args[-1].value, depth + 1)
            except Unreadable as exc:
                if exc.kind != "ipython":
                    raise
                continue
            # A cell magic's body starts on the line after the magic; a line magic's code is on its line.
            line = getattr(node, "lineno", 1) - (node.func.attr == "run_line_magic")
            found += [(lines, tree, line + below) for lines, tree, below in inner]
    return found


def scan(nb):
    """Flags (as JSON) for the notebook's code cells (test cells excluded)."""
    trees, unscannable = [], []
    for index, cell in enumerate(nb.cells, 1):
        if cell.cell_type != "code" or nbgrader(cell).get("grade") and \
                not nbgrader(cell).get("solution"):
            continue
        try:
            found = _trees(cell.source)
        except Unreadable as exc:
            if exc.kind == "ipython":       # the kernel cannot run it either
                continue
            # Code nobody can read cannot be cleared either: the instructor looks at it.
            why = f"is nested too deeply for the grader to read its code ({exc.cause})" if exc.kind == "deep" \
                else f"is too long for the grader to read its code ({exc})"
            unscannable.append(Flag(why, "tampering",
                                    index, 1, cell.source.splitlines()[0][:80] if cell.source else ""))
            continue
        trees += [(index, *one) for one in found]
    imported = set()
    for _, _, tree, _ in trees:
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                imported.update((a.asname or a.name).split(".")[0] for a in node.names)
    imported.update({"sys", "builtins", "__builtins__", "get_ipython"})
    flags = list(unscannable)

    def flag(index, lines, node, why, severity="tampering"):
        line = getattr(node, "lineno", 1)
        code = lines[line - 1].strip() if 0 < line <= len(lines) else ""
        flags.append(Flag(why, severity, index, line + offset, code))

    for index, lines, tree, offset in trees:
        for node in ast.walk(tree):
            targets = []
            if isinstance(node, (ast.Assign, ast.Delete)):
                targets = node.targets
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
                targets = [node.target]
            for target in targets:
                if isinstance(target, (ast.Attribute, ast.Subscript)) and _root(target) in imported:
                    text = ast.unparse(target)
                    flag(index, lines, node, f"changes `{text}`, which belongs to a library or to Python itself",
                         "notice" if any(part in text for part in BENIGN_TARGETS) else "tampering")
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("autograder") and \
                    node.module not in GRADER_MODULES_ALLOWED:
                flag(index, lines, node, f"imports the grader's internals ({node.module})")
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("autograder") and alias.name not in GRADER_MODULES_ALLOWED:
                        flag(index, lines, node, f"imports the grader's internals ({alias.name})")
                    if alias.name in ("ctypes",):
                        flag(index, lines, node, "imports ctypes (raw memory access)")
            if isinstance(node, ast.Call):
                func = node.func
                if isinstance(func, ast.Name) and func.id in DYNAMIC:
                    benign = func.id == "setattr" and node.args and _root(node.args[0]) not in imported
                    flag(index, lines, node, DYNAMIC[func.id], "notice" if benign else "tampering")
                elif isinstance(func, ast.Attribute):
                    if func.attr == "set_custom_exc":
                        flag(index, lines, node, "replaces IPython's exception handling (set_custom_exc)")
                    elif (_root(func), func.attr) in KERNEL_CALLS:
                        flag(index, lines, node, KERNEL_CALLS[(_root(func), func.attr)])
    return [f.to_json() for f in flags]


def installed_top_level():
    """Names of the modules and packages the kernel could import from its installation."""
    names = set(sys.builtin_module_names) | set(getattr(sys, "stdlib_module_names", ()))
    for folder in sys.path:
        if os.path.isdir(folder) and folder.startswith((sys.prefix, sys.base_prefix)):
            for entry in os.listdir(folder):
                names.add(entry.split(".")[0].split("-")[0])
    return names | {"autograder"}


def scan_folder(folder, notebook_name):
    """Flags for files shipped beside the notebook that carry a library's or the grader's name
    (the kernel imports installed modules first, so they shadow nothing, but say so). Names
    come from ``untrusted.files.walk``: links, special files and names that are not UTF-8
    are the scratch copy's to report."""
    installed, flags = installed_top_level(), []
    listing = files.walk(folder, lambda rel, is_dir: "" if "/" not in rel else None, max_depth=2)
    for entry in listing.entries:
        name = entry.rel[:-3] if entry.rel.endswith(".py") else entry.rel
        is_module = entry.rel.endswith(".py") or entry.is_dir
        if entry.rel != notebook_name and is_module and name in installed:
            flags.append(Flag(f"ships `{entry.rel}` beside the notebook, named like the installed "
                              f"module `{name}` (ignored: installed modules are imported first)", code=entry.rel))
    return [f.to_json() for f in flags]
