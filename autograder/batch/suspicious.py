"""Code in a submission that tampers with the libraries, the grader or the kernel, found by
reading it (never by running it), so the instructor can review those submissions.

Flags change no score: model structure and accuracy are judged outside the kernel anyway;
the flags point at the submissions whose in-kernel observations deserve a human look.
"""
import ast

GRADER_MODULES_ALLOWED = {"autograder", "autograder.data", "autograder.budget", "autograder.notebook"}
KERNEL_CALLS = {("os", "_exit"): "ends the kernel process (os._exit)",
                ("os", "kill"): "sends signals to processes (os.kill)",
                ("sys", "exit"): "ends the kernel (sys.exit)",
                ("importlib", "reload"): "reloads a module (importlib.reload)",
                ("gc", "get_referrers"): "reaches into other objects (gc.get_referrers)"}
DYNAMIC = {"exec": "runs code built at run time (exec)", "eval": "evaluates code built at run time (eval)",
           "compile": "compiles code at run time (compile)", "__import__": "imports by name at run time",
           "setattr": "sets attributes by name (setattr)"}


def _root(node):
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _parse(source):
    try:
        return ast.parse(source)
    except SyntaxError:
        lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        try:
            return ast.parse("\n".join(lines))
        except SyntaxError:
            return None


def scan(nb):
    """[{"cell", "line", "code", "why"}] for the notebook's code cells (test cells excluded)."""
    trees = []
    for index, cell in enumerate(nb.cells, 1):
        if cell.cell_type != "code" or cell.metadata.get("nbgrader", {}).get("grade") and \
                not cell.metadata.get("nbgrader", {}).get("solution"):
            continue
        tree = _parse(cell.source)
        if tree is not None:
            trees.append((index, cell.source.splitlines(), tree))
    imported = set()
    for _, _, tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                imported.update((a.asname or a.name).split(".")[0] for a in node.names)
    imported.update({"sys", "builtins", "__builtins__"})
    flags = []

    def flag(index, lines, node, why):
        line = getattr(node, "lineno", 1)
        code = lines[line - 1].strip() if 0 < line <= len(lines) else ""
        flags.append({"cell": index, "line": line, "code": code[:200], "why": why})

    for index, lines, tree in trees:
        for node in ast.walk(tree):
            targets = []
            if isinstance(node, (ast.Assign, ast.Delete)):
                targets = node.targets
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
                targets = [node.target]
            for target in targets:
                if isinstance(target, (ast.Attribute, ast.Subscript)) and _root(target) in imported:
                    flag(index, lines, node, f"changes `{ast.unparse(target)}`, which belongs to a library "
                                             "or to Python itself")
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
                    flag(index, lines, node, DYNAMIC[func.id])
                elif isinstance(func, ast.Attribute):
                    if func.attr == "set_custom_exc":
                        flag(index, lines, node, "replaces IPython's exception handling (set_custom_exc)")
                    elif (_root(func), func.attr) in KERNEL_CALLS:
                        flag(index, lines, node, KERNEL_CALLS[(_root(func), func.attr)])
    return flags
