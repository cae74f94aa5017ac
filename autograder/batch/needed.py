"""Which cells a grade depends on: the cell dependency graph of the notebook the grader executes.

The grader retrains every model itself and calls the student's functions on its own inputs, so
most of a notebook's time (the demonstrations, the runner cells that train, the plots) goes to
cells no check reads. This module reads each code cell once (IPython's own transformation of
magics into code, then ``ast`` and ``symtable``) and records what it binds and what it reads,
now and when its functions are later called. The cells that run while grading are the
observation cells and, transitively, every earlier cell binding a name they need: the names
each check reads (``check_reads``, derived from the assignment's declaration), the names those
cells read, and the free names of the functions they define.

It is conservative where it cannot know: a notebook using what static analysis cannot follow
(``exec``/``eval``, ``globals()``, ``%run``, ``get_ipython()``, ``importlib``, a check whose
names cannot be listed) runs in full, with the reason; so does a cell it cannot parse. Cells
that change state a needed cell may read without naming it (seeds, library configuration,
files, shell commands, star imports, a library patched) always run. A cell binds a name when it
assigns, imports, deletes or mutates it (item or attribute stores, the mutating methods of
Python's and NumPy's containers, an in-place shuffle), or calls a function of the notebook that
does. What is not followed: a library call that changes its argument in place beyond those.
"""
import ast
import builtins
import inspect
import symtable
import textwrap
import threading
from dataclasses import dataclass, field

# What makes a notebook's bindings unknowable before it runs.
DYNAMIC_NAMES = {"exec": "runs code built at run time (exec)", "eval": "evaluates code at run time (eval)",
                 "compile": "compiles code at run time", "globals": "reads or writes the namespace by name (globals())",
                 "locals": "reads the namespace by name (locals())", "vars": "reads the namespace by name (vars())",
                 "__import__": "imports by name at run time", "importlib": "imports by name at run time (importlib)",
                 "get_ipython": "drives IPython itself (get_ipython())", "__builtins__": "reaches the builtins",
                 "builtins": "changes the builtins", "__main__": "reaches the notebook's module",
                 "import_ipynb": "imports a notebook", "__dict__": "reads or writes a namespace by name"}
# Line and cell magics that bind nothing and read nothing (display, configuration of the display).
INERT_MAGICS = {"matplotlib", "config", "precision", "pylab", "html", "HTML", "markdown", "latex",
                "javascript", "js", "svg", "who", "whos", "who_ls", "pwd", "history", "lsmagic", "magic",
                "pdoc", "pdef", "psource", "pinfo", "pinfo2", "xmode", "colors", "page"}
# Magics whose argument or body is Python code run in the notebook's namespace.
CODE_MAGICS = {"time", "timeit", "capture", "prun"}
# Magics with effects the grader cannot see (the shell, files, installs, the environment):
# their cells always run.
EFFECT_MAGICS = {"pip", "conda", "system", "sx", "bash", "sh", "script", "writefile", "file", "env", "cd",
                 "load_ext", "reload_ext", "unload_ext", "autoreload", "aimport", "set_env", "mkdir"}
# Methods that change the object they are called on (Python's containers, NumPy arrays, Keras
# models): calling one on a notebook name binds that name again.
MUTATING_METHODS = {"append", "extend", "insert", "remove", "pop", "popitem", "clear", "sort", "reverse",
                    "update", "setdefault", "add", "discard", "difference_update", "intersection_update",
                    "symmetric_difference_update", "fill", "resize", "put", "itemset", "setflags", "partition",
                    "byteswap", "shuffle", "compile", "set_weights", "load_weights", "build", "fit",
                    "train_on_batch", "add_weight", "assign", "assign_add", "assign_sub", "seed", "__setitem__",
                    "__delitem__", "__iadd__", "write", "close"}
# Functions that change an argument in place.
MUTATING_FUNCTIONS = {"shuffle", "copyto", "put", "place", "putmask", "fill_diagonal", "setattr", "delattr"}
# Calls on a library that change global state every later cell sees (seeds, configuration).
STATEFUL_PREFIXES = ("set", "seed", "enable", "disable", "use", "reset", "clear", "register", "rc",
                     "install", "patch", "config", "experimental_", "filterwarnings", "simplefilter")
MAX_SOURCE = 200_000        # characters per cell: longer is not analysed (the notebook runs in full)
_LOCK = threading.Lock()    # CPython 3.11's parser is not safe across threads (see suspicious.py)


