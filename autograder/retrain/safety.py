"""What the grader agrees to rebuild and train, with a message for the student.

A model config comes from a student's kernel, so it is read as hostile: every object it
names (layers, initializers, regularizers, constraints, dtype policies, the optimizer and its
learning-rate schedule) must be on an allow-list of the built-in Keras classes the exercises
need, whatever the installed Keras would deserialize; the only input shape is the one the
protocol feeds; and its size is bounded in parameters and in multiply-adds per sample before
anything is built. Deserialization then runs in Keras' safe mode as well.
"""
import json

from ..model_description import json_dicts

MAX_PARAMETERS = 20_000_000
MAX_FLOPS_PER_SAMPLE = 2 * MAX_PARAMETERS       # an MLP's forward pass: 2 per weight
MAX_DEPTH = 64
# The optimizer's learning rates the grader retrains with (a schedule's initial rate and values):
# a model must learn within the budget from the grader's own initial weights.
LEARNING_RATES = (1e-5, 1.0)
MAX_LAYERS = 200
INPUT_DIMS = {"fashion_mnist": 784, "cifar10": 3072}     # flat images, as the protocols feed them

MODELS = {"Sequential", "Functional", "Model"}
LAYERS = {"InputLayer", "Dense", "Dropout", "BatchNormalization", "Activation", "ReLU", "Softmax",
          "LeakyReLU", "ELU", "PReLU", "Flatten", "GaussianNoise", "GaussianDropout", "AlphaDropout",
          "LayerNormalization", "ActivityRegularization", "Rescaling", "Normalization"}
# Objects a layer's or the optimizer's config may hold, by the module Keras names for them.
NESTED = {
    "keras.initializers": {"GlorotUniform", "GlorotNormal", "HeNormal", "HeUniform", "LecunNormal",
                           "LecunUniform", "RandomNormal", "RandomUniform", "TruncatedNormal", "Zeros",
                           "Ones", "Constant", "Orthogonal", "VarianceScaling", "Identity"},
    "keras.regularizers": {"L1", "L2", "L1L2", "OrthogonalRegularizer"},
    "keras.constraints": {"MaxNorm", "NonNeg", "UnitNorm", "MinMaxNorm"},
    "keras": {"DTypePolicy", "FloatDTypePolicy"},
    "keras.optimizers": {"Adam", "AdamW", "SGD", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam",
                         "Lion", "Ftrl"},
    "keras.optimizers.schedules": {"ExponentialDecay", "CosineDecay", "CosineDecayRestarts",
                                   "PiecewiseConstantDecay", "PolynomialDecay", "InverseTimeDecay"},
}
# The functional graph's placeholders for tensors (not classes).
PLACEHOLDERS = {"__keras_tensor__", "__tuple__", "__numpy__"}


class RetrainRefused(ValueError):
    """The config cannot be retrained as it is; the message says what to change."""


def _objects(config):
    """Every dict naming a class in ``config`` (iteratively; depth bounded by the caller)."""
    stack = [config]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "class_name" in node:
                yield node
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def json_depth(value):
    """Nesting depth of a JSON value, without recursion (a hostile value may be deep)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((child, level + 1) for child in children)
    return deepest


def _walk_layers(config):
    for layer in config.get("config", {}).get("layers", []) or []:
        if isinstance(layer, dict):
            yield layer
            if layer.get("class_name") in MODELS:
                yield from _walk_layers(layer)


def check_objects(config, what="model"):
    """RetrainRefused unless every object ``config`` names is on the allow-list."""
    if json_depth(config) > MAX_DEPTH:
        raise RetrainRefused(f"the {what}'s config is nested more deeply than {MAX_DEPTH} levels")
    for node in _objects(config):
        cls, module = node.get("class_name"), node.get("module")
        if cls in PLACEHOLDERS:
            continue
        cfg = node.get("config") if isinstance(node.get("config"), dict) else {}
        name = cfg.get("name", cls)
        if cls == "Lambda":
            raise RetrainRefused(f"layer '{name}' is a Lambda layer: the grader cannot rebuild code "
                                 "from a config; use built-in Keras layers only")
        if node.get("registered_name") not in (None, cls) or (module and not str(module).startswith("keras")):
            raise RetrainRefused(f"layer '{name}' is a custom class ({node.get('registered_name') or cls}): "
                                 "the grader rebuilds models from built-in Keras layers only")
        if cls in MODELS or cls in LAYERS:
            if module not in (None, "keras", "keras.layers", "keras.models", "keras.src.models.functional",
                              "keras.src.models.sequential"):
                raise RetrainRefused(f"'{name}' names {cls} from {module!r}, not from Keras' layers")
            continue
        if cls in NESTED.get(module, ()):
            if module == "keras.initializers":
                _check_initializer(cls, cfg, node)
            continue
        if not str(module or "").startswith("keras"):
            raise RetrainRefused(f"'{name}' is a custom class ({cls}): the grader rebuilds models from "
                                 "built-in Keras layers only")
        raise RetrainRefused(f"the {what} uses {cls!r} ({module or 'no module'}), which the grader does not "
                             f"rebuild: the exercises need {', '.join(sorted(LAYERS - {'InputLayer'}))} "
                             "layers and Keras' built-in initializers, regularizers and optimizers")


def _check_initializer(cls, cfg, node):
    """An initializer keeps its kind but never carries values: a Constant of more than one
    number, or any argument holding an array, could hand the retraining trained weights."""
    value = cfg.get("value")
    carries = any(isinstance(v, (list, dict)) for v in cfg.values()) or \
        (cls == "Constant" and not (isinstance(value, (int, float)) and not isinstance(value, bool)))
    if carries:
        raise RetrainRefused(f"an initializer ({cls}) carries values (e.g. weights from a trained model); the "
                             "grader retrains from fresh weights: use Keras' initializers by name "
                             "(glorot_uniform, he_normal, zeros, ...) or a Constant of one number")


def _input_shapes(config):
    """(where, shape, outermost) of every input shape the config declares; ``outermost``: the
    model's own input (its build config, or an input layer of its own list), which is what
    the protocol feeds. A nested model's input is fed by the layer before it."""
    build = config.get("build_config")
    if isinstance(build, dict) and build.get("input_shape") is not None:
        yield "the model", build["input_shape"], True
    top = [layer for layer in config.get("config", {}).get("layers", []) or [] if isinstance(layer, dict)]
    for layer in _walk_layers(config):
        lcfg = layer.get("config") if isinstance(layer.get("config"), dict) else {}
        name = lcfg.get("name", layer.get("class_name"))
        for key in ("batch_shape", "batch_input_shape"):
            if key in lcfg:
                yield f"layer '{name}'", lcfg[key], any(layer is t for t in top)
        lbuild = layer.get("build_config")
        if isinstance(lbuild, dict) and lbuild.get("input_shape") is not None:
            yield f"layer '{name}' (its build_config)", lbuild["input_shape"], False


