"""The student's notebook namespace, as the checks see it.

Each builder is called once per grading; the model it returned is cached, so every check
(and, later, the retraining) judges the very same model. What is cached remembers the
student's objects it was computed from (each function's identity, code and defaults, and the
notebook names its code refers to), so a student who fixes a function and runs the check
again is judged on the new one, without restarting the kernel.
"""
import time
import types

from ..args import args_key
from ..assignment import current
from ..model_description import ModelConfigError, describe_model


_MISSING = object()


def _fingerprint(value):
    """What identifies a student's object: itself (kept, so its id cannot be reused), and for a
    function its code and defaults (which can be replaced in place); for a small container its
    contents (which can be changed in place)."""
    try:
        function = getattr(value, "__func__", value)
    except Exception:           # a student's object may raise from __getattr__
        return (value,)
    if isinstance(function, types.FunctionType):
        return (value, function.__code__, function.__defaults__, function.__kwdefaults__)
    if type(value) in (list, tuple, dict, set) and len(value) <= 1000:
        try:
            return (value, repr(value)[:20000])
        except Exception:
            return (value,)
    return (value,)


def _same(a, b):
    return len(a) == len(b) and all(x is y or (isinstance(x, str) and x == y) for x, y in zip(a, b))


def _global_names(value):
    """The global names a function's code (and the code nested in it) refers to."""
    try:
        function = getattr(value, "__func__", value)
    except Exception:
        return ()
    if not isinstance(function, types.FunctionType):
        return ()
    names, codes = set(), [function.__code__]
    while codes:
        code = codes.pop()
        names.update(code.co_names)
        codes += [c for c in code.co_consts if isinstance(c, types.CodeType)]
    return names


class Problem(Exception):
    """A finding that fails the check; its text is shown to the student."""


class GraderFault(Problem):
    """The grading machine failed (not the student): the grade must not be recorded yet."""


