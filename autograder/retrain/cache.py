"""Content-addressed store of retraining results; writes are atomic, so a crash never
leaves half a result behind."""
import hashlib
import json
import os
import shutil
import tempfile

CACHE_VARIABLE = "AUTOGRADER_CACHE_DIR"


def default_dir():
    return os.environ.get(CACHE_VARIABLE) or os.path.join(
        os.path.expanduser("~"), ".cache", "module07-autograder", "retrain")


def canonical_config(config):
    """The config with every layer and model name replaced by its position, so two students'
    identical models (named dense_3 or dense_17) hash alike."""
    names = {}

    def collect(node):
        if isinstance(node, dict):
            cfg = node.get("config")
            if "class_name" in node and isinstance(cfg, dict) and isinstance(cfg.get("name"), str):
                names.setdefault(cfg["name"], f"n{len(names)}")
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    def rename(node):
        if isinstance(node, dict):
            return {k: rename(v) for k, v in node.items()}
        if isinstance(node, list):
            return [rename(v) for v in node]
        if isinstance(node, str) and node in names:
            return names[node]
        return node

    collect(config)
    return rename(config)


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
        path = self._path(key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            json.dump(result, f)
        os.replace(tmp, path)

    def clear(self):
        """Remove every cached result (and the cut datasets); returns how many results."""
        results = os.path.join(self.root, "results")
        count = sum(len(f) for _, _, f in os.walk(results)) if os.path.isdir(results) else 0
        shutil.rmtree(self.root, ignore_errors=True)
        return count
