"""The hostile and broken submissions corpus: each case a notebook (or a file that is not one)
written by a small generator, with the outcome the grader must give it.

A case's notebook is the release's setup cell, the reference answers of the exercises it
keeps (``parts``), the case's own cells, then the release's test cells (as a student's
notebook has them). Expected outcome: the points of every check (``earns``: the checks that
must pass; all others 0), a phrase of the reason the student is shown, whether the grader
flags it for review, and what it must not reach.
"""
import ast
import csv
import json
import os
from dataclasses import dataclass, field

import nbformat

from autograder.course.nbgrader_steps import notebook_path
from tests.helpers import CHECKS

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOURCE = os.path.join(REPO, "source", "regularization", "regularization.ipynb")
KERNEL_CHECKS = {n for n, c in CHECKS.items() if not c.from_model}
# Planted outside every scratch folder; no case may read or change them.
SECRETS = {"source/regularization/SECRET.txt": "hidden-tests-secret",
           "submitted/zz_victim/regularization/notes.txt": "victim-secret"}


def full(*exercises, but=()):
    """Full points on every check of ``exercises``, except ``but``."""
    return {n: c.points for n, c in CHECKS.items() if c.exercise in exercises and n not in but}


def models3(but=()):
    """Exercise 3's model checks (the part "3m": its answers without the data loader)."""
    return full(3, but=("ex3_load", "ex3_load_split") + tuple(but))


@dataclass
class Case:
    what: str
    cells: list = field(default_factory=list)   # code, or callable(course) -> code
    parts: tuple = ()                  # reference answers kept: 1, 2, 3, "3m" (3 without its loader),
                                       # "r" (DROPOUT_RATES alone: no library to import, fast)
    earns: dict = field(default_factory=dict)   # check -> points; absent checks: 0
    reason: str = ""                   # in the student's reason (failed) or in a check's message
    flagged: str = ""                  # phrase of a tampering flag, "" for none
    raw: bytes = None                  # the file itself instead of a notebook
    files: dict = field(default_factory=dict)   # shipped beside the notebook
    edit: object = None                # callable(nb) -> nb, after assembly
    big: bool = False                  # a 100 MB notebook, written at run time
    setup: bool = False                # the release's setup cell even without parts
    links: dict = field(default_factory=dict)   # shipped symbolic links: name -> target
    notice: str = ""                   # phrase of a notice the instructor sees
    notebook_link: object = None       # callable(course) -> what the notebook itself links to
    special: tuple = ()                # names of FIFOs shipped beside the notebook


def _solution(grade_id):
    nb = nbformat.read(SOURCE, 4)
    return next(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _module_builder():
    """The module's ``create_dropout_model`` alone (its cell also trains demonstrations)."""
    nb = nbformat.read(SOURCE, 4)
    cell = next(c.source for c in nb.cells if "def create_dropout_model" in c.source)
    node = next(n for n in ast.parse(cell).body if isinstance(n, ast.FunctionDef))
    return ast.get_source_segment(cell, node)


def _release(course):
    return nbformat.read(notebook_path(str(course), "release"), 4)


# The notebook's sweep, on a slice small enough for the corpus (Exercise 1's accuracy check
# retrains the module's model at the rate it finds best).
SWEEP = """(X_tr, y_tr), _ = fashion_mnist.load_data()
X_tr, y_tr = X_tr[:512].reshape(-1, 784).astype('float32') / 255.0, y_tr[:512]
sweep_results = run_dropout_sweep([0.0, 0.4], X_tr[:256], y_tr[:256], X_tr[256:], y_tr[256:], 1)
"""


RATES = "DROPOUT_RATES = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]"
R = {"ex1_rates": 1}         # what the "r" part earns


LEAN_SETUP = nbformat.v4.new_code_cell("""import os
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers, models, regularizers
from tensorflow.keras.callbacks import EarlyStopping
from sklearn.model_selection import train_test_split
from autograder.data import fashion_mnist, cifar10
keras.utils.set_random_seed(42)
""")


def _without_loader(code):
    tree = ast.parse(code)
    keep = [n for n in tree.body if not (isinstance(n, ast.FunctionDef) and n.name == "load_cifar10_flat")]
    return "\n\n".join(ast.get_source_segment(code, n) for n in keep)


def build(course, case):
    release = _release(course)
    tests = [c for c in release.cells if c.metadata.get("nbgrader", {}).get("grade_id") in CHECKS]
    answers = [RATES] if "r" in case.parts else []
    if 1 in case.parts:
        answers += ["import matplotlib.pyplot as plt", _module_builder(), _solution("ex1_solution"), SWEEP]
    answers += [_solution(f"ex{n}_solution") for n in (2, 3) if n in case.parts]
    if "3m" in case.parts:
        answers.append(_without_loader(_solution("ex3_solution")))
    own = [c(course) if callable(c) else c for c in case.cells]
    nb = nbformat.v4.new_notebook(metadata=release.metadata)
    # The libraries the answers use, seeded as the release's setup cell seeds them (its plotting
    # libraries left out: the corpus runs 45 kernels).
    setup = [LEAN_SETUP] if set(case.parts) - {"r"} or case.setup else []
    nb.cells = setup + [nbformat.v4.new_code_cell(code) for code in answers + own] + tests
    return case.edit(nb) if case.edit else nb


def write(course, name, case):
    folder = course / "submitted" / name / "regularization"
    folder.mkdir(parents=True)
    path = folder / "regularization.ipynb"
    if case.notebook_link is not None:
        os.symlink(case.notebook_link(course), path)
    elif case.big:
        with open(path, "wb") as f:
            f.write(b'{"cells": [{"cell_type": "code", "source": "')
            f.write(b"x" * (100 * 2**20))
            f.write(b'"}]}')
    elif case.raw is not None:
        path.write_bytes(case.raw)
    else:
        nbformat.write(build(course, case), str(path))
    for rel, text in case.files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text)
    for rel, target in case.links.items():
        os.symlink(target(course) if callable(target) else target, folder / rel)
    for rel in case.special:
        os.mkfifo(folder / rel)


