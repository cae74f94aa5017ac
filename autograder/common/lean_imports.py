"""Modules the grader's own processes never need, kept from loading.

nbformat validates notebooks with jsonschema, and jsonschema, when the optional
``rfc3987-syntax`` is installed (jupyter-events asks for it), builds a Lark grammar for IRIs
as it is imported: 2.7 s of CPU at the first ``import nbformat`` of every process on this
project's 2-core machine, for a string format no notebook schema uses. The grader's processes
that read notebooks (the command line, the runner inside each sandbox, nbgrader's commands, the
test suite) go without it: marked absent, jsonschema's optional import of it fails, as it does
where the package is not installed. A student's kernel is left as it is.

The retraining worker rebuilds a model from its config and trains it on arrays: TensorFlow and
Keras import, each behind an ``except ImportError``, what it never uses (scikit-learn for
Keras' wrappers, pandas for data frames, IPython for notebook display, matplotlib for image
galleries, h5py for .h5 files, and, under TensorFlow, JAX and SciPy for TFLite's export and
sparse inputs): 4-5 s of the 10-11 s of CPU that importing Keras costs there on the project's
2-core machine. The worker imports Keras ``without`` them (``TRAINING_UNUSED``,
``TENSORFLOW_UNUSED``); code that asks for one of them later still gets it.

Importing TensorFlow creates millions of objects, and CPython 3.11's cyclic collector, at its
default first threshold (700 allocations), walks the young ones again and again while they are
created: about a fifth of the import's CPU (13 s to 10.5 s on the project's machine with a first
threshold of 10,000). Every process here that imports the big libraries (the command line,
nbgrader's commands, the runner in each sandbox, the retraining workers, and the students'
kernels, see ``sandbox.inside``) collects less often (``GC_THRESHOLDS``): what a program
computes does not depend on when its garbage is collected, only when memory comes back does.
"""
import contextlib
import gc
import sys

UNUSED = ("rfc3987_syntax",)
TRAINING_UNUSED = ("sklearn", "pandas", "IPython", "matplotlib", "h5py")
TENSORFLOW_UNUSED = ("jax", "scipy")


GC_THRESHOLDS = (10000, 10, 10)


def lean_start():
    """How a process of the grader starts: the unused modules marked absent (one already
    imported stays), the collector's first threshold raised."""
    for name in UNUSED:
        sys.modules.setdefault(name, None)
    gc.set_threshold(*GC_THRESHOLDS)


@contextlib.contextmanager
def without(names):
    """Inside: the modules ``names`` (not yet imported) are absent, so optional imports of them
    fail; after: importable again."""
    absent = [name for name in names if name not in sys.modules]
    for name in absent:
        sys.modules[name] = None
    try:
        yield
    finally:
        for name in absent:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]