class Unknowable(Exception):
    """What the analysis cannot follow; the message is the reason the notebook runs in full."""


@dataclass(frozen=True)
class CellInfo:
    """What one code cell binds and reads. ``reads``: names read when the cell runs;
    ``deferred``: names its functions and classes read when they are called. ``always``: why
    the cell runs whatever is needed (its effects are not names), else ""."""
    index: int
    binds: frozenset = frozenset()
    reads: frozenset = frozenset()
    deferred: frozenset = frozenset()
    calls: frozenset = frozenset()        # notebook names referenced (whose effects it may cause)
    effects: dict = field(default_factory=dict)     # function name -> names it binds when called
    always: str = ""


@dataclass(frozen=True)
class Plan:
    """The cells to run: ``mode`` "needed" (only ``run``) or "all" (``reason`` says why)."""
    mode: str
    run: frozenset = frozenset()
    skipped: tuple = ()
    reason: str = ""

    def to_json(self):
        return {"mode": self.mode, "skipped": list(self.skipped), "reason": self.reason}


def python_source(source):
    """The cell as the Python IPython runs (magics turned into calls), or Unknowable."""
    if len(source) > MAX_SOURCE:
        raise Unknowable(f"a cell of {len(source)} characters is longer than the analysis reads")
    from IPython.core.inputtransformer2 import TransformerManager
    try:
        return TransformerManager().transform_cell(source)
    except Exception as exc:
        raise Unknowable(f"IPython cannot read a cell ({type(exc).__name__})") from None


def _parse(code):
    with _LOCK:
        try:
            return ast.parse(code), symtable.symtable(code, "<cell>", "exec")
        except SyntaxError:
            return None, None       # the cell fails when it runs, binding nothing
        except (RecursionError, MemoryError, SystemError, ValueError) as exc:
            raise Unknowable(f"a cell is nested too deeply to analyse ({type(exc).__name__})") from None


def _root(node):
    """The notebook name an attribute or item chain starts from (``a`` of ``a.b[0].c``); None
    where it starts from a call's result (a new object) or an expression."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _magic(call):
    """(kind, name, code) for ``get_ipython().run_line_magic(...)`` and friends, else None."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call)
            and isinstance(func.value.func, ast.Name) and func.value.func.id == "get_ipython"):
        return None
    args = [a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None for a in call.args]
    if func.attr in ("system", "getoutput"):
        return "effect", "system", None
    if func.attr == "run_line_magic" and len(args) >= 2 and args[0]:
        return "line", args[0], args[1]
    if func.attr == "run_cell_magic" and len(args) >= 3 and args[0]:
        return "cell", args[0], (args[1], args[2])
    return "unknown", func.attr, None


