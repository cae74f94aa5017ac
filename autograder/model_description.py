"""A normalized description of a Keras network, however it was written.

``describe_model`` accepts a built model, its ``to_json()`` string or the parsed dict, and
returns the same description for ``Sequential`` and functional models, for
``Dense(activation="relu")``, ``Dense`` + ``Activation("relu")`` and ``Dense`` + ``ReLU()``,
and for regularizers written as ``l2(...)``, ``L2(...)``, ``L1L2(...)`` or by name.

The description is of what the model computes: a functional model is read from its graph
(the calls from its output back to its input, nested models expanded where they are called,
a shared stateless layer counted at each call, listed layers nothing calls left out), and
TensorFlow's spellings of Keras' activations are read as Keras' names (``normalize_config``,
which the retraining and its cache key use too). The calls are cut into blocks: each Dense
layer opens a block holding the layers up to the next Dense. All blocks but the last are
hidden layers; the last one is the output layer. Working from the JSON config alone means
the grader never runs student code to inspect it.
"""
import json
from dataclasses import asdict, dataclass, field

# Layers that reshape or rescale the input without learning a representation.
PREPROCESSING = {"InputLayer", "Flatten", "Reshape", "Rescaling", "Normalization"}
ACTIVATION_LAYERS = {"ReLU": "relu", "Softmax": "softmax", "LeakyReLU": "leaky_relu",
                     "ELU": "elu", "PReLU": "prelu"}
CONTAINERS = {"Sequential", "Functional", "Model"}


@dataclass
class Op:
    """One normalized operation: dense, activation, batchnorm, dropout, preprocess or other."""
    kind: str
    layer: str                      # the Keras layer name, to point the student at it
    class_name: str
    units: int = None
    activation: str = None
    rate: float = None
    regularizer: dict = None        # {"l1": float, "l2": float} or None
    momentum: float = None
    trainable: bool = True


@dataclass
class Block:
    """A Dense layer and what follows it up to the next Dense."""
    index: int                      # 1-based, as a student counts hidden layers
    dense: Op
    ops: list = field(default_factory=list)

    @property
    def units(self):
        return self.dense.units

    @property
    def regularizer(self):
        return self.dense.regularizer

    def first(self, kind):
        return next((i for i, op in enumerate(self.ops) if op.kind == kind), None)

    @property
    def activation(self):
        i = self.first("activation")
        return None if i is None else self.ops[i].activation

    @property
    def has_batchnorm(self):
        return self.first("batchnorm") is not None

    @property
    def dropout_rates(self):
        return [op.rate for op in self.ops if op.kind == "dropout"]

    @property
    def batchnorm_position(self):
        """'before' or 'after' the activation, 'no activation', or None without BatchNorm."""
        bn, act = self.first("batchnorm"), self.first("activation")
        if bn is None:
            return None
        if act is None:
            return "no activation"
        return "before" if bn < act else "after"

    def layout(self):
        """e.g. 'Dense(256) -> BatchNormalization -> relu -> Dropout(0.3)'."""
        parts = [f"Dense({self.units})"]
        for op in self.ops:
            parts.append({"activation": lambda o: o.activation,
                          "batchnorm": lambda o: "BatchNormalization",
                          "dropout": lambda o: f"Dropout({o.rate:g})"}.get(
                              op.kind, lambda o: o.class_name)(op))
        return " -> ".join(parts)


@dataclass
class ModelDescription:
    input_dim: int
    ops: list
    pre_ops: list                   # operations before the first Dense
    blocks: list
    sequential: bool                # False when the functional graph branches

    @property
    def hidden(self):
        return self.blocks[:-1]

    @property
    def output(self):
        return self.blocks[-1] if self.blocks else None

    def count(self, kind):
        return sum(op.kind == kind for op in self.ops)

    def to_dict(self):
        return {"input_dim": self.input_dim, "sequential": self.sequential,
                "ops": [asdict(op) for op in self.ops]}


class ModelConfigError(ValueError):
    """The config is not a Keras model this module can describe."""


# TensorFlow's own spellings of Keras' activations (tf.nn.softmax is saved as softmax_v2).
TF_ACTIVATIONS = {"softmax_v2": "softmax", "log_softmax_v2": "log_softmax"}


def _activation_name(value):
    if isinstance(value, dict):        # a serialized function: {"config": "relu", ...}
        value = value.get("config", value.get("class_name"))
        if isinstance(value, dict):
            value = value.get("name")
    name = str(value).lower() if value is not None else "linear"
    return TF_ACTIVATIONS.get(name, name)


