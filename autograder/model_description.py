"""A normalized description of a Keras network, however it was written.

``describe_model`` accepts a built model, its ``to_json()`` string or the parsed dict, and
returns the same description for ``Sequential`` and functional models, for
``Dense(activation="relu")``, ``Dense`` + ``Activation("relu")`` and ``Dense`` + ``ReLU()``,
and for regularizers written as ``l2(...)``, ``L2(...)``, ``L1L2(...)`` or by name.

The network is cut into blocks: each Dense layer opens a block holding the layers up to the
next Dense.  All blocks but the last are hidden layers; the last one is the output layer.
Working from the JSON config alone means the grader never runs student code to inspect it.
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


def _activation_name(value):
    if isinstance(value, dict):        # a serialized function: {"config": "relu", ...}
        value = value.get("config", value.get("class_name"))
        if isinstance(value, dict):
            value = value.get("name")
    return str(value).lower() if value is not None else "linear"


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


def _flatten(config):
    """Layers of a (possibly nested) model in execution order; and whether it is a chain."""
    cls = config.get("class_name")
    if cls not in CONTAINERS:
        raise ModelConfigError(f"Expected a Keras model config. Received: class_name={cls!r}")
    layers, chain = [], True
    outputs = config.get("config", {}).get("output_layers")
    if isinstance(outputs, list) and outputs and isinstance(outputs[0], list) and len(outputs) > 1:
        chain = False                   # a second output
    used = {}
    for layer in config.get("config", {}).get("layers", []):
        for name in _inbound_names(layer.get("inbound_nodes") or []):
            used[name] = used.get(name, 0) + 1
    if any(count > 1 for count in used.values()):
        chain = False                   # one layer's output feeds two: a branch
    for layer in config.get("config", {}).get("layers", []):
        if layer.get("class_name") in CONTAINERS:
            inner, inner_chain = _flatten(layer)
            layers.extend(inner)
            chain = chain and inner_chain
            continue
        nodes = layer.get("inbound_nodes") or []
        if nodes:
            args = nodes[0].get("args", []) if isinstance(nodes[0], dict) else nodes[0]
            if len(nodes) > 1 or len(args) > 1 or (args and isinstance(args[0], list)):
                chain = False
        layers.append(layer)
    return layers, chain


def _inbound_names(nodes):
    """Names of the layers a functional layer's inbound nodes read from."""
    names, stack = [], [nodes]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            history = node.get("config", {}).get("keras_history") if isinstance(node.get("config"), dict) else None
            if isinstance(history, list) and history and isinstance(history[0], str):
                names.append(history[0])
            else:
                stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return names


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
    config = load_config(model_or_config)
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