def _dims(shape):
    if not isinstance(shape, list) or not shape or any(d is not None and (not isinstance(d, int) or d < 0) for d in shape):
        return None
    return shape[1:]


def check_config(config, input_dim=None):
    """Raise RetrainRefused for what the grader will not build; returns the parameter count.

    ``input_dim``: what the protocol feeds (flat images). A config that states another input
    shape is refused; one that states none is counted as if fed ``input_dim``."""
    if not isinstance(config, dict) or config.get("class_name") not in MODELS:
        got = config.get("class_name") if isinstance(config, dict) else type(config).__name__
        raise RetrainRefused(f"Expected a Keras model config. Received: class_name={got!r}")
    check_objects(config)
    layers = list(_walk_layers(config))
    if len(layers) > MAX_LAYERS:
        raise RetrainRefused(f"the model has {len(layers)} layers; the grader retrains models of at most {MAX_LAYERS}")
    from ..model_description import describe_model
    desc = describe_model(config)
    widths = [int(b.units or 0) for b in desc.blocks]
    if input_dim:
        widest = max([input_dim] + widths)
        for where, shape, outermost in _input_shapes(config):
            dims = _dims(shape)
            if dims is None:
                raise RetrainRefused(f"{where} declares the input shape {str(shape)[:80]}, which is not a shape")
            size = 1
            for d in dims:
                size *= d or 1
            if outermost and dims != [input_dim]:
                raise RetrainRefused(f"{where} declares the input shape {tuple(dims)}; the grader feeds "
                                     f"flat images of shape ({input_dim},), as the exercise does")
            if size > widest:
                raise RetrainRefused(f"{where} declares an input of {size:,} values; the model's "
                                     f"widest input is {widest:,}")
    width = desc.input_dim if isinstance(desc.input_dim, int) else (input_dim or 0)
    total = flops = 0
    for units in widths:
        total += (width + 1) * units
        flops += 2 * width * units
        width = units
    if total > MAX_PARAMETERS:
        raise RetrainRefused(f"the model has about {total:,} parameters; the grader retrains models "
                             f"of at most {MAX_PARAMETERS:,}")
    if flops > MAX_FLOPS_PER_SAMPLE:
        raise RetrainRefused(f"the model needs about {flops:,} operations per image; the grader retrains "
                             f"models of at most {MAX_FLOPS_PER_SAMPLE:,}")
    return total


def check_optimizer(config):
    """RetrainRefused unless the optimizer config is a built-in optimizer (and schedule)."""
    if config is None:
        return
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise RetrainRefused("the optimizer's config is not a Keras optimizer config")
    check_objects(config, what="optimizer")
    low, high = LEARNING_RATES
    for rate in _learning_rates(config):
        if not low * (1 - 1e-6) <= rate <= high * (1 + 1e-6):     # Keras keeps rates in float32
            raise RetrainRefused(f"Expected a learning rate between {low:g} and {high:g}, so the model "
                                 f"learns within the grader's budget. Received: {rate:g} (try 1e-3)")


def _learning_rates(config):
    """The optimizer's learning rates: a number, or a schedule's initial rate and values."""
    out = []
    for node in json_dicts(config):
        for key in ("learning_rate", "initial_learning_rate"):
            if isinstance(node.get(key), (int, float)) and not isinstance(node[key], bool):
                out.append(float(node[key]))
        if isinstance(node.get("values"), list):
            out += [float(v) for v in node["values"] if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return out


def grader_seeded(config):
    """The config with every ``seed`` a layer or an initializer carries set to None: the
    grader's seed (``seeding.set_seed``, one per job) then draws every initial weight and
    dropout mask, so a student cannot pick the seed that happens to train well, and two models
    differing only in their seeds are one job. A new dict."""
    config = json.loads(json.dumps(config))
    for node in json_dicts(config):
        if "seed" in node:
            node["seed"] = None
    return config