def json_dicts(value):
    """Every dict inside a JSON value, outermost first (iteratively: a config may be deep). A
    consumer may change a dict's values before the walk goes below it."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            yield node
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def normalize_config(config):
    """The config with TensorFlow's spellings of built-in activations written as Keras' names
    (``tf.nn.softmax``, saved as the function ``softmax_v2``, becomes ``"softmax"``), so the
    structure checks, the retraining's allow-list and the cache key read one spelling. A new
    dict; the argument is not changed."""
    config = json.loads(json.dumps(config))
    for node in json_dicts(config):
        value = node.get("activation")
        if isinstance(value, dict) and value.get("class_name") == "function" \
                and value.get("module") in ("builtins", None) and value.get("config") in TF_ACTIVATIONS:
            node["activation"] = TF_ACTIVATIONS[value["config"]]
    return config


def _regularizer(value):
    if not value:
        return None
    if isinstance(value, str):
        value = {"class_name": value, "config": {}}
    name = str(value.get("class_name", "")).lower()
    cfg = value.get("config") or {}
    defaults = {"l1": (0.01, 0.0), "l2": (0.0, 0.01), "l1l2": (0.0, 0.0),
                "l1_l2": (0.01, 0.01), "orthogonalregularizer": (0.0, 0.0)}
    l1, l2 = defaults.get(name, (0.0, 0.0))
    l1 = float(cfg.get("l1", l1) or 0.0)
    l2 = float(cfg.get("l2", l2) or 0.0)
    if name not in defaults:
        return {"kind": name, "l1": l1, "l2": l2}
    kind = "l1l2" if l1 and l2 else "l1" if l1 else "l2" if l2 else "none"
    return {"kind": kind, "l1": l1, "l2": l2}


def _ops_of(layer):
    cls, cfg = layer.get("class_name"), layer.get("config", {})
    name = cfg.get("name", layer.get("name", cls))
    if cls == "Dense":
        ops = [Op("dense", name, cls, units=cfg.get("units"),
                  regularizer=_regularizer(cfg.get("kernel_regularizer")))]
        act = _activation_name(cfg.get("activation"))
        if act != "linear":
            ops.append(Op("activation", name, cls, activation=act))
        return ops
    if cls == "Activation":
        act = _activation_name(cfg.get("activation"))
        return [] if act == "linear" else [Op("activation", name, cls, activation=act)]
    if cls in ACTIVATION_LAYERS:
        act = ACTIVATION_LAYERS[cls]
        if cls == "ReLU" and (cfg.get("negative_slope") or cfg.get("max_value") is not None
                              or cfg.get("threshold")):
            act = "relu (modified)"
        return [Op("activation", name, cls, activation=act)]
    if cls == "BatchNormalization":
        return [Op("batchnorm", name, cls, momentum=cfg.get("momentum"), trainable=cfg.get("trainable", True) is not False)]
    if cls in ("Dropout", "AlphaDropout", "GaussianDropout", "SpatialDropout1D"):
        return [Op("dropout", name, cls, rate=float(cfg.get("rate", 0.0)))]
    if cls in PREPROCESSING:
        return [Op("preprocess", name, cls)]
    return [Op("other", name, cls)]


def _input_dim(layers):
    for layer in layers:
        cfg = layer.get("config", {})
        shape = cfg.get("batch_shape") or cfg.get("batch_input_shape")
        if shape is None and "build_config" in layer:
            shape = (layer["build_config"] or {}).get("input_shape")
        if shape:
            return shape[-1] if len(shape) == 2 else tuple(shape[1:])
    return None


MAX_CALLS = 10_000          # a hostile graph cannot keep the walk going


def _layer_name(layer):
    cfg = layer.get("config") if isinstance(layer.get("config"), dict) else {}
    return cfg.get("name", layer.get("name"))


def _flatten(config, depth=0):
    """The layers a (possibly nested) model calls, in the order it calls them, and whether its
    computation is a single chain.

    A Sequential model calls its list in order. A functional model is read from its graph,
    not its list: from the output back through the node each tensor came from (a layer called
    twice appears at each call; a listed layer nothing calls is not part of what it computes;
    the list's order does not matter). Nested models are expanded where they are called."""
    if not isinstance(config, dict) or config.get("class_name") not in CONTAINERS:
        cls = config.get("class_name") if isinstance(config, dict) else type(config).__name__
        raise ModelConfigError(f"Expected a Keras model config. Received: class_name={cls!r}")
    if depth > 16:
        raise ModelConfigError("the model nests models more than 16 deep")
    cfg = config.get("config") if isinstance(config.get("config"), dict) else {}
    layers = [layer for layer in cfg.get("layers") or [] if isinstance(layer, dict)]
    functional = config.get("class_name") != "Sequential" and any(layer.get("inbound_nodes") for layer in layers)
    called, chain = (_graph_order(cfg, layers) if functional else (layers, True))
    out = []
    for layer in called:
        if layer.get("class_name") in CONTAINERS:
            inner, inner_chain = _flatten(layer, depth + 1)
            out.extend(inner)
            chain = chain and inner_chain
        else:
            out.append(layer)
    return out, chain


def _endpoints(value):
    """[(layer, node, tensor)] of a config's input_layers/output_layers (one or a list)."""
    if isinstance(value, list) and len(value) >= 2 and isinstance(value[0], str):
        value = [value]
    found = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, list) and len(item) >= 2 and isinstance(item[0], str) and isinstance(item[1], int):
            found.append((item[0], item[1]))
    return found


