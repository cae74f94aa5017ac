"""The cell dependency graph (``batch.needed``) on hand-written cells: which cells a grade
depends on, and where the analysis must give up and run everything. Milliseconds each."""
import nbformat
import pytest

from autograder.assignment import current
from autograder.batch import needed

SETUP = "import numpy as np\nfrom tensorflow import keras\nfrom tensorflow.keras import layers"


def notebook(*cells):
    """Code cells (a str) and markdown cells (("md", text)); "OBS" marks an observation cell."""
    nb = nbformat.v4.new_notebook()
    for cell in cells:
        if isinstance(cell, tuple):
            nb.cells.append(nbformat.v4.new_markdown_cell(cell[1]))
        else:
            nb.cells.append(nbformat.v4.new_code_cell("pass  # observation" if cell == "OBS" else cell))
    return nb


def run(nb, reads):
    """The plan for ``nb`` whose "OBS" cells each read ``reads``."""
    obs = [i for i, c in enumerate(nb.cells) if c.source == "pass  # observation"]
    return needed.plan(nb, {i: set(reads) for i in obs}, obs)


def ran(plan):
    return sorted(plan.run)


def test_builder_and_what_it_reads_run_demonstrations_do_not():
    nb = notebook(SETUP,                                                      # 0 imports
                  "X_train = np.zeros((10, 4))\nEPOCHS = 3",                  # 1 data
                  ("md", "## demo"),
                  "def build(rate):\n    return keras.Sequential([layers.Dropout(rate)])",   # 3
                  "m = build(0.5)\nm.compile('adam', 'mse')\nm.fit(X_train, X_train, epochs=EPOCHS)",  # 4
                  "import matplotlib.pyplot as plt\nplt.plot([1, 2])",        # 5 a plot
                  "OBS")                                                     # 6
    plan = run(nb, {"build"})
    assert plan.mode == "needed"
    assert ran(plan) == [0, 3, 6] and plan.skipped == (1, 4, 5)


def test_free_names_of_functions_transitively_and_a_helper_in_an_extra_cell():
    nb = notebook(SETUP,
                  "EPOCHS = 3\nWIDTH = 64",                                   # 1 read by a helper's body
                  "def _block(units):\n    return [layers.Dense(units * SCALE)]",   # 2 helper, reads SCALE
                  "SCALE = 2",                                               # 3 later cell, before the check
                  "def build():\n    return keras.Sequential(_block(WIDTH))",  # 4 the builder
                  "history = build().fit(np.ones((2, 2)), epochs=EPOCHS)",   # 5 demo
                  "OBS")
    plan = run(nb, {"build"})
    assert ran(plan) == [0, 1, 2, 3, 4, 6]
    assert 5 in plan.skipped


def test_a_name_rebound_later_runs_every_binding_before_the_check_and_none_after():
    nb = notebook("RATES = [0.1]",
                  "RATES = RATES + [0.2]",
                  "demo = 1",
                  "OBS",
                  "RATES = []")                                             # after the last check: never read
    plan = run(nb, {"RATES"})
    assert ran(plan) == [0, 1, 3] and plan.skipped == (2, 4)


def test_in_place_changes_of_a_needed_name_run():
    nb = notebook("import random\nRATES = [0.3, 0.1]",
                  "RATES.sort()",                                            # mutating method
                  "RATES[0] = 0.0",                                          # item store
                  "random.shuffle(RATES)",                                   # library call changing it in place
                  "print(sorted(RATES))",                                    # reads only
                  "OBS")
    plan = run(nb, {"RATES"})
    assert ran(plan) == [0, 1, 2, 3, 5] and plan.skipped == (4,)


def test_a_function_that_writes_a_global_binds_it_where_it_is_called():
    nb = notebook("def configure():\n    global WIDTH\n    WIDTH = 128",
                  "configure()",                                             # binds WIDTH through the call
                  "def build():\n    return WIDTH",
                  "unrelated = 2",
                  "OBS")
    plan = run(nb, {"build"})
    assert ran(plan) == [0, 1, 2, 4]


