"""The student's notebook namespace, as the checks see it.

Each builder is called once per grading; the model it returned is cached, so every check
(and, later, the retraining) judges the very same model.
"""
import time

from ..model_description import ModelConfigError, describe_model
from ..retrain.thresholds import args_key


class Problem(Exception):
    """A finding that fails the check; its text is shown to the student."""


class GraderFault(Problem):
    """The grading machine failed (not the student): the grade must not be recorded yet."""


class Subject:
    def __init__(self, namespace):
        self.namespace = namespace
        self._built = {}
        self._memo = {}
        self.faults = []            # GraderFault messages met while judging
        self.calls = []             # (name, phase, seconds, exception or None), for reports

    def value(self, name):
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
        """Compute once per grading (e.g. one sweep run shared by two checks)."""
        if key not in self._memo:
            try:
                self._memo[key] = (compute(), None)
            except Problem as problem:
                self._memo[key] = (None, problem)
        value, problem = self._memo[key]
        if problem is not None:
            raise problem
        return value

    def builder_args(self, builder):
        """The arguments the grader builds ``builder``'s model with: the module's
        ``create_dropout_model`` at the rate the notebook's sweep found best, others none."""
        if builder == "create_dropout_model":
            from .exercise1 import picked_rate
            return self.memo("picked_rate", lambda: (picked_rate(self),))
        return ()

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

