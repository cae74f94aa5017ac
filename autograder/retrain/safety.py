"""What the grader refuses to rebuild, with a message for the student.

Deserialization runs in Keras' safe mode; these checks come first so the student reads why,
not a Keras stack trace, and so a model too large to build is refused before it is built.
"""
MAX_PARAMETERS = 20_000_000
INPUT_DIMS = {"fashion_mnist": 784, "cifar10": 3072}     # flat images, as the protocols feed them


class RetrainRefused(ValueError):
    """The config cannot be retrained as it is; the message says what to change."""


def _walk_layers(config):
    for layer in config.get("config", {}).get("layers", []) or []:
        yield layer
        if layer.get("class_name") in ("Sequential", "Functional", "Model"):
            yield from _walk_layers(layer)


def check_config(config, input_dim=None):
    """Raise RetrainRefused for Lambda layers, custom classes and oversized Dense layers.

    ``input_dim``: what the protocol feeds a model whose config states no input shape (it is
    built on the first batch, so its first Dense layer is sized by the data)."""
    if config.get("class_name") not in ("Sequential", "Functional", "Model"):
        raise RetrainRefused(f"Expected a Keras model config. Received: class_name={config.get('class_name')!r}")
    for layer in _walk_layers(config):
        cls = layer.get("class_name")
        module = str(layer.get("module") or "")
        name = layer.get("config", {}).get("name", cls)
        if cls == "Lambda":
            raise RetrainRefused(f"layer '{name}' is a Lambda layer: the grader cannot rebuild code "
                                 "from a config; use built-in Keras layers only")
        if layer.get("registered_name") or (module and not module.startswith("keras")):
            raise RetrainRefused(f"layer '{name}' is a custom class ({layer.get('registered_name') or cls}): "
                                 "the grader rebuilds models from built-in Keras layers only")
    from ..model_description import describe_model
    desc = describe_model(config)
    width = desc.input_dim if isinstance(desc.input_dim, int) else (input_dim or 0)
    total = 0
    for block in desc.blocks:
        units = int(block.units or 0)
        total += (width + 1) * units
        width = units
    if total > MAX_PARAMETERS:
        raise RetrainRefused(f"the model has about {total:,} parameters; the grader retrains models "
                             f"of at most {MAX_PARAMETERS:,}")
    return total