class _Reader:
    """Collects one cell's names, effects and the reasons it cannot be followed."""

    def __init__(self, imported):
        self.binds, self.reads, self.deferred, self.calls = set(), set(), set(), set()
        self.effects, self.always = {}, ""
        self.imported = imported

    def code(self, code, nested=0):
        if nested > 2:
            raise Unknowable("magics nested in magics")
        tree, table = _parse(code)
        if tree is None:
            return
        self._table(table)
        self._tree(tree, nested)
        exposed = _Exposed()
        exposed.statements(tree.body)
        self.reads |= exposed.reads

    def _table(self, table):
        for sym in table.get_symbols():
            name = sym.get_name()
            if sym.is_assigned() or sym.is_imported():
                self.binds.add(name)
        for child in table.get_children():
            self._child(child, self._owner(child, table))

    @staticmethod
    def _owner(child, parent):
        return child.get_name() if parent.get_type() == "module" else None

    def _child(self, table, owner, outer_owner=None):
        owner = owner or outer_owner
        for sym in table.get_symbols():
            name = sym.get_name()
            if sym.is_global() and sym.is_referenced():
                self.deferred.add(name)
            if sym.is_declared_global() and (sym.is_assigned() or sym.is_imported()):
                self.effects.setdefault(owner, set()).add(name)
        for child in table.get_children():
            self._child(child, None, owner)

    def _tree(self, tree, nested):
        # IPython's own spelling of a magic names get_ipython: that use is read as the magic.
        magics = {id(n.func.value.func) for n in ast.walk(tree) if isinstance(n, ast.Call) and _magic(n)}
        for node, owner in _nodes(tree):
            if isinstance(node, ast.Name) and node.id in DYNAMIC_NAMES and id(node) not in magics:
                raise Unknowable(f"a cell {DYNAMIC_NAMES[node.id]}")
            if isinstance(node, ast.Attribute) and node.attr in ("__dict__", "__globals__", "f_globals", "f_locals"):
                raise Unknowable(f"a cell {DYNAMIC_NAMES['__dict__']}")
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                if any(m.split(".")[0] in ("importlib", "builtins", "__main__", "import_ipynb") for m in modules):
                    raise Unknowable(f"a cell imports {modules[0]}")
                if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
                    self.always = self.always or f"imports every name of {node.module or 'a module'} (*)"
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else \
                [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
            for target in targets:
                for element in (target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]):
                    if isinstance(element, (ast.Attribute, ast.Subscript)):
                        self._mutates(_root(element), owner, f"changes `{ast.unparse(element)[:60]}`")
            if isinstance(node, ast.Call):
                self._call(node, owner, nested)

    def _mutates(self, name, owner, why):
        if name is None:
            return
        if name in self.imported:       # a library's attribute or item: state every cell sees
            self.always = self.always or f"{why}, which belongs to a library"
        elif owner is None:
            self.binds.add(name)
        else:
            self.effects.setdefault(owner, set()).add(name)

    def _call(self, node, owner, nested):
        magic = _magic(node)
        if magic:
            return self._magic(magic, nested)
        func = node.func
        if isinstance(func, ast.Attribute):
            root = _root(func)
            if root in self.imported:
                if func.attr.startswith(STATEFUL_PREFIXES) or func.attr in MUTATING_FUNCTIONS and node.args:
                    self.always = self.always or f"calls `{ast.unparse(func)[:60]}`, which changes a library's state"
                    if func.attr in MUTATING_FUNCTIONS:
                        for arg in node.args:
                            self._mutates(_root(arg), owner, "")
            elif func.attr in MUTATING_METHODS:
                self._mutates(root, owner, "")
        elif isinstance(func, ast.Name) and func.id in MUTATING_FUNCTIONS:
            for arg in node.args[:1]:
                self._mutates(_root(arg), owner, "")
        for keyword in node.keywords:
            if keyword.arg == "out":
                self._mutates(_root(keyword.value), owner, "")

    def _magic(self, magic, nested):
        kind, name, code = magic
        if kind == "unknown":
            raise Unknowable(f"a cell drives IPython itself ({name})")
        if kind == "effect" or name in EFFECT_MAGICS:
            self.always = self.always or f"runs %{name}, whose effects the grader cannot see"
        elif name in CODE_MAGICS:
            if kind == "line":
                self.code(code.lstrip("-"), nested + 1) if code and not code.lstrip().startswith("-") else None
            else:
                line, body = code
                if name == "capture" and line and line.split()[-1].isidentifier():
                    self.binds.add(line.split()[-1])
                if body:
                    self.code(body, nested + 1)
        elif name not in INERT_MAGICS:
            raise Unknowable(f"a cell runs %{name}")


