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
(``exec``/``eval``, ``globals()``, ``%run``, ``get_ipython()`` or IPython's namespace by any
spelling, ``importlib``, ``sys.modules``, a check whose names cannot be listed) runs in full, with
the reason; so does one the analysis fails on (never an exception in the grader). Cells whose
effects have no name always run: library state (seeds, configuration, the environment, the import
path), a library's random draw, files written, shell commands and magics with effects, star
imports, the notebook's own modules, a library patched, the kernel ended. A cell binds a name
when it assigns, imports or deletes it, or changes its object in place (item and attribute
stores, ``+=``, any method but read-only ones, library functions changing their first argument,
iteration, ``with``), through every alias (within the cell and across cells: containers holding
it, what a notebook function returns, instances sharing a class), and through calls of notebook
functions that change their arguments, write globals or keep state. A needed cell's names stay
needed until the last check. What is not followed: a library call changing its argument in place
beyond those named, property getters with effects, random draws inside library code.
"""
import ast
import builtins
import functools
import inspect
import symtable
import textwrap
from dataclasses import dataclass, field

from ..checks import checks_of
from . import cell_code
from .cell_code import PARSE_LOCK, MAX_SOURCE    # noqa: F401  (MAX_SOURCE: the analysis's bound too)
from .suspicious import installed_top_level

# What makes a notebook's bindings unknowable before it runs.
DYNAMIC_NAMES = {"exec": "runs code built at run time (exec)", "eval": "evaluates code at run time (eval)",
                 "compile": "compiles code at run time", "globals": "reads or writes the namespace by name (globals())",
                 "locals": "reads the namespace by name (locals())", "vars": "reads the namespace by name (vars())",
                 "__import__": "imports by name at run time", "importlib": "imports by name at run time (importlib)",
                 "get_ipython": "drives IPython itself (get_ipython())", "__builtins__": "reaches the builtins",
                 "builtins": "changes the builtins", "__main__": "reaches the notebook's module",
                 "import_ipynb": "imports a notebook", "__dict__": "reads or writes a namespace by name",
                 "__name__": "reaches the notebook's module by name"}
DYNAMIC_ATTRIBUTES = {"__dict__", "__globals__", "f_globals", "f_locals", "modules", "__builtins__", "user_ns",
                      "user_global_ns", "run_cell", "push", "ex", "ev", "run_line_magic", "run_cell_magic",
                      "get_ipython", "f_back", "tb_frame"}
# Modules through which code reaches the notebook's namespace or code by name.
DYNAMIC_MODULES = {"importlib", "builtins", "__main__", "import_ipynb", "IPython", "ipykernel", "inspect", "ctypes",
                   "gc", "runpy", "code", "codeop", "pydoc"}
# Line and cell magics that bind nothing and read nothing (display, configuration of the display).
INERT_MAGICS = {"matplotlib", "config", "precision", "html", "HTML", "markdown", "latex",
                "javascript", "js", "svg", "who", "whos", "pwd", "lsmagic", "magic",
                "pdoc", "pdef", "psource", "pinfo", "pinfo2", "xmode", "colors", "page"}
# Magics whose argument or body is Python code run in the notebook's namespace.
CODE_MAGICS = {"time", "timeit", "capture", "prun"}
# Magics with effects the grader cannot see (the shell, files, installs, the environment, names
# bound by the magic itself): their cells always run.
EFFECT_MAGICS = {"pip", "conda", "system", "sx", "bash", "sh", "script", "writefile", "file", "env", "cd",
                 "load_ext", "reload_ext", "unload_ext", "autoreload", "aimport", "set_env", "mkdir", "pylab",
                 "history", "save", "logstart"}
# Methods and functions that change their first argument or the object they are called on
# (Python's containers, collections, heapq, NumPy, pandas, files, iterators, Keras models).
MUTATING = {"append", "extend", "insert", "remove", "pop", "popitem", "clear", "sort", "reverse",
            "update", "setdefault", "add", "discard", "difference_update", "intersection_update",
            "symmetric_difference_update", "fill", "resize", "put", "itemset", "setflags", "partition",
            "byteswap", "shuffle", "compile", "set_weights", "load_weights", "build", "fit",
            "train_on_batch", "add_weight", "assign", "assign_add", "assign_sub", "seed", "__setitem__",
            "__delitem__", "__setattr__", "__delattr__", "__iadd__", "__next__", "write", "writelines", "close",
            "read", "readline", "readlines", "seek", "truncate", "send", "throw", "next", "appendleft",
            "extendleft", "popleft", "rotate", "heappush", "heappop", "heapify", "heapreplace", "heappushpop",
            "copyto", "place", "putmask", "fill_diagonal", "setattr", "delattr", "iadd", "isub", "imul",
            "setitem", "delitem", "cache_clear", "reset_states", "set_params", "set_value"}
# Calls that change state every later cell sees (seeds, configuration, the working folder).
STATEFUL_PREFIXES = ("set", "seed", "manual_seed", "enable", "disable", "use", "reset", "clear", "register",
                     "rc", "install", "patch", "config", "experimental_", "filterwarnings", "simplefilter",
                     "chdir", "putenv", "unsetenv", "umask", "getcontext", "style")
# Calls that write files a later cell may read: by these names on anything, and by the others
# only on a library (``os.replace``, not ``str.replace``).
FILE_WRITES = {"write", "writelines", "flush", "save", "savez", "savez_compressed", "savetxt", "to_csv", "to_pickle", "to_parquet", "to_excel",
               "to_hdf", "write_text", "write_bytes", "makedirs", "mkdir", "unlink", "rmtree", "copyfile",
               "copytree", "symlink", "savefig", "save_weights", "urlretrieve", "extractall", "touch", "get_file"}
LIBRARY_FILE_WRITES = {"dump", "remove", "rename", "replace", "copy", "copy2", "move", "export", "to_json",
                       "system", "run", "call", "check_call", "check_output", "Popen"}
# Methods that only read their object: calling any other method of a notebook name may change
# it (a random generator's draw, a file's read, a model's fit, a method of the student's class).
PURE_METHODS = {"copy", "astype", "reshape", "flatten", "ravel", "transpose", "mean", "sum", "std", "var",
                "min", "max", "argmax", "argmin", "any", "all", "round", "tolist", "item", "dot", "clip",
                "cumsum", "prod", "squeeze", "nonzero", "view", "keys", "values", "items", "get", "count",
                "index", "format", "join", "split", "rsplit", "strip", "lstrip", "rstrip", "lower", "upper",
                "startswith", "endswith", "find", "encode", "decode", "title", "summary", "predict",
                "evaluate", "count_params", "get_config", "to_json", "get_weights", "get_layer", "numpy",
                "head", "tail", "describe", "to_numpy", "isnull", "isna", "unique", "nunique", "value_counts",
                "groupby", "sort_values", "plot", "hist", "scatter", "bar", "imshow", "set_xlabel", "set_ylabel",
                "set_title", "legend", "grid", "set_xticks", "set_yticks", "set_xlim", "set_ylim", "axhline",
                "axvline", "annotate", "text", "tight_layout", "subplots", "is_integer", "conjugate",
                "__len__", "__getitem__", "__contains__", "__repr__", "__str__"}
# Of those, the ones whose purpose is to change their first argument (random.shuffle(x),
# heapq.heappush(h, ...)); the others change it only when called on a type or module
# (list.append(x, ...), np.ndarray.sort(x)).
FIRST_ARGUMENT = {"shuffle", "copyto", "place", "putmask", "fill_diagonal", "setattr", "delattr", "heappush",
                  "heappop", "heapify", "heapreplace", "heappushpop", "iadd", "isub", "imul", "setitem",
                  "delitem", "next"}
# Calls that end the kernel (or another process): everything after them depends on them.
ENDINGS = {"_exit", "exit", "quit", "kill", "killpg", "abort", "raise_signal"}
# Builtins that iterate their first argument.
ITERATING = {"list", "tuple", "set", "frozenset", "dict", "sorted", "sum", "min", "max", "any", "all", "enumerate",
             "zip", "map", "filter", "iter", "next", "reversed"}
# Decorators that keep no state of their own between calls.
PURE_DECORATORS = {"staticmethod", "classmethod", "property", "dataclass", "function", "jit", "njit", "wraps",
                   "abstractmethod", "overload", "total_ordering", "setter", "getter", "deleter", "register_keras_serializable"}
# Library functions that may return their argument itself or a view of it.
RETURN_ARGUMENT = {"asarray", "asanyarray", "ascontiguousarray", "asfortranarray", "reshape", "ravel", "transpose",
                   "squeeze", "expand_dims", "atleast_1d", "atleast_2d", "atleast_3d", "broadcast_to", "moveaxis",
                   "swapaxes", "flip", "fliplr", "flipud", "rot90", "diagonal", "real", "imag", "identity",
                   "convert_to_tensor", "cast", "memoryview", "iter", "reversed", "enumerate", "zip", "map", "filter"}
# Methods returning a new object, not one sharing the receiver's (a copy).
COPYING_METHODS = {"copy", "astype", "tolist", "deepcopy", "to_numpy", "numpy", "count", "index", "mean", "sum",
                   "std", "var", "min", "max", "argmax", "argmin", "round", "item", "format", "join", "encode",
                   "decode", "lower", "upper", "strip", "split", "predict", "evaluate", "summary", "to_json",
                   "get_config", "get_weights", "count_params", "fit"}
STATE = "<state>"   # an effect on state that has no name: a cell causing it always runs
MAX_STEPS = 2_000_000       # alias resolutions per cell: more is "too many to follow" (the notebook runs in full)
_BUILTINS = frozenset(dir(builtins))


class Unknowable(Exception):
    """What the analysis cannot follow; the message is the reason the notebook runs in full."""


@dataclass(frozen=True)
class CellInfo:
    """What one code cell binds and reads. ``binds``: names it assigns, imports, deletes or
    changes in place; ``mutates``: those it changes in place (they are also the objects other
    names may share); ``reads``: names read when the cell runs, before the cell binds them;
    ``deferred``: names its functions and classes read when they are called. ``owners``: for
    each function or class it defines, the names its body refers to, its effects (names it
    binds or changes when called, ``STATE``) and whether it changes its arguments. ``calls``:
    (function name, names of its arguments) of the calls it makes at its top level.
    ``aliases``: {name: names whose objects it may share}. ``always``: why the cell runs
    whatever is needed, else ""."""
    index: int
    binds: frozenset = frozenset()
    mutates: frozenset = frozenset()
    reads: frozenset = frozenset()
    deferred: frozenset = frozenset()
    refs: dict = field(default_factory=dict)
    effects: dict = field(default_factory=dict)
    mutators: frozenset = frozenset()
    calls: tuple = ()
    aliases: dict = field(default_factory=dict)
    defined: frozenset = frozenset()
    assigned: frozenset = frozenset()
    returns: dict = field(default_factory=dict)     # function -> names its result may be
    stateful: frozenset = frozenset()               # functions whose calls change the function itself
    classes: frozenset = frozenset()
    imported: frozenset = frozenset()
    always: str = ""


@dataclass(frozen=True)
class Plan:
    """The cells to run: ``mode`` "needed" (only ``run``) or "all" (``reason`` says why)."""
    mode: str
    run: frozenset = frozenset()
    skipped: tuple = ()
    reason: str = ""
    why: dict = field(default_factory=dict, compare=False)     # cell index -> why it runs

    def to_json(self):
        return {"mode": self.mode, "skipped": list(self.skipped), "reason": self.reason}


def python_source(source):
    """The cell as the Python IPython runs (magics turned into calls), or Unknowable."""
    try:
        return cell_code.python_source(source)
    except cell_code.Unreadable as exc:
        raise Unknowable(str(exc)) from None


def _parse(code):
    try:
        return cell_code.parse(code)
    except cell_code.Unreadable as exc:
        raise Unknowable(str(exc)) from None


def _read(source):
    """The shared reading of a cell's text (``cell_code.read``), or Unknowable."""
    try:
        return cell_code.read(source)
    except cell_code.Unreadable as exc:
        raise Unknowable(str(exc)) from None