def test_class_decorator_and_default_arguments():
    nb = notebook("def register(f):\n    REGISTRY.append(f)\n    return f",   # 0 decorator with an effect
                  "REGISTRY = []",                                           # 1
                  "UNITS = 32",                                              # 2 read by a default argument
                  "class Block:\n    size = BASE\n    def make(self):\n        return HELPER()",  # 3
                  "BASE = 1\nHELPER = list",                                 # 4 (read by the class body at once: before 3 only)
                  "@register\ndef build(units=UNITS, act=lambda x: x * K):\n    return Block().make()",  # 5
                  "K = 3",                                                   # 6 read by the lambda default when called
                  "OBS")
    plan = run(nb, {"build"})
    # 5 reads register, UNITS (now), Block, K (when called); register's body reads REGISTRY;
    # Block's method reads HELPER when called, so cell 4 runs too (bound before the check).
    assert ran(plan) == [0, 1, 2, 3, 4, 5, 6, 7]
    nb2 = notebook("UNITS = 32", "def build(units=UNITS):\n    return units", "UNITS = 64", "OBS")
    # The default holds UNITS's object, which a later cell could change in place: a needed
    # cell's names stay needed until the last check.
    assert ran(run(nb2, {"build"})) == [0, 1, 2, 3]


def test_cells_with_effects_the_grader_cannot_see_always_run():
    nb = notebook(SETUP,
                  "keras.utils.set_random_seed(1)",                          # library state
                  "!wget -q http://example.org/x",                           # the shell
                  "%pip install tqdm",
                  "from helpers import *",                                   # unknown names
                  "keras.Model.fit = None",                                  # a library patched
                  "%matplotlib inline\nplt_demo = 1",                        # an inert magic: skippable
                  "OBS")
    plan = run(nb, set())
    assert ran(plan) == [0, 1, 2, 3, 4, 5, 7] and plan.skipped == (6,)


def test_code_magics_are_read_as_code():
    nb = notebook("%%time\nA = 1\nB = 2", "%time C = A + 1", "%%capture out\nD = 4", "OBS")
    plan = run(nb, {"C", "out"})
    assert ran(plan) == [0, 1, 2, 3]


@pytest.mark.parametrize("source, why", [
    ("from IPython import get_ipython as gi\ngi().user_ns['X'] = 5", "namespace"),
    ("import IPython\nIPython.get_ipython().run_cell('X = 5')", "namespace"),
    ("from sys import modules\nmodules['__main__'].X = 5", "sys"),
    ("exec('X = 1')", "exec"), ("x = eval('1')", "eval"), ("globals()['build'] = print", "globals()"),
    ("vars()['a'] = 1", "vars()"), ("get_ipython().user_ns['a'] = 1", "user_ns"),
    ("%run other.ipynb", "%run"), ("import importlib\nm = importlib.import_module('x')", "importlib"),
    ("import builtins\nbuiltins.len = None", "builtins"), ("f = lambda: 0\nf.__globals__['a'] = 1", "namespace"),
    ("%store -r data", "%store"),
])
def test_what_static_analysis_cannot_follow_runs_everything(source, why):
    nb = notebook("def build():\n    return 1", "demo = 2", source, "OBS")
    plan = run(nb, {"build"})
    assert plan.mode == "all" and why in plan.reason
    assert not plan.skipped


def test_even_in_a_cell_that_would_be_skipped():
    nb = notebook("def build():\n    return 1", "OBS", "exec('build = None')", "OBS")
    assert run(nb, {"build"}).mode == "all"


def test_a_cell_that_does_not_parse_binds_nothing_and_a_crashing_cell_is_read_as_written():
    nb = notebook("def build(:\n    return 1",                                 # a syntax error: fails when run
                  "raise ValueError('boom')\nW = 1",                          # crashes: still a binder of W
                  "def build():\n    return W",
                  "OBS")
    assert ran(run(nb, {"build"})) == [1, 2, 3]


def test_too_long_or_too_deep_runs_everything():
    nb = notebook("x = " + "+".join(["1"] * 100_000), "OBS")
    assert run(nb, set()).mode == "all"
    nb = notebook("x = 1\n" + "#" * (needed.MAX_SOURCE + 1), "OBS")
    assert run(nb, set()).mode == "all"


def test_the_grader_s_observation_cells_and_what_follows_the_last_are_not_read():
    nb = notebook("A = 1", "B = 2", "OBS", "check_all(globals())")
    nb.cells[2].source = "__import__('x').observe('ex1_rates', globals(), 0)"
    plan = needed.plan(nb, {2: {"A"}}, [2])
    assert plan.mode == "needed" and ran(plan) == [0, 2] and plan.skipped == (1, 3)


