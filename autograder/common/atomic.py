"""One way to write a file: a temporary file beside it, then a rename, so a reader (or a run
after a crash) finds the old content or the new one, never half of it."""
import json
import os
import tempfile


def write_bytes(path, data):
    folder = os.path.dirname(path) or "."
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.basename(path)[-40:])
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def write_text(path, text):
    return write_bytes(path, text.encode("utf-8", "replace"))


def write_json(path, value, indent=None):
    return write_text(path, json.dumps(value, indent=indent))