def host_secret(course):
    """A root-only file outside the course, as any host file a link could point at."""
    return course.parent / "host-secret.txt"


def plant_secrets(course):
    for rel, text in SECRETS.items():
        path = course / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    secret = host_secret(course)
    secret.write_text("host-secret")
    os.chmod(secret, 0o600)


def expected_points(case):
    return {n: float(case.earns.get(n, 0)) for n in CHECKS}


def sandbox_limits(*, cell_timeout_s, submission_timeout_s):
    """A course's sandbox limits for a hostile batch (appended to its nbgrader_config.py): the
    times given, and memory, processes, file size and output small enough for the bombs to hit."""
    return f"""
c.Sandbox.cell_timeout_s = {cell_timeout_s}
c.Sandbox.submission_timeout_s = {submission_timeout_s}
c.Sandbox.memory_mb = 6144
c.Sandbox.max_processes = 200
c.Sandbox.max_file_mb = 50
c.Sandbox.max_output_kb = 64
"""


def assert_expected_points(cases, summary, rows):
    """Every case recorded in the gradebook with the points it is expected to earn."""
    assert set(rows) == set(cases), "every case is recorded in the gradebook"
    wrong = {}
    for name, case in cases.items():
        got = {check: rows[name].scores.get(check, (0.0, 0))[0] for check in CHECKS}
        want = expected_points(case)
        diff = {c: (got[c], want[c]) for c in CHECKS if got[c] != want[c]}
        if diff:
            wrong[name] = {c: [*v, rows[name].messages.get(c, "")[:160]] for c, v in diff.items()}
    assert wrong == {}
    assert summary["scores"] == {name: sum(expected_points(case).values()) for name, case in cases.items()}


def assert_one_clear_reason(cases, course, summary, rows):
    """Every lost point said why, briefly, with the case's phrase; a feedback page for each."""
    with open(course / "exports" / "grades.csv") as f:
        csv_rows = {r["student"]: r for r in csv.DictReader(f)}
    for name, case in cases.items():
        lost = {check: rows[name].messages.get(check, "") for check in rows[name].lost()}
        for check, message in lost.items():
            assert message.strip(), (name, check)
            assert "Traceback" not in message and len(message) < 2500, (name, check, message[:300])
        said = " ".join(lost.values()) + " " + summary["failed"].get(name, "")
        assert case.reason in said, (name, case.reason, said[:600])
        if lost:
            assert csv_rows[name]["reasons"].strip(), name
        assert (course / "feedback" / name / "regularization" / "regularization.html").exists(), name


def assert_within_submission_limit(cases, course, limit_s):
    """Every execution stopped by the submission's limit at the latest, teardown included."""
    for name in cases:
        execution = json.loads((course / ".autograder" / "batch" / name / "execution.json").read_text())
        assert execution["duration_s"] <= limit_s + 15, (name, execution["duration_s"])