class _Exposed:
    """The names a cell's top-level code may read before the cell itself binds them (a loop's
    variable read in its body is the cell's own, not an earlier cell's). Conservative: a
    name bound only in a branch, a loop or a ``try`` still counts as read from before."""

    def __init__(self):
        self.reads, self.bound = set(), set()

    def statements(self, body):
        for statement in body:
            self.statement(statement)

    def branch(self, body, extra=()):
        saved = set(self.bound)
        self.bound |= set(extra)
        self.statements(body)
        self.bound = saved

    def statement(self, node):
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            self.expr(node.value)
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                self.store(target)
        elif isinstance(node, ast.AugAssign):
            self.expr(node.value)
            self.expr(node.target if not isinstance(node.target, ast.Name) else ast.Name(node.target.id, ast.Load()))
            self.store(node.target)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            self.expr(node.iter)
            self.branch(node.body, _stored(node.target))
            self.branch(node.orelse)
        elif isinstance(node, (ast.If, ast.While)):
            self.expr(node.test)
            self.branch(node.body)
            self.branch(node.orelse)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                self.expr(item.context_expr)
                if item.optional_vars is not None:
                    self.store(item.optional_vars)
            self.statements(node.body)
        elif isinstance(node, (ast.Try, getattr(ast, "TryStar", ast.Try))):
            self.branch(node.body)
            for handler in node.handlers:
                self.expr(handler.type)
                self.branch(handler.body, [handler.name] if handler.name else [])
            self.branch(node.orelse)
            self.branch(node.finalbody)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for expr in node.decorator_list + node.args.defaults + [d for d in node.args.kw_defaults if d]:
                self.expr(expr)
            self.bound.add(node.name)
        elif isinstance(node, ast.ClassDef):
            for expr in node.decorator_list + node.bases + [k.value for k in node.keywords]:
                self.expr(expr)
            self.branch([n for n in node.body if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))])
            for method in node.body:
                if isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    for expr in method.decorator_list + method.args.defaults:
                        self.expr(expr)
            self.bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            self.bound |= {(a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"}
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                self.expr(ast.Name(target.id, ast.Load()) if isinstance(target, ast.Name) else target)
                if isinstance(target, ast.Name):
                    self.bound.discard(target.id)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            pass
        else:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    self.statement(child)
                else:
                    self.expr(child)

    def store(self, target):
        if isinstance(target, (ast.Attribute, ast.Subscript)):
            self.expr(target)       # the object changed is read
        elif isinstance(target, ast.Starred):
            self.store(target.value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self.store(element)
        self.bound |= {n for n in _stored(target)} if not isinstance(target, (ast.Attribute, ast.Subscript)) else set()

    def expr(self, node):
        if node is None:
            return
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load) and node.id not in self.bound:
                self.reads.add(node.id)
            elif isinstance(node.ctx, ast.Store):
                self.bound.add(node.id)
        elif isinstance(node, ast.NamedExpr):
            self.expr(node.value)
            self.bound.add(node.target.id)
        elif isinstance(node, ast.Lambda):
            for expr in node.args.defaults + [d for d in node.args.kw_defaults if d]:
                self.expr(expr)
        elif isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            saved = set(self.bound)
            for generator in node.generators:
                self.expr(generator.iter)
                self.bound |= _stored(generator.target)
                for condition in generator.ifs:
                    self.expr(condition)
            for part in ([node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]):
                self.expr(part)
            walrus = {n.target.id for n in ast.walk(node) if isinstance(n, ast.NamedExpr)}
            self.bound = saved | walrus
        else:
            for child in ast.iter_child_nodes(node):
                self.expr(child)


def _stored(target):
    return {n.id for n in ast.walk(target) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _nodes(tree):
    """(node, owner) for every node of the cell: owner None where the node runs when the cell
    runs, else the top-level function or class whose call runs it (decorators, default
    arguments and class bodies run at once; function bodies when called)."""
    todo = [(tree, None, None)]
    while todo:
        node, owner, method_of = todo.pop()
        yield node, owner
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            inner = owner or method_of or node.name
            todo += [(n, owner, None) for n in node.decorator_list + [node.args]]
            todo += [(n, inner, None) for n in node.body]
            todo += [(node.returns, owner, None)] if node.returns else []
        elif isinstance(node, ast.ClassDef):
            todo += [(n, owner, None) for n in node.decorator_list + node.bases + node.keywords]
            todo += [(n, owner, owner or node.name) for n in node.body]
        elif isinstance(node, ast.arguments):
            todo += [(n, owner, None) for n in node.defaults + [d for d in node.kw_defaults if d is not None]]
        else:
            todo += [(n, owner, None) for n in ast.iter_child_nodes(node)]


def analyze(nb, skip=(), until=None):
    """[CellInfo or None] for the notebook's cells (None: not code, in ``skip`` (the grader's
    own observation cells), or from ``until`` on, where nothing a check reads can be), or
    Unknowable."""
    until = len(nb.cells) if until is None else until
    sources = [python_source(c.source) if c.cell_type == "code" and i < until and i not in skip else None
               for i, c in enumerate(nb.cells)]
    imported = set()
    for code in sources:
        if code:
            tree, _ = _parse(code)
            for node in ast.walk(tree) if tree is not None else ():
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    imported.update((a.asname or a.name).split(".")[0] for a in node.names if a.name != "*")
    infos = []
    for index, code in enumerate(sources):
        if code is None:
            infos.append(None)
            continue
        reader = _Reader(imported)
        reader.code(code)
        infos.append(CellInfo(index, frozenset(reader.binds), frozenset(reader.reads),
                              frozenset(reader.deferred),
                              frozenset((reader.reads | reader.deferred) - set(dir(builtins))),
                              {k: frozenset(v) for k, v in reader.effects.items()}, reader.always))
    return infos


def plan(nb, demands, observation_cells):
    """The cells of ``nb`` to run: ``demands`` {cell index: names read there} (the observation
    cells and what their checks read); every cell before the last observation that binds a
    needed name runs, and what it reads is needed in turn. ``Plan("all", reason)`` where the
    analysis cannot know."""
    if not observation_cells:
        return Plan("all", reason="the notebook has no observation cell")
    try:
        infos = analyze(nb, set(observation_cells), max(observation_cells))
    except Unknowable as exc:
        return Plan("all", reason=str(exc))
    return plan_from(nb, infos, demands, observation_cells)


def plan_from(nb, infos, demands, observation_cells):
    code = [i for i in infos if i is not None]
    last = max(observation_cells)
    # A function's effects happen wherever it is referenced: propagate through the functions
    # that reference it, then give each cell the effects of the notebook functions it names.
    effects = {}
    for info in code:
        for owner, names in info.effects.items():
            effects.setdefault(owner, set()).update(names)
    calls_of = {}
    for info in code:
        for owner in info.effects:
            calls_of.setdefault(owner, set()).update(info.deferred)
    changed = True
    while changed:
        changed = False
        for owner, names in list(effects.items()):
            for callee in calls_of.get(owner, ()):
                extra = effects.get(callee, set()) - names
                if extra:
                    names |= extra
                    changed = True
    binders = {}
    for info in code:
        bound = set(info.binds)
        for name in info.calls | info.reads:
            bound |= effects.get(name, set())
        for name in bound:
            binders.setdefault(name, []).append(info.index)
    needed, until = set(observation_cells), {}
    todo = [(name, index) for index, names in demands.items() for name in names]
    for info in code:
        if info.always and info.index < last:
            needed.add(info.index)
            todo += [(name, info.index) for name in info.reads] + [(name, last) for name in info.deferred]
    for index in list(needed):
        if infos[index] is not None and index not in observation_cells:
            todo += [(name, index) for name in infos[index].reads] + [(name, last) for name in infos[index].deferred]
    while todo:
        name, before = todo.pop()
        if until.get(name, -1) >= before:
            continue
        until[name] = before
        for index in binders.get(name, ()):
            if index < before and index not in needed:
                needed.add(index)
                todo += [(n, index) for n in infos[index].reads] + [(n, last) for n in infos[index].deferred]
    skipped = tuple(i for i, cell in enumerate(nb.cells) if cell.cell_type == "code" and i not in needed)
    return Plan("needed", frozenset(needed), skipped)


# ---- what each check reads, from the assignment's declaration --------------------------------
READERS = ("call", "value", "function")


def _names_read(function, seen):
    """The notebook names ``function`` (a check's observation or a model's arguments) reads
    through ``subject.call/value/function("name")`` or ``subject.namespace["name"]``, following
    the module-level functions of its module it calls; Unknowable for a name it computes."""
    function = inspect.unwrap(function)
    if function in seen:
        return set()
    seen.add(function)
    try:
        source = textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError):
        raise Unknowable(f"the source of {getattr(function, '__qualname__', function)!r} cannot be read") from None
    module = inspect.getmodule(function)
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in READERS \
                and _root(node.func) in ("subject", "self"):
            first = node.args[0] if node.args else None
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                raise Unknowable(f"{function.__qualname__} reads a notebook name it computes at run time")
            names.add(first.value)
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and \
                node.value.attr == "namespace":
            if isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
                names.add(node.slice.value)
            else:
                raise Unknowable(f"{function.__qualname__} reads a notebook name it computes at run time")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            callee = getattr(module, node.func.id, None)
            if inspect.isfunction(callee) and callee.__module__ == module.__name__:
                names |= _names_read(callee, seen)
    return names


def check_reads(assignment):
    """{check name: frozenset of notebook names its observation reads}: a model check reads its
    exercise's builders and what their arguments are computed from; a check calling the
    student's code, the names its observation reads. Unknowable when a name cannot be listed."""
    out = {}
    for name, check in assignment.all_checks.items():
        names = set()
        if check.observe is not None:
            names |= _names_read(check.observe, set())
        if check.from_model:
            for model in assignment.models:
                if model.exercise == check.exercise:
                    names.add(model.builder)
                    if model.args is not None:
                        names |= _names_read(model.args, set())
        out[name] = frozenset(names)
    return out
