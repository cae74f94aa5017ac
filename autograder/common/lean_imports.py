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
"""
import contextlib
import sys

UNUSED = ("rfc3987_syntax",)
TRAINING_UNUSED = ("sklearn", "pandas", "IPython", "matplotlib", "h5py")
TENSORFLOW_UNUSED = ("jax", "scipy")


def skip_unused():
    """Mark the unused modules absent in this process (one already imported stays)."""
    for name in UNUSED:
        sys.modules.setdefault(name, None)


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