# ---------------------------------------------------------------- the cases' code
WEAK_CIFAR = """
def create_cifar_model():
    model = models.Sequential([layers.Input(shape=(3072,)),
                               layers.Dense(8, kernel_regularizer=regularizers.l2(1e-4)),
                               layers.BatchNormalization(), layers.Activation('relu'),
                               layers.Dropout(0.2), layers.Dense(10, activation='softmax')])
    model.compile(optimizer=keras.optimizers.SGD(1e-5), loss='sparse_categorical_crossentropy',
                  metrics=['accuracy'])
    return model
"""
FAKE_HISTORY = WEAK_CIFAR + """
history = keras.callbacks.History()
history.history = {'accuracy': [0.99], 'val_accuracy': [0.99]}
print("Epoch 30/30 - accuracy: 0.9900 - val_accuracy: 0.9900")
"""
PATCH_FIT = WEAK_CIFAR + """
def _fit(self, *args, **kwargs):
    history = keras.callbacks.History()
    history.history = {'val_accuracy': [0.99], 'accuracy': [0.99]}
    return history
keras.Model.fit = _fit
keras.Model.evaluate = lambda self, *a, **k: [0.01, 0.99]
"""
HIDDEN_PATCH_FIT = WEAK_CIFAR + """
target = getattr(__import__('ker' + 'as'), 'Mo' + 'del')
type.__setattr__(target, 'fi' + 't', lambda self, *a, **k: None)
"""
PATCH_NUMPY = "np.allclose = lambda *a, **k: True\nnp.isclose = lambda *a, **k: True\n"
PATCH_GRADER = """
import autograder.checks.registry as registry
from autograder.checks.result import CheckResult
def _always(self, subject):
    return CheckResult(self.name, True, self.points, self.points, 'ok')
registry.Check.run = _always
"""
PATCH_ASSERT = "import builtins\nbuiltins.AssertionError = type('Nothing', (Exception,), {})\n"
CUSTOM_EXC = "get_ipython().set_custom_exc((Exception,), lambda *a, **k: None)\n"
SHOWTRACEBACK = "get_ipython().showtraceback = lambda *a, **k: None\n"
SYS_EXIT = "import sys\nsys.exit(0)\n"
OS_EXIT = "import os\nos._exit(0)\n"
SWEEP_MADE_UP = """
def run_dropout_sweep(rates, X_train, y_train, X_valid, y_valid, epochs):
    return {rate: {'best_val_acc': 0.99 - rate / 10, 'final_val_acc': 0.98 - rate / 10} for rate in rates}
"""
TWO_FACED = """
import inspect
def create_cifar_model():
    # A strong-looking structure when the grader's code is on the stack, nothing otherwise.
    graded = any('autograder' in frame.filename for frame in inspect.stack())
    if not graded:
        return models.Sequential([layers.Input(shape=(3072,)), layers.Dense(10, activation='softmax')])
    return _reference_cifar_model()
"""


# The grader runs only the cells a grade depends on (batch/needed.py): an attack that must meet
# the sandbox lives in a cell that binds a name a check reads, as an attacker would put it.
RUNS = "\nDROPOUT_RATES = DROPOUT_RATES   # binds what ex1_rates reads: this cell runs while graded\n"


def _reaching(course):
    """Tries to read and write what a submission must not reach; prints what it got."""
    course = str(course)
    return f"""
import glob, os, socket, subprocess
got = []
for path in [{course!r} + '/source/regularization/SECRET.txt', {course!r} + '/gradebook.db',
             {course!r} + '/submitted/zz_victim/regularization/notes.txt',
             {REPO!r} + '/reference/exercise3.py', {REPO!r} + '/source/regularization/regularization.ipynb',
             os.path.expanduser('~root') + '/.bash_history', '/etc/shadow']:
    try:
        got.append(('READ', path, open(path).read()[:40]))
    except Exception as exc:
        got.append(('blocked', path, type(exc).__name__))
for path in [{course!r} + '/source/regularization/SECRET.txt', {course!r} + '/pwned.txt',
             '/etc/pwned.txt', {REPO!r} + '/reference/pwned.txt']:
    try:
        open(path, 'w').write('pwned')
        got.append(('WROTE', path, ''))
    except Exception as exc:
        got.append(('blocked', path, type(exc).__name__))
try:
    socket.create_connection(('1.1.1.1', 53), timeout=3)
    got.append(('CONNECTED', 'network', ''))
except Exception as exc:
    got.append(('blocked', 'network', type(exc).__name__))
subprocess.Popen(['sleep', '987'], start_new_session=True)   # left behind on purpose
for g in got:
    print(*g)
"""


FORK_BOMB = """
import os, time
if os.fork() == 0:
    while True:
        try:
            os.fork()
        except OSError:
            time.sleep(3600)
time.sleep(2)
"""
FLOOD = "while True:\n    print('x' * 10**6)\n"
STUBBORN = "import time\nwhile True:\n    try:\n        time.sleep(100)\n    except KeyboardInterrupt:\n        pass"
STDERR_FLOOD = "import os\nfor _ in range(300):\n    os.write(2, b'y' * 10**6)\n"
BILLION = """
def create_cifar_model():
    return models.Sequential([layers.Dense(10**6), layers.Dense(10, activation='softmax')])
"""
WIDE = """
def create_bn_before_activation():
    return models.Sequential([layers.Input(shape=(784,)), layers.Dense(10**7), layers.Dense(10)])
"""
# Endless, but idle: the cell's time limit interrupts it as it would a busy loop, without 30 s
# of one core taken from the rest of the suite (the busy loop is test_limits.py's "looper").
BUILDER_LOOPS = "import time\n\ndef create_cifar_model():\n    while True:\n        time.sleep(0.05)\n"
DISK_FILLER = "with open('filler.bin', 'wb') as f:\n    for _ in range(100):\n        f.write(b'z' * 2**20)\n"
LAMBDA_MODEL = """
def create_cifar_model():
    model = models.Sequential([layers.Input(shape=(3072,)), layers.Lambda(lambda x: x * 2),
                               layers.Dense(10, activation='softmax')])
    return model
"""
CUSTOM_LAYER = """
class Doubler(layers.Layer):
    def call(self, x):
        return x * 2

def create_cifar_model():
    return models.Sequential([layers.Input(shape=(3072,)), Doubler(), layers.Dense(10, activation='softmax')])
"""
RETRAIN_CRASH = """
def create_cifar_model():
    # No input shape: it builds in the notebook, but not on the grader's 3072 inputs.
    return models.Sequential([layers.Reshape((7, 7)), layers.Flatten(), layers.Dense(10, activation='softmax')])
"""