def test_module07_checks_read_what_their_declaration_says():
    reads = needed.check_reads(current())
    assert reads["ex1_rates"] == {"DROPOUT_RATES"}
    assert reads["ex1_sweep"] == reads["ex1_sweep_honest"] == {"create_dropout_model", "run_dropout_sweep"}
    assert reads["ex1_accuracy"] == {"create_dropout_model", "sweep_results"}
    assert reads["ex2_bn_before"] == {"create_bn_before_activation", "create_bn_after_activation",
                                      "create_no_bn_baseline"}
    assert reads["ex3_load"] == reads["ex3_load_split"] == {"load_cifar10_flat"}
    assert reads["ex3_early_stopping"] == {"make_early_stopping"}
    assert reads["ex3_model"] == {"create_cifar_model", "create_cifar_baseline"}


def test_a_check_reading_a_computed_name_cannot_be_listed():
    def observe(subject, inputs):
        name = "x" + "y"
        return subject.value(name)
    with pytest.raises(needed.Unknowable):
        needed._names_read(observe, set())


# Each case: cells ("OBS" an observation cell reading ``reads``), and a cell that must run
# because skipping it changes what the check sees. Found by trying to break the graph: the
# classes are aliases, methods, closures, decorators, library state, files and bindings the
# first version missed.
MUST_RUN = {
    "an alias changed in place": (["RATES = [1, 2]", "a = RATES\na.append(3)", "OBS"], {"RATES"}, 1),
    "each name of a loop over two lists": (["A = []\nB = []", "for lst in (A, B):\n    lst.append(1)", "OBS"], {"A"}, 1),
    "a row of a matrix": (["M = [[0]]", "row = M[0]\nrow[0] = 9", "OBS"], {"M"}, 1),
    "an unbound method": (["RATES = [1]", "list.append(RATES, 2)", "OBS"], {"RATES"}, 1),
    "a bound method kept and called later": (["RATES = [1]", "add = RATES.append", "add(5)", "OBS"], {"RATES"}, 2),
    "a later change to what a needed name holds": (["a = [1]", "b = a", "a.append(2)", "OBS"], {"b"}, 2),
    "a default argument's list": (["L = [16]", "def build(layers=L):\n    return list(layers)", "L.append(64)", "OBS"],
                                  {"build"}, 2),
    "a function calling a function that writes a global": (
        ["X = 0", "def f():\n    global X\n    X += 1", "def g():\n    f()", "g()", "OBS"], {"X"}, 3),
    "a function kept under another name": (["X = []", "def f():\n    X.append(1)", "g = f", "g()", "OBS"], {"X"}, 3),
    "a function changing its argument": (["R = []", "def add(lst, x):\n    lst.append(x)", "add(R, 5)", "OBS"], {"R"}, 2),
    "a method changing its object": (["class M:\n    def set_lr(self, v):\n        self.lr = v", "m = M()",
                                      "m.set_lr(0.5)", "OBS"], {"m"}, 2),
    "a method writing a global": (["COUNT = 0", "class C:\n    def bump(self):\n        global COUNT\n        COUNT += 1",
                                   "c = C()", "c.bump()", "OBS"], {"COUNT"}, 3),
    "a classmethod changing its class": (["class M:\n    lr = 0.1\n    @classmethod\n    def set_lr(cls, v):\n"
                                          "        cls.lr = v", "M.set_lr(0.9)", "OBS"], {"M"}, 1),
    "a class changed through an instance": (["class M:\n    lr = 0.1", "m = M()", "type(m).lr = 0.9", "OBS"], {"M"}, 2),
    "a closure's counter": (["def make():\n    n = 0\n    def step():\n        nonlocal n\n        n += 1\n"
                             "        return n\n    return step", "counter = make()", "counter()", "OBS"], {"counter"}, 2),
    "a mutable default filled by a call": (["def add(x, acc=[]):\n    acc.append(x)\n    return acc", "add(1)", "OBS"],
                                           {"add"}, 1),
    "a cached function called early": (["import functools\nS = 2", "@functools.lru_cache\ndef scale():\n    return S",
                                        "scale()", "S = 20", "OBS"], {"scale"}, 2),
    "a decorator calling the function at once": (["X = 0", "def run_now(fn):\n    fn()\n    return fn",
                                                  "@run_now\ndef step():\n    global X\n    X = 1", "OBS"], {"X"}, 2),
    "an iterator advanced": (["it = iter([1, 2, 3])", "next(it)", "OBS"], {"it"}, 1),
    "a generator consumed by a loop": (["gen = (i for i in range(3))", "for g in gen:\n    pass", "OBS"], {"gen"}, 1),
    "a random draw before a needed one": (["import numpy as np\nnp.random.seed(0)", "print(np.random.rand())",
                                           "W = np.random.rand(2)", "OBS"], {"W"}, 1),
    "a generator object's draw": (["import numpy as np\nrng = np.random.default_rng(0)", "rng.random()",
                                   "W = rng.random()", "OBS"], {"W"}, 1),
    "a file written by Python": (["with open('cfg.txt', 'w') as fh:\n    fh.write('3')",
                                  "def build():\n    return open('cfg.txt').read()", "OBS"], {"build"}, 0),
    "arrays saved to disk": (["import numpy as np", "np.save('w.npy', np.ones(2))", "W = np.load('w.npy')", "OBS"],
                             {"W"}, 1),
    "the import path changed": (["import sys\nsys.path.append('lib')", "from helper import VALUE", "OBS"], {"VALUE"}, 0),
    "the environment through an alias": (["import os\nenv = os.environ\nenv['LR'] = '0.5'",
                                          "def lr():\n    return os.environ.get('LR')", "OBS"], {"lr"}, 0),
    "a library object changed": (["from collections import OrderedDict as CONFIG\nCONFIG.x = 1", "OBS"], set(), 0),
    "a walrus in a comprehension": (["X = 0", "[(X := i) for i in range(3)]", "OBS"], {"X"}, 1),
    "an annotation's type": (["from typing import List\nVec = List[float]", "def build(x: Vec) -> Vec:\n    return x",
                              "OBS"], {"build"}, 0),
    "an item target of a loop": (["CFG = {}", "for CFG['lr'] in (0.1, 0.2):\n    pass", "OBS"], {"CFG"}, 1),
    "an in-place += through an alias": (["A = [[1]]", "B = A[0]\nB += [2]", "OBS"], {"A"}, 1),
    "a code magic's body": (["X = 0", "%%time\nX = 5", "OBS"], {"X"}, 1),
    # The second attack's classes.
    "a reference kept in a container": (["CFG = {'lr': 0.1}", "holder = {}", "holder['cfg'] = CFG",
                                         "holder['cfg']['lr'] = 9", "OBS"], {"CFG"}, 3),
    "a reference appended to a list": (["CFG = {'lr': 0.1}", "configs = []\nconfigs.append(CFG)",
                                       "for c in configs:\n    c['lr'] = 9", "OBS"], {"CFG"}, 2),
    "a global a function returns": (["LAYERS = [16]", "def get_layers():\n    return LAYERS",
                                     "get_layers().append(64)", "OBS"], {"LAYERS"}, 2),
    "a class-level list through an instance": (["class Config:\n    layers = []", "c = Config()",
                                                "c.layers.append(5)", "OBS"], {"Config"}, 2),
    "a closure from a factory": (["STORE = []", "def make():\n    return lambda v: STORE.append(v)", "add = make()",
                                  "add(3)", "OBS"], {"STORE"}, 3),
    "a generator advanced": (["N = [0]", "def batches():\n    N[0] += 1\n    yield 1", "g = batches()", "next(g)",
                              "OBS"], {"N"}, 3),
    "a context manager's exit": (["TIMES = []", "class Timer:\n    def __enter__(self):\n        return self\n"
                                  "    def __exit__(self, *a):\n        TIMES.append(1)", "timer = Timer()",
                                  "with timer:\n    pass", "OBS"], {"TIMES"}, 3),
    "a bound method kept and called": (["N = 0", "class T:\n    def step(self):\n        global N\n        N += 1",
                                        "t = T()\nstep = t.step", "step()", "OBS"], {"N"}, 3),
    "an object's __iter__": (["N = [0]", "class Loader:\n    def __iter__(self):\n        N[0] += 1\n"
                              "        return iter([1])", "ld = Loader()", "lst = list(ld)", "OBS"], {"N"}, 3),
    "a match statement reading before binding": (["N = 1", "match 0:\n    case _:\n        N += 1\n        Y = N",
                                                  "OBS"], {"Y"}, 0),
    "a path opened for writing": (["from pathlib import Path\nwith Path('cfg.txt').open('w') as fh:\n"
                                   "    fh.write('0.5')", "def lr():\n    return Path('cfg.txt').read_text()", "OBS"],
                                  {"lr"}, 0),
    "a file handle written in a later cell": (["fh = open('log.txt', 'w')", "fh.write('0.5')", "fh.close()",
                                               "def lr():\n    return open('log.txt').read()", "OBS"], {"lr"}, 1),
    "pandas in place": (["import pandas as pd\ndf = pd.DataFrame({'a': [1, None]})", "df.dropna(inplace=True)", "OBS"],
                        {"df"}, 1),
}


