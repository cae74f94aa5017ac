"""Content-addressed store of retraining results; writes are atomic, so a crash never
leaves half a result behind. A job is trained by one process at a time (``claim``): two batches
on one machine (or two test workers) that need the same model train it once, the second
reading what the first kept."""
import contextlib
import fcntl
import hashlib
import json
import os
import shutil

from ..common.atomic import write_json

CACHE_VARIABLE = "AUTOGRADER_CACHE_DIR"


def default_dir():
    return os.environ.get(CACHE_VARIABLE) or os.path.join(
        os.path.expanduser("~"), ".cache", "module07-autograder", "retrain")


MODEL_CLASSES = ("Sequential", "Functional", "Model")
# Where a functional model refers to its layers by name.
GRAPH_KEYS = ("inbound_nodes", "input_layers", "output_layers")


def canonical_config(config):
    """The config with the model's and its layers' names replaced by their positions (and its
    compiled optimizer's name dropped), so two students' identical models (named dense_3 or
    dense_17, compiled with adam_4 or adam_19) hash alike.

    Only names are renamed: the layer's own ``name`` and the functional graph's references to
    it. Every other string (a dtype policy's "float16", an initializer, an activation) is kept,
    since it changes what training computes."""
    names = {}

    def collect(model):
        cfg = model.get("config") if isinstance(model, dict) else None
        if not isinstance(cfg, dict):
            return
        if isinstance(cfg.get("name"), str):
            names.setdefault(cfg["name"], f"n{len(names)}")
        for layer in cfg.get("layers") or []:
            if not isinstance(layer, dict) or not isinstance(layer.get("config"), dict):
                continue
            if isinstance(layer["config"].get("name"), str):
                names.setdefault(layer["config"]["name"], f"n{len(names)}")
            if layer.get("class_name") in MODEL_CLASSES:
                collect(layer)

    def rename_refs(node):
        if isinstance(node, dict):
            return {k: rename_refs(v) for k, v in node.items()}
        if isinstance(node, list):
            return [rename_refs(v) for v in node]
        return names.get(node, node) if isinstance(node, str) else node

    def rename(node, layer_like):
        if isinstance(node, list):
            return [rename(v, layer_like) for v in node]
        if not isinstance(node, dict):
            return node
        out = {}
        for key, value in node.items():
            if key in GRAPH_KEYS:
                out[key] = rename_refs(value)
            elif key == "config" and layer_like and isinstance(value, dict):
                out[key] = {k: (names.get(v, v) if k == "name" and isinstance(v, str) else
                                rename(v, k == "layers")) for k, v in value.items()}
            else:
                out[key] = rename(value, key == "layers")
        return out

    collect(config)
    out = rename(config, True)
    # The optimizer a model was compiled with is named after how many the kernel made before it
    # (adam_4, adam_19): a name, not a setting.
    optimizer = (out.get("compile_config") or {}).get("optimizer") if isinstance(out, dict) else None
    if isinstance(optimizer, dict) and isinstance(optimizer.get("config"), dict) and "name" in optimizer["config"]:
        optimizer["config"]["name"] = "optimizer"
    return out


def job_key(parts):
    blob = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


class ResultCache:
    def __init__(self, root=None):
        self.root = root or default_dir()
        self.data_dir = os.path.join(self.root, "data")   # the protocols' cut datasets

    def _path(self, key):
        return os.path.join(self.root, "results", key[:2], key + ".json")

    def get(self, key):
        try:
            with open(self._path(key)) as f:
                return json.load(f)
        except (FileNotFoundError, ValueError):
            return None

    def put(self, key, result):
        write_json(self._path(key), result)

    @contextlib.contextmanager
    def claim(self, key):
        """Held while ``key`` is trained here: another process claiming it waits, then finds
        the result in the cache (a lock the kernel drops if this process dies)."""
        path = self._path(key)[:-len(".json")] + ".lock"
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def clear(self):
        """Remove every cached result (and the cut datasets); returns how many results."""
        results = os.path.join(self.root, "results")
        count = sum(name.endswith(".json") for _, _, names in os.walk(results) for name in names)
        shutil.rmtree(self.root, ignore_errors=True)
        return count