OBSERVATION_MIME = "application/vnd.module07.observation+json"
# An IPython hook that, after every cell, claims every in-kernel check passed and hands in a
# model config of its own making (what a forged observations file did before).
HOOK_FORGES = f"""
from IPython.display import display
_FAKE_MODEL = {{'config': '{{"class_name": "Sequential", "config": {{"layers": []}}}}', 'optimizer': None, 'args': []}}
def _forge(*_):
    display({{{OBSERVATION_MIME!r}: {{'checks': {{n: {{'passed': True, 'message': 'ok'}} for n in {list(sorted(KERNEL_CHECKS))!r}}},
                                   'models': {{b: _FAKE_MODEL for b in ('create_bn_before_activation', 'create_cifar_model')}},
                                   'tampered': []}}}}, raw=True)
get_ipython().events.register('post_run_cell', _forge)
"""
FORGED_FILE = json.dumps({"type": "Observations", "checks": {n: {"passed": True, "message": "ok"} for n in KERNEL_CHECKS},
                          "models": {}, "sweep": {"0.0": 0.5, "x": "not a number"}, "tampered": []})
STARTUP = ("import autograder.checks.registry as r\nfrom autograder.checks.result import CheckResult\n"
           "r.Check.run = lambda self, s: CheckResult(self.name, True, self.points, self.points, 'ok')\n"
           "DROPOUT_RATES = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]\n")
READ_LINKS = """
for name in ('notes.txt', 'etc_link/hostname'):
    try:
        print('READ', name, open(name).read()[:40])
    except Exception as exc:
        print('blocked', name, type(exc).__name__)
"""
# Written to a file by the cell magic, so the kernel never compiles it (compiling it hangs a
# kernel past its interrupts); the grader's scan still reads it.
DEEP_CODE = "%%writefile deep.py\nx = " + "-" * 3000 + "1\n"
SURROGATES = "print('bad \\ud800 text')\n\ndef create_cifar_model():\n    raise ValueError('broken \\udcff model')\n"
DEEP_TO_JSON = """
def create_cifar_model():
    model = models.Sequential([layers.Input(shape=(3072,)), layers.Dense(10, activation='softmax')])
    model.to_json = lambda **kwargs: '[' * 100_000 + ']' * 100_000
    return model
"""
BFLOAT16 = "keras.mixed_precision.set_global_policy('bfloat16')\n"
# A hand-made config for the retraining worker: a layer that loads a SavedModel from a path,
# and a Dense layer whose build_config declares five million inputs (a 49 GB kernel if built).
CRAFTED_CONFIG = """
import json
def create_cifar_model():
    model = models.Sequential([layers.Input(shape=(3072,)), layers.Dense(10, activation='softmax')])
    config = json.loads(model.to_json())
    config['config']['layers'].insert(1, {'module': 'keras.layers', 'class_name': 'TFSMLayer', 'registered_name': None,
                                          'config': {'name': 'loader', 'filepath': '/root', 'call_endpoint': 'serve'}})
    config['config']['layers'][-1]['build_config'] = {'input_shape': [None, 5_000_000]}
    model.to_json = lambda **kwargs: json.dumps(config)
    return model
"""
# Answers looked up in tables made for the grader's former fixed probes: the sweep returns the
# 0.1 that its one-image probe gave every model, best_dropout_rate and the plot know its cases.
ANSWER_TABLES = """
def run_dropout_sweep(rates, X_train, y_train, X_valid, y_valid, epochs):
    models_ = [create_dropout_model(rate) for rate in rates]
    return {rate: {'best_val_acc': 0.1, 'final_val_acc': 0.1} for rate in rates}

_KNOWN = {(0.1, 0.2, 0.3): 0.2, (0.0, 0.3, 0.5): 0.3, (0.4,): 0.4}
def best_dropout_rate(results):
    return _KNOWN.get(tuple(sorted(results)), 0.0)
"""
SWEEP_ON_VALIDATION = """
def run_dropout_sweep(rates, X_train, y_train, X_valid, y_valid, epochs):
    results = {}
    for rate in rates:
        model = create_dropout_model(dropout_rate=rate)
        model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
        history = model.fit(X_valid, y_valid, epochs=epochs, batch_size=128,
                            validation_data=(X_valid, y_valid), verbose=0)
        results[rate] = {'best_val_acc': max(history.history['val_accuracy']),
                         'final_val_acc': history.history['val_accuracy'][-1]}
    return results
"""