@pytest.mark.parametrize("case", sorted(MUST_RUN))
def test_a_cell_that_changes_what_a_check_sees_runs(case):
    cells, reads, must = MUST_RUN[case]
    plan = run(notebook(*cells), reads)
    assert plan.mode == "all" or must in plan.run, plan.why


@pytest.mark.parametrize("source", [
    "x = " + "+".join(["1"] * 2_000),                 # deep enough for the analysis, not for Python
    "y = " + ".a" * 1500,
    "A" + "[0]" * 1500 + " = 1",
])
def test_the_analysis_never_raises(source):
    nb = notebook("def build():\n    return 1", source.replace("y = .a", "y = x.a"), "OBS")
    plan = run(nb, {"build"})
    assert plan.mode in ("needed", "all")
    assert needed.plan(nb, {9: {"build"}}, [9]).mode == "all"      # an observation past the end


def test_a_parameter_named_like_a_global_is_the_function_s_own():
    nb = notebook("model = [1]", "def train(model):\n    model.append(2)", "demo = []\ntrain(demo)", "OBS")
    assert 2 not in run(nb, {"model"}).run


def test_a_chain_of_aliases_cannot_stall_the_grader():
    import time
    chain = "a0 = []\n" + "\n".join(f"a{i} = a{i - 1}" for i in range(1, 9000)) + \
        "\n" + "\n".join(f"a{i}.foo()" for i in range(0, 9000, 2))
    start = time.monotonic()
    plan = run(notebook(chain, "OBS"), {"a0"})
    assert time.monotonic() - start < 10 and plan.mode in ("needed", "all")