def _roots(node):
    """The names an attribute, item or call chain starts from (``a`` of ``a.b[0].c``; ``m`` of
    ``type(m).x``: a call's arguments may be what it returns), without builtins."""
    out, todo = set(), [node]
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
            todo.append(node.value)
        elif isinstance(node, ast.Call):     # f(x) may return x; x.part() may be part of x
            todo += list(node.args) + [k.value for k in node.keywords]
            todo += [node.func] if isinstance(node.func, ast.Attribute) else []
            if isinstance(node.func, ast.Name) and node.func.id not in _BUILTINS:
                out.add("()" + node.func.id)     # what a notebook function returned
        elif isinstance(node, ast.Name) and node.id not in _BUILTINS:
            out.add(node.id)
    return out


def _root(node):
    """The name an attribute chain starts from (``subject`` of ``subject.call``), else None."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _sources(node, imported=frozenset()):
    """The names whose objects ``node``'s value may be or hold, and ``()f`` for what the notebook
    function ``f`` returned. Not: a library function's new object (``plt.subplots()``; its
    arguments only where it may return them, ``np.asarray(X)``), a method's new object
    (``x.copy()``, ``model.fit(X)``), an arithmetic result (``X * 2``)."""
    if node is None:
        return set()
    out, todo = set(), [node]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load) and node.id not in _BUILTINS:
                out.add(node.id)
        elif isinstance(node, ast.Call):
            func, name = node.func, _final_name(node.func)
            arguments = list(node.args) + [k.value for k in node.keywords]
            base = _root(func)
            if isinstance(func, ast.Name) and func.id in imported or base in imported:
                todo += arguments if name in RETURN_ARGUMENT else []
            elif isinstance(func, ast.Name):
                if func.id in _BUILTINS:
                    todo += arguments if func.id in RETURN_ARGUMENT else []
                else:
                    out.add("()" + func.id)     # what it returns: its globals, its arguments
                    todo += arguments
            elif isinstance(func, ast.Attribute):
                todo += [] if name in COPYING_METHODS else [func.value]
            else:
                todo.append(func)
        elif isinstance(node, (ast.BinOp, ast.UnaryOp, ast.Compare, ast.Constant, ast.JoinedStr, ast.Lambda)):
            if isinstance(node, ast.Lambda):    # a lambda holds what its body refers to
                todo.append(node.body)
        else:
            todo += list(ast.iter_child_nodes(node))
    return out


def _final_name(func):
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


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


@functools.lru_cache(maxsize=1)
def _installed():
    return frozenset(installed_top_level())


class _Scope:
    """A function's names: its parameters, its locals, and which objects each local may share."""

    def __init__(self, node, parent, method=None):
        self.parent = parent
        self.method = method or (parent.method if parent is not None else None)
        args = node.args
        self.params = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs} | \
            {a.arg for a in (args.vararg, args.kwarg) if a is not None}
        positional = args.posonlyargs + args.args
        defaults = list(zip(positional[len(positional) - len(args.defaults):], args.defaults)) + \
            [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
        # A default that is an object (acc=[]) lives on the function: changing it changes the function.
        self.defaulted = {a.arg for a, d in defaults if not isinstance(d, ast.Constant)}
        body = node.body if isinstance(node.body, list) else [node.body]
        declared = {n for stmt in body for inner in ast.walk(stmt) if isinstance(inner, (ast.Global, ast.Nonlocal))
                    for n in inner.names}
        stored = {n.id for stmt in body for n in ast.walk(stmt)
                  if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del))}
        stored |= {n.name for stmt in body for n in ast.walk(stmt)
                   if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
        self.locals = (self.params | stored) - declared
        self.aliases = {}

    def local(self, name):
        scope = self
        while scope is not None:
            if name in scope.locals:
                return scope
            scope = scope.parent
        return None


class _Reader:
    """Collects one cell's names, effects and the reasons it cannot be followed."""

    def __init__(self, imported, local_modules):
        self.binds, self.mutates, self.reads, self.deferred = set(), set(), set(), set()
        self.refs, self.effects, self.mutators, self.calls = {}, {}, set(), []
        self.aliases, self.defined, self.always = {}, set(), ""
        self.assigned, self._resolved, self.returns, self.classes, self._steps = set(), {}, {}, set(), 0
        self.stateful = set()
        self.imported, self.local_modules = imported, local_modules

    def code(self, code, nested=0, parsed=None):
        if nested > 2:
            raise Unknowable("magics nested in magics")
        tree, table = parsed or _parse(code)
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
                self.assigned.add(name)
        for child in table.get_children():
            self._child(child, child.get_name() if child.get_type() in ("function", "class") else None,
                        immediate=child.get_type() == "class")

    def _child(self, table, owner, immediate=False, method=None):
        for sym in table.get_symbols():
            name = sym.get_name()
            if sym.is_global() and sym.is_referenced():
                self.deferred.add(name)
                if owner:
                    self.refs.setdefault(owner, set()).add(name)
            if sym.is_declared_global() and (sym.is_assigned() or sym.is_imported()):
                if immediate:                # a class body runs when the class is defined
                    self.binds.add(name)
                elif owner:
                    self.effects.setdefault(owner, set()).add(name)
                    if method:
                        self.effects.setdefault("." + method, set()).add(name)
                else:                        # a comprehension's or lambda's: at once, conservatively
                    self.binds.add(name)
        for child in table.get_children():
            self._child(child, owner, method=method or (child.get_name() if immediate else None))

    def _effect(self, owner, scope, name):
        self.effects.setdefault(owner, set()).add(name)
        if scope is not None and scope.method:       # c.bump(): the method's effects, by its name
            self.effects.setdefault("." + scope.method, set()).add(name)

    def _state(self, owner, why, scope=None):
        if owner is None:
            self.always = self.always or why
        else:
            self._effect(owner, scope, STATE)

    def _tree(self, tree, nested):
        # IPython's own spelling of a magic names get_ipython: that use is read as the magic.
        magic_calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and _magic(n)]
        magics = {id(n.func.value.func) for n in magic_calls} | {id(n.func) for n in magic_calls}
        called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
        nodes = list(_nodes(tree))
        top = {id(n) for n in tree.body}
        # Which objects each name may share, first: the walk does not follow the code's order.
        for node, owner, scope in nodes:
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr)) and node.value is not None:
                for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                    self._alias(target, _sources(node.value, self.imported), scope)
                    for element in target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]:
                        if isinstance(element, (ast.Attribute, ast.Subscript)):   # holder['cfg'] = CFG
                            self._hold(_roots(element.value), _sources(node.value, self.imported), scope)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    node.func.attr in ("append", "extend", "insert", "add", "update", "setdefault", "appendleft"):
                self._hold(_roots(node.func.value), set().union(*[_sources(a, self.imported) for a in node.args]), scope)
            if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
                self._alias(node.target, _sources(node.iter, self.imported), scope)
            if isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    if item.optional_vars is not None:
                        self._alias(item.optional_vars, _sources(item.context_expr, self.imported), scope)
        for node, owner, scope in nodes:
            if isinstance(node, ast.Name) and node.id in DYNAMIC_NAMES and id(node) not in magics:
                raise Unknowable(f"a cell {DYNAMIC_NAMES[node.id]}")
            if isinstance(node, ast.Attribute) and node.attr in DYNAMIC_ATTRIBUTES and id(node) not in magics:
                raise Unknowable(f"a cell {DYNAMIC_NAMES['__dict__']} (.{node.attr})")
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                if any(m.split(".")[0] in DYNAMIC_MODULES for m in modules) or isinstance(node, ast.ImportFrom) \
                        and node.module == "sys" and any(a.name in ("modules", "_getframe") for a in node.names):
                    raise Unknowable(f"a cell imports {modules[0]}, which reaches the notebook's namespace")
                if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
                    self._state(owner, f"imports every name of {node.module or 'a module'} (*)")
                local = [m for m in modules if m.split(".")[0] in self.local_modules or
                         isinstance(node, ast.ImportFrom) and node.level]
                if local:
                    self._state(owner, f"imports the notebook's own module {local[0] or '.'}, which may do anything")
            if isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(node.ctx, (ast.Store, ast.Del)):
                text = ast.unparse(node)[:60]
                if "__class__" in text or "type(" in text:
                    self._state(owner, f"changes a class through an instance (`{text}`)", scope)
                self._mutate(_roots(node.value), owner, scope, f"changes `{text}`")
            if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
                self._mutate({node.target.id}, owner, scope, "")     # a list's += changes it in place
            if isinstance(node, (ast.With, ast.AsyncWith)):     # __enter__ and __exit__ run
                for item in node.items:
                    self._mutate(_roots(item.context_expr), owner, scope, "")
            if isinstance(node, ast.NamedExpr) and scope is None and owner is None:
                self.binds.add(node.target.id)
            if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
                if isinstance(node.iter, ast.Name):      # iterating may consume an iterator
                    self._mutate({node.iter.id}, owner, scope, "")
                self._iterates(_roots(node.iter), owner, scope)
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load) and node.attr in MUTATING \
                    and id(node) not in called:
                self._mutate(_roots(node.value), owner, scope, "")     # a mutating method passed on
            if isinstance(node, (ast.Return, ast.Yield, ast.YieldFrom)) and owner and node.value is not None:
                resolved, _ = self._resolve(_sources(node.value, self.imported), scope)
                self.returns.setdefault(owner, set()).update(resolved - self.imported)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and id(node) in top:
                self.defined.add(node.name)
                if isinstance(node, ast.ClassDef):
                    self.classes.add(node.name)
                if getattr(node, "decorator_list", None) and not all(
                        _final_name(d.func if isinstance(d, ast.Call) else d) in PURE_DECORATORS
                        for d in node.decorator_list):
                    self.stateful.add(node.name)   # a decorator may keep state (lru_cache): calls change it
                    self.calls.append((node.name, frozenset()))   # ... or call the function at once
            if isinstance(node, ast.Call):
                self._call(node, owner, scope, nested)

    def _iterates(self, names, owner, scope):
        """Iterating runs the object's ``__iter__``: the effects of what it may be (a notebook
        class's instance), not a change of the names themselves."""
        if owner is None and names:
            resolved, _ = self._resolve(names, scope)
            self.calls.append((".__iter__", frozenset(resolved)))

    def _hold(self, holders, sources, scope):
        table = scope.aliases if scope is not None else self.aliases
        for name in holders:
            table.setdefault(name, set()).update(sources)

    def _alias(self, target, sources, scope):
        names = {n.id for n in ast.walk(target) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        table = scope.aliases if scope is not None else self.aliases
        for name in names:
            table.setdefault(name, set()).update(sources)

    def _resolve(self, names, scope):
        """The global names and parameters the objects of ``names`` may be, through aliases
        (each name's resolution computed once per cell: a chain of aliases is walked once)."""
        out, params = set(), set()
        for name in names:
            key = (name, id(scope))
            if key not in self._resolved:
                self._resolved[key] = self._resolve_one(name, scope)
            out |= self._resolved[key][0]
            params |= self._resolved[key][1]
        return out, params

    def _resolve_one(self, name, scope):
        out, params, todo, seen = set(), set(), [name], set()
        while todo:
            self._steps += 1
            if self._steps > MAX_STEPS:
                raise Unknowable("a cell's aliases are too many to follow")
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            owner_scope = scope.local(name) if scope is not None else None
            if owner_scope is None:
                out.add(name)
                todo += self.aliases.get(name, ()) if scope is None else ()
            else:
                if name in owner_scope.params:
                    params.add(name)
                todo += owner_scope.aliases.get(name, ())
        return out, params

    def _mutate(self, names, owner, scope, why):
        if not names:
            return
        names, params = self._resolve(names, scope)
        if params and owner:
            self.mutators.add(owner)        # changes its arguments (or, a method, its object)
            if scope is not None and params & scope.defaulted:
                self.stateful.add(owner)
            if scope is not None and scope.method:
                self.mutators.add("." + scope.method)
        for name in names:
            if name in self.imported or name in _BUILTINS:
                self._state(owner, f"{why or 'changes'} `{name}`, which belongs to a library", scope)
            elif owner is None:
                self.binds.add(name)
                self.mutates.add(name)
            else:
                self._effect(owner, scope, name)

    def _call(self, node, owner, scope, nested):
        magic = _magic(node)
        if magic:
            return self._magic(magic, nested)
        func = node.func
        name = _final_name(func)
        if isinstance(func, ast.Name) and func.id == "get_ipython":
            return                  # a magic's own get_ipython(), read as the magic above
        receiver = _roots(func.value) if isinstance(func, ast.Attribute) else set()
        if name is None:
            self._mutate(_roots(func), owner, scope, "")       # calling what a call returned
            return
        library = isinstance(func, ast.Name) and func.id in self.imported or receiver & self.imported
        chain = ast.unparse(func).split(".")
        if name in ENDINGS and (library or isinstance(func, ast.Name) and func.id in _BUILTINS):
            self._state(owner, f"calls `{ast.unparse(func)[:60]}`, which may end the kernel", scope)
        if library and (name.startswith(STATEFUL_PREFIXES) or "random" in chain):
            # A library's random draw moves the generator every later draw continues from.
            self._state(owner, f"calls `{ast.unparse(func)[:60]}`, which changes a library's state", scope)
        if name in FILE_WRITES or name == "open" and _writes(node) or name == "print" and \
                any(k.arg == "file" for k in node.keywords):
            self._state(owner, f"calls `{ast.unparse(func)[:60]}`, which may write a file a later cell reads", scope)
        if (name in LIBRARY_FILE_WRITES or name in MUTATING) and library:
            self._state(owner, f"calls `{ast.unparse(func)[:60]}`, which may change a library's state or files", scope)
        if name in MUTATING or any(k.arg == "inplace" for k in node.keywords):
            self._mutate(receiver, owner, scope, "")
            base = _root(func.value) if isinstance(func, ast.Attribute) else None
            on_type = isinstance(func, ast.Name) or base in self.imported or base in _BUILTINS
            if node.args and (name in FIRST_ARGUMENT or on_type):
                self._mutate(_roots(node.args[0]), owner, scope, "")
        elif isinstance(func, ast.Attribute) and name not in PURE_METHODS and not library:
            self._mutate(receiver, owner, scope, "")          # a method may change its object
            if owner is None:
                resolved, _ = self._resolve(receiver, scope)
                self.calls.append(("." + name, frozenset(resolved)))
        for keyword in node.keywords:
            if keyword.arg == "out":
                self._mutate(_roots(keyword.value), owner, scope, "")
        if isinstance(func, ast.Name) and func.id in ITERATING and node.args:
            self._iterates(_roots(node.args[0]), owner, scope)
        if isinstance(func, ast.Name) and func.id not in _BUILTINS and func.id not in self.imported:
            local = scope.local(func.id) if scope is not None else None
            args = set().union(*[_roots(a) for a in node.args], *[_roots(k.value) for k in node.keywords])
            if local is None:
                resolved, params = self._resolve(args, scope)
                if owner is None:
                    self.calls.append((func.id, frozenset(resolved)))
                else:   # a function calling another: its effects on the arguments are the caller's
                    self.refs.setdefault(owner, set()).add(func.id)
                    self.calls.append((func.id, frozenset(resolved | ({"<params of " + owner + ">"} if params else set()))))
            else:
                self._mutate({func.id}, owner, scope, "")       # calling a local value (a closure)

    def _magic(self, magic, nested):
        kind, name, code = magic
        if kind == "unknown":
            raise Unknowable(f"a cell drives IPython itself ({name})")
        if kind == "effect" or name in EFFECT_MAGICS:
            self.always = self.always or f"runs %{name}, whose effects the grader cannot see"
        elif name in CODE_MAGICS:
            if kind == "line":
                if code and code.lstrip().startswith("-"):
                    raise Unknowable(f"a cell runs %{name} with options")
                self.code(python_source(code), nested + 1) if code else None
            else:
                line, body = code
                if line and line.lstrip().startswith("-"):
                    raise Unknowable(f"a cell runs %%{name} with options")
                if name == "capture" and line:
                    if not line.split()[-1].isidentifier():
                        raise Unknowable("a cell runs %%capture with options")
                    self.binds.add(line.split()[-1])
                if body:
                    self.code(python_source(body), nested + 1)
        elif name not in INERT_MAGICS:
            raise Unknowable(f"a cell runs %{name}")


def _writes(call):
    """Whether ``open(...)`` may write: a mode with w, a, x or +, or one not written out."""
    first = 0 if isinstance(call.func, ast.Attribute) else 1      # Path(...).open("w"), open(path, "w")
    mode = call.args[first] if len(call.args) > first else next((k.value for k in call.keywords if k.arg == "mode"), None)
    if mode is None:
        return False
    if not (isinstance(mode, ast.Constant) and isinstance(mode.value, str)):
        return True
    return bool(set(mode.value) & set("wax+"))


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
            if isinstance(node, ast.AnnAssign):
                self.expr(node.annotation)
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
            for expr in node.decorator_list + node.args.defaults + [d for d in node.args.kw_defaults if d] \
                    + _annotations(node):
                self.expr(expr)
            self.bound.add(node.name)
        elif isinstance(node, ast.ClassDef):
            for expr in node.decorator_list + node.bases + [k.value for k in node.keywords]:
                self.expr(expr)
            self.branch([n for n in node.body if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))])
            for method in node.body:
                if isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    for expr in method.decorator_list + method.args.defaults + _annotations(method):
                        self.expr(expr)
            self.bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            self.bound |= {(a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"}
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                self.expr(ast.Name(target.id, ast.Load()) if isinstance(target, ast.Name) else target)
                if isinstance(target, ast.Name):
                    self.bound.discard(target.id)
        elif isinstance(node, ast.Match):
            self.expr(node.subject)
            for case in node.cases:
                patterns = [n for n in ast.walk(case.pattern) if isinstance(n, ast.expr)]
                for expr in patterns:          # value patterns (case Color.RED) are read
                    self.expr(expr)
                captured = {n.name for n in ast.walk(case.pattern) if isinstance(n, (ast.MatchAs, ast.MatchStar))
                            and n.name} | {n.rest for n in ast.walk(case.pattern)
                                           if isinstance(n, ast.MatchMapping) and n.rest}
                saved = set(self.bound)
                self.bound |= captured
                self.expr(case.guard)
                self.bound = saved
                self.branch(case.body, captured)
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


def _annotations(function):
    """What a ``def`` evaluates when it runs: its parameters' and return annotations."""
    args = function.args
    out = [a.annotation for a in args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]
           if a is not None and a.annotation is not None]
    return out + ([function.returns] if function.returns is not None else [])


def _stored(target):
    return {n.id for n in ast.walk(target) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _nodes(tree):
    """(node, owner, scope) for every node of the cell. ``owner``: None where the node runs when
    the cell runs, else the top-level function or class whose call runs it (decorators, default
    arguments, annotations and class bodies run at once; function bodies when called).
    ``scope``: the innermost function (a ``_Scope``) whose body holds it, else None."""
    todo = [(tree, None, None, None)]
    while todo:
        node, owner, method_of, scope = todo.pop()
        yield node, owner, scope
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            inner = owner or method_of or (node.name if not isinstance(node, ast.Lambda) else None)
            body_scope = _Scope(node, scope, node.name if method_of and not isinstance(node, ast.Lambda) else None)
            outside = list(getattr(node, "decorator_list", [])) + [node.args]
            outside += [node.returns] if getattr(node, "returns", None) else []
            todo += [(n, owner, None, scope) for n in outside]
            body = node.body if isinstance(node.body, list) else [node.body]
            todo += [(n, inner, None, body_scope) for n in body]
        elif isinstance(node, ast.ClassDef):
            todo += [(n, owner, None, scope) for n in node.decorator_list + node.bases + node.keywords]
            todo += [(n, owner, owner or node.name, scope) for n in node.body]
        elif isinstance(node, ast.arguments):
            annotations = [a.annotation for a in node.posonlyargs + node.args + node.kwonlyargs
                           + [node.vararg, node.kwarg] if a is not None and a.annotation is not None]
            todo += [(n, owner, None, scope) for n in node.defaults + [d for d in node.kw_defaults if d] + annotations]
        else:
            todo += [(n, owner, None, scope) for n in ast.iter_child_nodes(node)]


def analyze(nb, skip=(), until=None):
    """[CellInfo or None] for the notebook's cells (None: not code, in ``skip`` (the grader's
    own observation cells), or from ``until`` on, where nothing a check reads can be), or
    Unknowable."""
    until = len(nb.cells) if until is None else until
    sources = [_read(c.source) if c.cell_type == "code" and i < until and i not in skip else None
               for i, c in enumerate(nb.cells)]
    imported, local_modules = set(), set()
    for code in sources:
        if code:
            for node in ast.walk(code.tree) if code.tree is not None else ():
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    imported.update((a.asname or a.name).split(".")[0] for a in node.names if a.name != "*")
                    modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                    local_modules.update(m.split(".")[0] for m in modules if m and m.split(".")[0] not in _installed())
    infos = []
    for index, code in enumerate(sources):
        if code is None:
            infos.append(None)
            continue
        reader = _Reader(imported, local_modules)
        try:
            reader.code(code.python, parsed=(code.tree, code.table))
        except (RecursionError, MemoryError) as exc:
            raise Unknowable(f"a cell is nested too deeply to analyse ({type(exc).__name__})") from None
        freeze = lambda table: {k: frozenset(v) for k, v in table.items()}     # noqa: E731
        infos.append(CellInfo(
            index, binds=frozenset(reader.binds), mutates=frozenset(reader.mutates), reads=frozenset(reader.reads),
            deferred=frozenset(reader.deferred), refs=freeze(reader.refs), effects=freeze(reader.effects),
            mutators=frozenset(reader.mutators), calls=tuple(reader.calls), aliases=freeze(reader.aliases),
            defined=frozenset(reader.defined), assigned=frozenset(reader.assigned), returns=freeze(reader.returns),
            stateful=frozenset(reader.stateful), classes=frozenset(reader.classes), imported=frozenset(imported),
            always=reader.always))
    return infos


def plan(nb, demands, observation_cells):
    """The cells of ``nb`` to run: ``demands`` {cell index: names read there} (the observation
    cells and what their checks read); every cell before the last observation that binds or
    changes a needed name runs, and what it reads is needed in turn. ``Plan("all", reason)``
    where the analysis cannot know. Never raises: a notebook the analysis fails on runs in full."""
    observation_cells = [i for i in observation_cells if 0 <= i < len(nb.cells)]
    if not observation_cells:
        return Plan("all", reason="the notebook has no observation cell")
    try:
        infos = analyze(nb, set(observation_cells), max(observation_cells))
        return plan_from(nb, infos, demands, observation_cells)
    except Unknowable as exc:
        return Plan("all", reason=str(exc))
    except Exception as exc:        # the analysis's own failure: the notebook runs as nbgrader runs it
        return Plan("all", reason=f"the cell analysis failed ({type(exc).__name__})")


def _effects(code):
    """{function or class name: names it binds or changes when called (``STATE``: state without
    a name)} and the set of those that change their arguments, through the functions each
    refers to and the names that share its object, for the whole notebook."""
    effects, refs, mutators = {}, {}, set()
    for info in code:
        for owner, names in info.effects.items():
            effects.setdefault(owner, set()).update(names)
        for owner, names in info.refs.items():
            refs.setdefault(owner, set()).update(names)
        for name, sources in info.aliases.items():      # g = f: g does what f does
            refs.setdefault(name, set()).update(sources)
        mutators |= info.mutators
    changed = True
    while changed:
        changed = False
        for owner, names in refs.items():
            mine = effects.setdefault(owner, set())
            for callee in names:
                extra = effects.get(callee, set()) - mine
                if extra:
                    mine |= extra
                    changed = True
                if callee in mutators and owner not in mutators:
                    mutators.add(owner)
                    changed = True
    return effects, mutators


def plan_from(nb, infos, demands, observation_cells):
    code = [i for i in infos if i is not None]
    last = max(observation_cells)
    effects, mutators = _effects(code)
    aliases = {}
    for info in code:
        for name, sources in info.aliases.items():
            aliases.setdefault(name, set()).update(sources)
    defined = set().union(*(i.defined for i in code)) if code else set()

    returns, classes, imported, stateful = {}, set(), set(), set()
    for info in code:
        stateful |= info.stateful
        for function, names in info.returns.items():
            returns.setdefault(function, set()).update(names)
        classes |= info.classes
        imported |= info.imported

    def shared(names, own=frozenset(), effects_only=False):
        """``names``, every name whose object they may share (b = a: changing b changes a;
        ``()f``: what f returned, an instance of class f) through what earlier cells bound them
        to, and what calling them does; ``own``: names the cell bound itself (their objects are
        its own, already followed within the cell)."""
        out, todo, through = set(), list(names), set()
        while todo:
            name = todo.pop()
            if name in out:
                continue
            out.add(name)
            if name.startswith("()"):
                function = name[2:]
                reached = list(returns.get(function, ())) + list(effects.get(function, ()))
                reached += [function] if function in classes else []
                through.update(reached)
                todo += reached
            elif name not in own:
                todo += aliases.get(name, ())
        if effects_only:        # what running the objects' code may change, not the objects
            return {n for n in through if not n.startswith("()")}
        return {n for n in out if not n.startswith("()")}

    binders, always = {}, {}
    for info in code:
        bound = set(info.binds) | shared(info.mutates, info.assigned)
        for name in info.reads | info.deferred:
            bound |= effects.get(name, set())
        for function, arguments in info.calls:
            bound |= effects.get(function, set())
            if function == ".__iter__":
                bound |= shared(arguments, info.assigned, effects_only=True)
            elif function in mutators:
                bound |= shared(arguments, info.assigned)
            elif function not in defined and not function.startswith("."):
                # Calling a value (a closure, a kept method, an object) may do what its object does.
                called = shared({function}, info.assigned) - imported
                bound |= called | set().union(*(effects.get(n, set()) for n in called))
        bound |= {function for function, _ in info.calls if function in stateful}   # acc=[], lru_cache
        markers = {n for n in bound if n.startswith("()")}
        bound = (bound - markers) | shared(markers)
        bound -= imported - info.imported - info.assigned   # a library is changed only as state (``always``)
        if info.always or STATE in bound:
            always[info.index] = info.always or "calls a function that changes state without a name"
        for name in bound - {STATE}:
            binders.setdefault(name, []).append(info.index)
    needed, why = set(observation_cells), {}
    # A needed cell's names are needed until the last check: an object it holds may be changed
    # by any later cell (b = a; then a.append(...)).
    todo = [(name, index) for index, names in demands.items() for name in names]
    for index in always:
        if index < last:
            needed.add(index)
            why[index] = always[index]
            todo += [(name, last) for name in infos[index].reads | infos[index].deferred]
    until = {}
    while todo:
        name, before = todo.pop()
        if until.get(name, -1) >= before:
            continue
        until[name] = before
        for index in binders.get(name, ()):
            if index < before and index not in needed:
                needed.add(index)
                why[index] = f"binds or changes `{name}`"
                todo += [(n, last) for n in infos[index].reads | infos[index].deferred]
    skipped = tuple(i for i, cell in enumerate(nb.cells) if cell.cell_type == "code" and i not in needed)
    return Plan("needed", frozenset(needed), skipped, why=why)


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
    with PARSE_LOCK:        # any parse while another thread parses a student's cell can fail (CPython 3.11)
        tree = ast.parse(source)
    for node in ast.walk(tree):
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
    for name, check in checks_of(assignment).items():
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