KERAS_DATASETS_LOADER = """
from tensorflow import keras
from sklearn.model_selection import train_test_split

def load_cifar10_flat():
    (X, y), _ = keras.datasets.cifar10.load_data()
    X = X.reshape(-1, 3072).astype('float32') / 255.0
    X_train, X_valid, y_train, y_valid = train_test_split(X, y.flatten(), test_size=0.2, random_state=42)
    return X_train, y_train, X_valid, y_valid
"""


# Correct work written in ways the notebook allows, and wrong work that looks right.
EX1_UNUSUAL = """
DROPOUT_RATES = np.arange(0, 0.8, 0.1)           # 0.30000000000000004 is 0.3

def run_dropout_sweep(rates, X_train, y_train, X_valid, y_valid, epochs):
    order = np.random.default_rng(1).permutation(len(X_train))
    results = {}
    for rate in rates:
        model = create_dropout_model(dropout_rate=rate)
        model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['categorical_accuracy'])
        history = model.fit(X_train[order], keras.utils.to_categorical(y_train[order], 10), epochs=epochs,
                            validation_data=(X_valid, keras.utils.to_categorical(y_valid, 10)), verbose=0)
        acc = history.history['val_categorical_accuracy']
        results[rate] = {'best_val_acc': float(max(acc)), 'final_val_acc': float(acc[-1])}
    return results

def plot_dropout_sweep(results):
    fig, ax = plt.subplots()
    ax.scatter(list(results)[::-1], [100 * results[r]['best_val_acc'] for r in list(results)[::-1]])
    ax.set_ylabel('validation accuracy (%)')
    return ax
"""

EX1_WARM_START = """
def run_dropout_sweep(rates, X_train, y_train, X_valid, y_valid, epochs):
    results, previous = {}, None
    for rate in rates:
        model = create_dropout_model(dropout_rate=rate)
        model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
        if previous is not None:
            model.set_weights(previous.get_weights())      # each rate continues the last one's training
        history = model.fit(X_train, y_train, epochs=epochs, validation_data=(X_valid, y_valid), verbose=0)
        previous = model
        acc = history.history['val_accuracy']
        results[rate] = {'best_val_acc': float(max(acc)), 'final_val_acc': float(acc[-1])}
    return results
"""

EX2_UNUSUAL = """
import tensorflow as tf

def _stack(bn_first=None):
    inputs = keras.Input(shape=(784,))
    relu = layers.ReLU()                                 # one stateless layer, called at every depth
    x = inputs
    for units in (256, 128):
        x = layers.Dense(units)(x)
        if bn_first is True:
            x = relu(layers.BatchNormalization()(x))
        elif bn_first is False:
            x = models.Sequential([layers.Input((units,)), layers.ReLU(), layers.BatchNormalization()])(x)
        else:
            x = relu(x)
    return keras.Model(inputs, layers.Dense(10, activation=tf.nn.softmax)(x))

def create_bn_before_activation():
    return _stack(True)

def create_bn_after_activation():
    return _stack(False)

def create_no_bn_baseline():
    return _stack(None)
"""


def _edit_test_cells(nb):
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid == "ex1_rates":
            cell.source = "print('all tests passed')"
            cell.metadata["nbgrader"]["points"] = 100
        if gid == "ex1_plot":
            cell.metadata["nbgrader"] = {}          # no longer a test cell, as far as it says
    return nb


def _duplicate_ids(nb):
    test = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "ex1_rates")
    copy = nbformat.from_dict(json.loads(json.dumps(test)))
    copy.source = "DROPOUT_RATES = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]"
    nb.cells.insert(nb.cells.index(test), copy)
    return nb


def _delete_tests(nb):
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") not in
                ("ex1_rates", "ex1_sweep", "ex1_sweep_honest")]
    return nb


def _another_assignment(nb):
    for cell in nb.cells:
        if cell.metadata.get("nbgrader"):
            cell.metadata["nbgrader"]["grade_id"] = "hw3_" + cell.metadata["nbgrader"].get("grade_id", "x")
    return nb


def _nbformat3():
    return json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [
        {"cells": [{"cell_type": "code", "input": "print(1)", "language": "python", "outputs": []}]}]}).encode()


# 1.2 million empty lists in 3.6 MB: within the size limit, beyond what the grader parses.
JSON_BOMB = b'{"cells": [], "metadata": {"x": [' + b"[]," * 1_200_000 + b'[]]}, "nbformat": 4, "nbformat_minor": 5}'
# A student's markdown that would run in the instructor's browser if the feedback page kept it live.
SCRIPT_MARKDOWN = ("[my notes](javascript:alert(document.cookie)) and [the docs](https://keras.io)\n\n"
                   "<script>alert('feedback')</script> <img src=x onerror=alert('img')>")