class Subject:
    def __init__(self, namespace):
        self.namespace = namespace
        self._built = {}
        self._memo = {}             # key -> (value, Problem or None, {name: fingerprint})
        self._reading = []          # names read by each memoized computation under way
        self.faults = []            # GraderFault messages met while judging
        self.calls = []             # (name, phase, seconds, exception or None), for reports

    def value(self, name):
        if self._reading:
            self._reading[-1].add(name)
        if name not in self.namespace:
            raise Problem(f"`{name}` is not defined: define it in the exercise's solution cell "
                          "and check that the cell runs without errors")
        return self.namespace[name]

    def function(self, name):
        value = self.value(name)
        if not callable(value):
            raise Problem(f"`{name}` must be a function. Received: {type(value).__name__}")
        return value

    def call(self, name, *args, **kwargs):
        """Call a student function; its exceptions become a Problem naming the function."""
        function = self.function(name)
        start = time.perf_counter()
        try:
            result = function(*args, **kwargs)
        except Exception as exc:
            self.calls.append((name, "call", time.perf_counter() - start, repr(exc)))
            raise Problem(f"`{name}()` raised {type(exc).__name__}: {exc}") from exc
        self.calls.append((name, "call", time.perf_counter() - start, None))
        return result

    def memo(self, key, compute):
        """Compute once per grading (e.g. one sweep run shared by two checks), and again when
        a notebook name the computation read has changed since."""
        entry = self._memo.get(key)
        if entry is None or self._changed(entry[2]):
            names = set()
            self._reading.append(names)
            try:
                try:
                    value, problem = compute(), None
                except Problem as found:
                    value, problem = None, found
            finally:
                self._reading.pop()
            entry = self._memo[key] = (value, problem, self._fingerprints(names))
        if self._reading:           # whoever asked depends on what this read
            self._reading[-1].update(entry[2])
        if entry[1] is not None:
            raise entry[1]
        return entry[0]

    def cached(self, key):
        """The memoized value under ``key`` (None when absent or a Problem), for reports."""
        entry = self._memo.get(key)
        return entry[0] if entry else None

    def _fingerprints(self, names):
        """{name: fingerprint} of ``names`` and of the notebook names their code refers to."""
        out, todo = {}, list(names)
        while todo:
            name = todo.pop()
            if name in out:
                continue
            value = self.namespace.get(name, _MISSING)
            out[name] = _fingerprint(value)
            todo += [n for n in _global_names(value) if n in self.namespace and n not in out]
        return out

    def _changed(self, fingerprints):
        return any(not _same(print_, _fingerprint(self.namespace.get(name, _MISSING)))
                   for name, print_ in fingerprints.items())

    def builder_args(self, builder):
        """The arguments the grader builds ``builder``'s model with, as the assignment declares
        them (Module 07: ``create_dropout_model`` at the rate the notebook's sweep found best)."""
        try:
            model = current().model(builder)
        except KeyError:
            return ()
        return model.builder_args(self)

    def label(self, builder):
        try:
            return f"{builder}({args_key(self.builder_args(builder))})"
        except Problem:
            return f"{builder}()"

    def built(self, builder):
        """The model returned by ``builder()``, built once."""
        def build():
            args = self.builder_args(builder)
            model = self.call(builder, *args)
            if model is None:
                raise Problem(f"`{builder}()` returned None; it must return a Keras model "
                              "(is `return model` missing?)")
            import keras
            if not isinstance(model, keras.Model):
                raise Problem(f"`{builder}()` must return a Keras model. "
                              f"Received: {type(model).__name__}")
            return model
        return self.memo(("built", builder), build)

    def description(self, builder):
        def describe():
            try:
                return describe_model(self._describable(builder))
            except ModelConfigError as exc:
                raise Problem(f"`{builder}()`: {exc}") from exc
        return self.memo(("description", builder), describe)

    def _describable(self, builder):
        return self.built(builder)

    def model_config(self, builder):
        """The Keras JSON config of the model ``builder()`` returned."""
        model = self.built(builder)
        try:
            return model.to_json()
        except Exception as exc:
            raise Problem(f"`{builder}()`: the model cannot be serialized ({exc}); use built-in "
                          "Keras layers only") from exc

    def optimizer_config(self, builder):
        """The optimizer the student compiled the model with, as a Keras config, or None."""
        model = self.built(builder)
        if not getattr(model, "compiled", False):
            return None
        try:
            config = model.get_compile_config() or {}
        except Exception:
            return None
        optimizer = config.get("optimizer")
        return optimizer if isinstance(optimizer, dict) else None


class ExtractedSubject(Subject):
    """The models of a notebook as the batch grader extracted them: configs, no live objects.

    ``models``: {builder: {"config": json text, "optimizer": dict or None} or {"problem": text}}.
    Only ``from_model`` checks can run against it.
    """

    # How the accuracy checks get a retraining result: ``retrain.retrain`` (trains, or reads its
    # cache) unless the batch hands in its retrain stage's outcomes (``batch.judge``), so judging
    # never trains.
    retrain = None

    def __init__(self, models):
        super().__init__({})
        self.models = models if isinstance(models, dict) else {}

    def _entry(self, builder):
        entry = self.models.get(builder)
        if not isinstance(entry, dict):
            raise Problem(f"`{builder}()` could not be examined: the notebook stopped before "
                          "the grader could build its model")
        if "problem" in entry:
            raise Problem(str(entry["problem"])[:2000])
        if not isinstance(entry.get("config"), str):
            raise Problem(f"`{builder}()`: no model config was extracted")
        return entry

    def built(self, builder):
        raise Problem(f"`{builder}()`: live models are not available outside the notebook")

    def _describable(self, builder):
        import json
        try:
            return json.loads(self._entry(builder)["config"])
        except ValueError as exc:
            raise Problem(f"`{builder}()`: the extracted model config is not valid JSON") from exc

    def builder_args(self, builder):
        args = self._entry(builder).get("args") or []
        return tuple(args) if isinstance(args, list) else ()

    def model_config(self, builder):
        return self._entry(builder)["config"]

    def optimizer_config(self, builder):
        optimizer = self._entry(builder).get("optimizer")
        return optimizer if isinstance(optimizer, dict) else None