def test_an_ordinary_builder_trainer_and_demonstration_notebook_skips_the_training():
    nb = notebook(SETUP,
                  "def build_model(units=8):\n    m = keras.Sequential([layers.Dense(units)])\n"
                  "    m.compile(optimizer='adam', loss='mse')\n    return m",
                  "def train_model(model, X, y, epochs=1):\n    return model.fit(X, y, epochs=epochs, verbose=0)",
                  "X = np.zeros((8, 4))\ny = np.zeros(8)",
                  "model = build_model()\nhistory = train_model(model, X, y, epochs=50)",      # the demonstration
                  "import matplotlib.pyplot as plt\nplt.plot(history.history['loss'])",
                  "from dataclasses import dataclass\n@dataclass(frozen=True)\nclass Config:\n    lr: float = 0.1",
                  "demo = Config(lr=5)",
                  "OBS")
    plan = run(nb, {"build_model", "train_model", "Config"})
    assert {4, 5, 7} <= set(plan.skipped), plan.why


def test_every_parse_in_the_grader_holds_the_parse_lock():
    """CPython 3.11's parser fails across threads (SystemError, read as "nested too deeply" or
    a notebook that could not run): every parse the batch's threads make holds PARSE_LOCK."""
    import ast as ast_module
    import os
    folder = os.path.dirname(needed.__file__)
    unlocked = []
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".py"):
            continue
        tree = ast_module.parse(open(os.path.join(folder, name), encoding="utf-8").read())
        parents = {child: node for node in ast_module.walk(tree) for child in ast_module.iter_child_nodes(node)}
        for node in ast_module.walk(tree):
            if isinstance(node, ast_module.Call) and isinstance(node.func, ast_module.Attribute) \
                    and (node.func.attr, getattr(node.func.value, "id", "")) in (("parse", "ast"), ("symtable", "symtable")):
                up = node
                while up in parents and not (isinstance(up, ast_module.With) and any(
                        getattr(i.context_expr, "id", "") == "PARSE_LOCK" for i in up.items)):
                    up = parents[up]
                if not isinstance(up, ast_module.With):
                    unlocked.append(f"{name}:{node.lineno}")
    assert unlocked == []