def _script_markdown(nb):
    nb.cells.insert(1, nbformat.v4.new_markdown_cell(SCRIPT_MARKDOWN))
    return nb


REFERENCE_CIFAR_ALIAS = "_reference_cifar_model = create_cifar_model\n"
WITHHELD = "withheld for review"

KERNEL = tuple(sorted(KERNEL_CHECKS))
CASES = {
    # --- tampering with the verdict
    "fabricated_sweep": Case("a sweep that returns made-up accuracies", [SWEEP_MADE_UP], parts=(1,),
                             earns=full(1, but=("ex1_sweep", "ex1_sweep_honest")),
                             reason="was never trained with model.fit"),
    "fake_history": Case("a hand-built History and a printed 'accuracy: 0.99'", [FAKE_HISTORY],
                         parts=("3m",), earns=models3(but=("ex3_accuracy",)), reason="when the grader retrained it"),
    "patched_fit": Case("keras.Model.fit and evaluate patched to report 0.99", [PATCH_FIT], parts=("3m",),
                        earns=models3(but=("ex3_accuracy",)), reason="when the grader retrained it",
                        flagged="keras.Model.fit"),
    "hidden_patch": Case("Model.fit patched through getattr and type.__setattr__ (the scan cannot read it)",
                         [HIDDEN_PATCH_FIT], parts=("3m",), earns=models3(but=("ex3_accuracy",)),
                         reason="when the grader retrained it", flagged="keras.Model.fit` is code from the notebook"),
    # Patches of libraries or of IPython are flagged for review and judged on their effects:
    # the observed checks are judged outside the kernel, on the functions' outputs.
    "patched_numpy": Case("np.allclose and np.isclose always True", ["import numpy as np\n" + PATCH_NUMPY], parts=("r",),
                          earns=R, reason="not defined", flagged="np.allclose"),
    # Code aimed at the grader itself could forge an observation: withheld until reviewed.
    "patched_grader": Case("the grader's Check.run replaced to pass everything", [PATCH_GRADER], parts=("r",),
                           reason=WITHHELD, flagged="grader's internals"),
    "patched_assert": Case("AssertionError replaced by an exception nothing raises", [PATCH_ASSERT],
                           parts=("r",), earns=R, reason="not defined", flagged="builtins.AssertionError"),
    "custom_exc": Case("IPython's set_custom_exc swallowing every error (nbgrader PR #1324)", [CUSTOM_EXC],
                       parts=("r",), earns=R, reason="not defined", flagged="set_custom_exc"),
    "showtraceback": Case("IPython's showtraceback silenced", [SHOWTRACEBACK], parts=("r",),
                          earns=R, reason="not defined", flagged="showtraceback"),
    "sys_exit": Case("sys.exit() before the tests", [SYS_EXIT], parts=("r",), earns=R, reason="not defined",
                     flagged="sys.exit"),
    "os_exit": Case("os._exit() before the tests: the kernel dies, nothing can be judged", [OS_EXIT],
                    parts=("r",), reason="kernel died", flagged="os._exit"),
    "edited_tests": Case("test cells edited to print 'passed', points set to 100, metadata removed",
                         parts=("r",), edit=_edit_test_cells, earns=R),
    "deleted_tests": Case("test cells deleted", parts=("r",), edit=_delete_tests, earns=R),
    "duplicate_ids": Case("a second cell with a test cell's id", parts=("r",), edit=_duplicate_ids, earns=R),
    "shadow_modules": Case("keras.py, numpy.py and autograder/ shipped beside the notebook",
                           ["import keras, numpy\nprint('imported the real', keras.__name__, numpy.__name__)"],
                           parts=("r",),
                           earns=R,
                           files={"keras.py": "raise SystemExit('shadow keras')\n",
                                  "numpy.py": "raise SystemExit('shadow numpy')\n",
                                  "autograder/__init__.py": "raise SystemExit('shadow grader')\n",
                                  "autograder/notebook.py": "def check(*a, **k):\n    print('passed')\n"}),
    "two_faced": Case("a CIFAR model that is strong only when the grader's code builds it",
                      [REFERENCE_CIFAR_ALIAS, TWO_FACED], parts=("3m",), earns=models3()),
    # --- reaching outside
    "reacher": Case("reads source/, the gradebook, another student, reference/, home; writes outside; "
                    "opens a connection; leaves a process", [lambda course: _reaching(course) + RUNS], parts=("r",),
                    earns=R),
    # --- exhausting resources
    "builder_loops": Case("an infinite loop inside create_cifar_model", [BUILDER_LOOPS], parts=(2,),
                          earns=full(2), reason="time limit"),
    "billion_params": Case("a model of 3 billion parameters (no input shape, so never built)", [BILLION],
                           parts=("3m",), earns=models3(but=("ex3_model", "ex3_accuracy")), reason="parameters"),
    "wide_dense": Case("a Dense layer of width 10^7", [WIDE], parts=(2,),    # its other two models earn their part
                       earns=dict(full(2, but=("ex2_bn_before",)), ex2_accuracy=1.33)),
    # --- broken input
    "not_json": Case("not JSON", raw=b"this is not a notebook", reason="not a valid notebook"),
    "empty": Case("an empty file", raw=b"", reason="empty file"),
    "truncated": Case("truncated JSON", raw=b'{"cells": [{"cell_type": "code", "sour', reason="not a valid notebook"),
    "nbformat3": Case("an nbformat 3 notebook", raw=_nbformat3(), reason="another assignment"),
    "huge": Case("a 100 MB notebook", big=True, reason="MB"),
    "json_bomb": Case("a 3.6 MB notebook of 1.2 million empty JSON lists", raw=JSON_BOMB,
                      reason="JSON lists and objects"),
    "not_utf8": Case("non-UTF-8 bytes", raw=b'{"cells": "\xff\xfe\x00caf\xe9"}', reason="not UTF-8"),
    "other_assignment": Case("a notebook of another assignment", parts=("r",), edit=_another_assignment,
                             reason="another assignment"),
    "missing_function": Case("Exercise 3's functions missing", parts=("r", 2), earns=dict(R, **full(2)), reason="not defined"),
    "wrong_signature": Case("run_dropout_sweep(rates) only", [
        "def create_dropout_model(dropout_rate=0.5):\n    return None\n\n\n"
        "def run_dropout_sweep(rates):\n    return {}"],
                            parts=("r",), earns=R,
                            reason="positional argument"),
    "returns_none": Case("a builder returning None", ["def create_cifar_model():\n    return None\n"],
                         parts=("r",), earns=R, reason="None"),
    "already_trained": Case("a model trained in the notebook (its weights are not graded)", [
        "_ref = create_cifar_model\n"
        "def create_cifar_model():\n"
        "    m = _ref()\n"
        "    m.fit(np.zeros((64, 3072)), np.zeros(64), epochs=1, verbose=0)\n"
        "    return m\n"], parts=("3m",), earns=models3()),
    "uncompiled": Case("an uncompiled model (retrained with Adam(1e-3), as the notebook says)", [
        "_ref = create_cifar_model\n"
        "def create_cifar_model():\n"
        "    return models.Sequential.from_config(_ref().get_config())\n"], parts=("3m",), earns=models3()),
    "lambda_layer": Case("a Lambda layer", [LAMBDA_MODEL], parts=("3m",),
                         earns=models3(but=("ex3_model", "ex3_accuracy")), reason="Lambda"),
    "custom_layer": Case("a custom layer class", [CUSTOM_LAYER], parts=("3m",),
                         earns=models3(but=("ex3_model", "ex3_accuracy")), reason="custom"),
    # --- answers prepared for fixed inputs, and honest-looking wrong work
    "answer_tables": Case("the sweep returns the former probe's 0.1, best_dropout_rate looks its cases up",
                          [lambda course: _module_builder(), ANSWER_TABLES], parts=("r",), setup=True, earns=dict(R, ex1_sweep=2),
                          reason="was never trained with model.fit"),
    "sweep_on_validation": Case("a sweep that trains its models on the validation data", [SWEEP_ON_VALIDATION],
                                parts=(1,), earns=full(1, but=("ex1_sweep_honest",)),
                                reason="was trained on the validation data"),
    "crafted_config": Case("a hand-made model config: a TFSMLayer loading a path, a build_config of 5 million inputs",
                           [CRAFTED_CONFIG], parts=("r",), setup=True, earns=R, reason="TFSMLayer"),
    # --- crossing the trust boundary
    "symlink_host": Case("ships links to a root-only host file and to /etc", [READ_LINKS + RUNS], parts=("r",), earns=R,
                         links={"notes.txt": host_secret, "etc_link": "/etc"}, notice="symbolic link"),
    "notebook_is_link": Case("the notebook itself is a link to the course's source notebook (solutions, hidden tests)",
                             notebook_link=lambda course: course / "source" / "regularization" / "regularization.ipynb",
                             reason="symbolic link"),
    "many_files": Case("ships 2,500 small files beside the notebook", parts=("r",), earns=R,
                       files={f"many/{i}.txt": "x" for i in range(2500)}, notice="files a submission may ship"),
    "script_markdown": Case("markdown with a javascript: link, a <script> and an onerror handler", parts=("r",),
                            earns=R, edit=_script_markdown),
    "special_files": Case("ships a FIFO, a file name that is not UTF-8 and folders nested 300 deep", parts=("r",),
                          earns=R, special=("pipe.ipynb",), edit=None, notice="not a regular file",
                          files={"/".join(["d"] * 300) + "/x.py": "x = 1", "caf\udce9.txt": "x"}),
    # --- the module's own spelling of the data: keras.datasets works while graded (offline copy)
    "keras_datasets": Case("load_cifar10_flat loads CIFAR-10 with keras.datasets.cifar10.load_data()",
                           [KERAS_DATASETS_LOADER], parts=("3m",), earns=full(3)),
    # --- correct work written in unusual ways, wrong work that looks right (their own kinds)
    "ex1_unusual": Case("np.arange rates, a shuffled one-hot sweep with another metric name, a scatter in percent",
                        [EX1_UNUSUAL], parts=(1,), earns=full(1)),
    "ex1_warm_start": Case("a sweep whose rates each start from the previous rate's trained weights",
                           [EX1_WARM_START], parts=(1,), earns=full(1, but=("ex1_sweep_honest",)),
                           reason="start fresh"),
    "ex2_unusual": Case("Exercise 2 in the functional API: one ReLU reused, a nested Sequential block, tf.nn.softmax",
                        [EX2_UNUSUAL], parts=(2,), earns=full(2)),
    "hook_forges": Case("an IPython post_run_cell hook hands in passing verdicts and a model config after every cell",
                        [HOOK_FORGES], reason="not defined"),
    "forged_file": Case("ships .grader-observations.json claiming every check passed", parts=("r",), earns=R,
                        files={".grader-observations.json": FORGED_FILE}, notice="named like the grader's"),
    "kernel_config": Case("ships IPython startup files, ipython_config.py, .keras/keras.json and matplotlibrc",
                          files={".home/.ipython/profile_default/startup/00-pass.py": STARTUP,
                                 ".ipython/profile_default/startup/00-pass.py": STARTUP,
                                 "ipython_config.py": "c.InteractiveShellApp.exec_lines = "
                                                      "['DROPOUT_RATES = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]']\n",
                                 ".keras/keras.json": '{"floatx": "float16"}',
                                 "matplotlibrc": "backend: no_such_backend\n"},
                          reason="not defined", notice="configure the kernel"),
    "bad_timestamp": Case("ships a timestamp.txt that is not a date", parts=("r",), earns=R,
                          files={"timestamp.txt": "yesterday, honest"}, notice="not a date nbgrader can read"),
    "deep_code": Case("a cell nested too deeply for the parser", [DEEP_CODE], parts=("r",), reason=WITHHELD,
                      flagged="nested too deeply"),
    "surrogates": Case("lone surrogates in printed text and in an exception's message", [SURROGATES],
                       parts=("r",), earns=R, reason="broken"),
    "deep_to_json": Case("a model whose to_json returns JSON nested 100,000 deep", [DEEP_TO_JSON], parts=("r",),
                         setup=True, earns=R, reason="nested more deeply"),
    # bfloat16 rather than float16: the same attack on the cache key, and it diverges in 2 s of
    # CPU where float16 takes a minute per model.
    "bfloat16_policy": Case("the same Exercise 2 models in bfloat16, retrained before the honest classmate's "
                            "float32 ones: they must not share a result", [BFLOAT16], parts=(2,),
                            earns=full(2, but=("ex2_accuracy",)), reason="when the grader retrained it"),
    # --- faults met while grading
    "retrain_crash": Case("a model the retraining job cannot build", [RETRAIN_CRASH], parts=("3m",),
                          earns=models3(but=("ex3_model", "ex3_accuracy")), reason="retrain"),
}