def _wired_name(layer):
    """The name a functional model's graph calls ``layer`` by: its entry's own ``name``, which is
    what Keras' ``from_config`` wires by. Keras writes the same name inside the layer's config; an
    entry whose two names differ was written by hand, and would be described as one layer while
    another trains, so it is refused."""
    inner = _layer_name(layer)
    name = layer.get("name", inner)
    if not isinstance(name, str):
        raise ModelConfigError(f"a layer entry's name is not text. Received: {type(name).__name__}")
    if "name" in layer and inner != name:
        raise ModelConfigError(f"a layer entry named {str(name)[:60]!r} calls its layer {str(inner)[:60]!r} in its config; "
                               "a model's own to_json() writes one name for both")
    return name


def _graph_order(cfg, layers):
    by_name = {}
    for layer in layers:
        name = _wired_name(layer)
        if name in by_name:
            raise ModelConfigError(f"two layers are named {str(name)[:60]!r}; Keras requires unique layer names")
        by_name[name] = layer
    outputs, inputs = _endpoints(cfg.get("output_layers")), _endpoints(cfg.get("input_layers"))
    if not outputs:
        raise ModelConfigError("the model's config names no output")
    chain = len(outputs) == 1 and len(inputs) <= 1
    path, seen, current = [], set(), outputs[0]
    while current is not None:
        name, node = current
        layer = by_name.get(name)
        if layer is None:
            raise ModelConfigError(f"the model's graph calls a layer {str(name)[:60]!r} that it does not define")
        if current in seen or len(path) > MAX_CALLS:
            raise ModelConfigError("the model's graph has a cycle")
        seen.add(current)
        path.append(layer)
        nodes = layer.get("inbound_nodes") or []
        if layer.get("class_name") == "InputLayer" or not nodes:
            break
        if not (0 <= node < len(nodes)):
            raise ModelConfigError(f"the model's graph calls layer {str(name)[:60]!r} a {node + 1}th time, "
                                   "which its config does not hold")
        sources = _sources(nodes[node])
        if len(sources) != 1:
            chain = False
        current = sources[0] if sources else None
    path.reverse()
    return path, chain


def _sources(node):
    """(layer, node) of every tensor one call reads, from its keras_history (Keras 3's
    {"args", "kwargs"} nodes and the older [[layer, node, tensor, kwargs]] lists)."""
    found, stack = [], [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            config = item.get("config")
            history = config.get("keras_history") if isinstance(config, dict) else None
            if isinstance(history, list) and len(history) >= 2 and isinstance(history[0], str) \
                    and isinstance(history[1], int):
                found.append((history[0], history[1]))
            else:
                stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            if len(item) >= 3 and isinstance(item[0], str) and isinstance(item[1], int) and isinstance(item[2], int):
                found.append((item[0], item[1]))
            else:
                stack.extend(reversed(item))
    return found


def load_config(model_or_config):
    """The model's config as a dict, from a built model, a JSON string or a dict."""
    if isinstance(model_or_config, dict):
        return model_or_config
    if isinstance(model_or_config, (str, bytes)):
        try:
            return json.loads(model_or_config)
        except ValueError as exc:
            raise ModelConfigError(f"The model config is not valid JSON ({exc}).") from exc
    if not hasattr(model_or_config, "to_json"):
        raise ModelConfigError(
            f"Expected a Keras model. Received: {type(model_or_config).__name__}")
    try:
        return json.loads(model_or_config.to_json())
    except Exception as exc:
        raise ModelConfigError(
            f"The model cannot be serialized with to_json() ({type(exc).__name__}: {exc}); "
            "use only built-in Keras layers.") from exc


def describe_model(model_or_config):
    config = normalize_config(load_config(model_or_config))
    layers, chain = _flatten(config)
    ops = [op for layer in layers for op in _ops_of(layer)]
    pre_ops, blocks = [], []
    for op in ops:
        if op.kind == "dense":
            blocks.append(Block(len(blocks) + 1, op))
        elif blocks:
            blocks[-1].ops.append(op)
        elif op.kind != "preprocess":
            pre_ops.append(op)
    return ModelDescription(_input_dim(layers), ops, pre_ops, blocks, chain)