# Cases that exhaust a limit: graded in a course of their own with tight limits
# (tests/hostile/test_limits.py), where a stopped loop costs seconds, not the corpus' minute.
LIMIT_CASES = {
    "looper": Case("an infinite loop in a cell", ["while True:\n    pass" + RUNS], parts=("r",), earns=R,
                   reason="was interrupted"),
    "stubborn": Case("a loop that ignores interrupts", [STUBBORN + RUNS], parts=("r",), reason="was stopped"),
    "stubborn_unneeded": Case("the same loop in a cell no grade depends on: not run, so the honest grade",
                              [STUBBORN], parts=("r",), earns=R),
    "memory_bomb": Case("allocates 64 GB", ["hog = bytearray(64 * 2**30)" + RUNS], parts=("r",), earns=R),
    # Its kernel may die or be interrupted, depending on when the limit bites: either way it
    # earns nothing, says why, and leaves no process behind.
    "fork_bomb": Case("forks until the process limit", [FORK_BOMB + RUNS], parts=("r",)),
    "output_flood": Case("prints without end (gigabytes)", [FLOOD + RUNS], parts=("r",), earns=R,
                         reason="was interrupted"),
    "stderr_flood": Case("writes 300 MB to the kernel's raw stderr", [STDERR_FLOOD + RUNS], parts=("r",), earns=R),
    "disk_filler": Case("writes a 100 MB file in its scratch folder", [DISK_FILLER], parts=("r",), earns=R),
}
