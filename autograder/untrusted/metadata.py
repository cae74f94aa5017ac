"""A submitted notebook's structure and metadata, type-checked before any stage reads them.

nbformat parses a notebook but keeps whatever types its JSON holds: a cell's ``nbgrader``
entry that is a string, a ``grade_id`` that is a list, ``points`` that are text, a cell whose
``source`` is a number. Every stage after this one (the observation, the record, nbgrader's
own preprocessors) reads these as the types nbgrader writes, so ``repair`` fixes them in one
place: a malformed ``nbgrader`` entry is dropped, then the release's entry is restored on the
cell it belongs to (the same cell id, else the same source, as nbgrader aligns cells), so
the student is graded on the release's metadata; each repair is a sentence for the record.
Only a notebook with no usable cell list is refused.
"""
import copy

from nbformat import NotebookNode, from_dict

NBGRADER_FIELDS = {"grade_id": str, "grade": bool, "solution": bool, "locked": bool, "task": bool,
                   "points": (int, float), "schema_version": int, "checksum": str, "cell_type": str}
CELL_TYPES = {"code", "markdown", "raw"}
MAX_REPAIRS_SHOWN = 10
MAX_CELLS = 2000               # the module's notebook has about 70
MAX_SOURCE_CHARS = 500_000     # all its cells' text together: the module's is about 57 000
OUTPUT_TYPES = {"stream", "display_data", "execute_result", "error"}


class MetadataUnusable(ValueError):
    """The notebook's structure cannot be graded; the message is for the student."""


def nbgrader(cell):
    """The cell's nbgrader metadata as a dict ({} when absent or malformed)."""
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    entry = meta.get("nbgrader") if isinstance(meta, dict) else None
    return entry if isinstance(entry, dict) else {}


def grade_id(cell):
    value = nbgrader(cell).get("grade_id")
    return value if isinstance(value, str) else None


def _valid(entry):
    if not isinstance(entry, dict):
        return False
    for key, kind in NBGRADER_FIELDS.items():
        value = entry.get(key)
        if value is None:
            continue
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            return False
        if key == "points" and not (0 <= value < 1e6):
            return False
    return True


def _text(value):
    """nbformat's multiline text (a string, or a list of strings), as one string; None otherwise."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "".join(value)
    return None


def _output(out):
    """A saved output in nbformat's shape (its texts joined), or None when it has none: every
    stage after this one (the noise filter, the sanitizer, nbgrader, nbconvert) reads it so."""
    if not isinstance(out, dict) or out.get("output_type") not in OUTPUT_TYPES:
        return None
    kind = out["output_type"]
    if kind == "stream":
        text = _text(out.get("text"))
        if out.get("name") not in ("stdout", "stderr") or text is None:
            return None
        return NotebookNode(output_type=kind, name=out["name"], text=text)
    if kind == "error":
        trace = out.get("traceback")
        if not isinstance(out.get("ename"), str) or not isinstance(out.get("evalue"), str) or \
                not isinstance(trace, list) or not all(isinstance(t, str) for t in trace):
            return None
        return NotebookNode(output_type=kind, ename=out["ename"], evalue=out["evalue"], traceback=list(trace))
    data, metadata = out.get("data"), out.get("metadata", {})
    if not isinstance(data, dict) or not isinstance(metadata, dict):
        return None
    clean = {}
    for mime, value in data.items():
        text = _text(value)
        if not isinstance(mime, str) or (text is None and not (mime.endswith("json") and isinstance(value, (dict, list)))):
            return None
        clean[mime] = value if text is None else text
    node = NotebookNode(output_type=kind, data=from_dict(clean), metadata=from_dict(metadata))
    if kind == "execute_result":
        count = out.get("execution_count")
        node["execution_count"] = count if isinstance(count, int) and not isinstance(count, bool) else None
    return node


def _without_surrogates(nb):
    """Every string of ``nb`` that UTF-8 cannot encode (a lone surrogate, from an escaped
    ``\\udc80`` in its JSON) made encodable, in place; whether any was."""
    changed, stack = False, [nb]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in list(items):
            if isinstance(value, str):
                try:
                    value.encode("utf-8")
                except UnicodeEncodeError:
                    node[key] = value.encode("utf-8", "replace").decode("utf-8")
                    changed = True
            elif isinstance(value, (dict, list)):
                stack.append(value)
    return changed


def _release_entries(release):
    by_id, by_source = {}, {}
    for cell in (release.cells if release is not None else []):
        entry = nbgrader(cell)
        if entry:
            if isinstance(cell.get("id"), str):
                by_id[cell["id"]] = (cell.cell_type, entry)
            by_source.setdefault(cell.get("source"), (cell.cell_type, entry))
    return by_id, by_source


def repair(nb, release=None):
    """Fix ``nb`` in place so every stage can read it as nbgrader's types; returns the
    repairs made, as sentences. MetadataUnusable when there is no cell list to grade."""
    if not isinstance(nb.get("cells"), list):
        raise MetadataUnusable("the notebook has no list of cells; download it again from "
                               "Jupyter with File > Download")
    if len(nb["cells"]) > MAX_CELLS:
        raise MetadataUnusable(f"the notebook has {len(nb['cells'])} cells; notebooks of at most {MAX_CELLS} "
                               "cells are graded")
    repairs = []
    if not isinstance(nb.get("metadata"), dict):
        nb["metadata"] = NotebookNode()
        repairs.append("the notebook's metadata was not a mapping: replaced by an empty one")
    by_id, by_source = _release_entries(release)
    cells = []
    for index, cell in enumerate(nb["cells"], 1):
        if not isinstance(cell, dict) or cell.get("cell_type") not in CELL_TYPES:
            repairs.append(f"cell {index} is not a code, markdown or raw cell: left out")
            continue
        if not isinstance(cell.get("source"), str):
            source = cell.get("source")
            cell["source"] = "".join(s for s in source if isinstance(s, str)) if isinstance(source, list) else ""
            repairs.append(f"cell {index}'s source was not text")
        if not isinstance(cell.get("metadata"), dict):
            cell["metadata"] = NotebookNode()
            repairs.append(f"cell {index}'s metadata was not a mapping: replaced by an empty one")
        if cell.get("id") is not None and not isinstance(cell.get("id"), str):
            del cell["id"]
        if cell.get("cell_type") == "code":
            if not isinstance(cell.get("outputs"), list):
                cell["outputs"] = []
            if cell.get("execution_count") is not None and not isinstance(cell.get("execution_count"), int):
                cell["execution_count"] = None
            outputs = [_output(o) for o in cell["outputs"]]
            if None in outputs:
                repairs.append(f"cell {index}'s saved outputs held {outputs.count(None)} malformed one(s): left out")
            cell["outputs"] = [o for o in outputs if o is not None]
        entry = cell["metadata"].get("nbgrader")
        if entry is not None and not _valid(entry):
            del cell["metadata"]["nbgrader"]
            restored = by_id.get(cell.get("id")) or by_source.get(cell["source"])
            if restored and restored[0] == cell["cell_type"]:
                cell["metadata"]["nbgrader"] = from_dict(copy.deepcopy(restored[1]))
                repairs.append(f"cell {index}'s nbgrader metadata was malformed: the release's "
                               f"({restored[1].get('grade_id')}) restored")
            else:
                repairs.append(f"cell {index}'s nbgrader metadata was malformed: removed")
        cells.append(cell)
    nb["cells"] = cells
    total = sum(len(c["source"]) for c in cells)
    if total > MAX_SOURCE_CHARS:
        raise MetadataUnusable(f"the notebook's cells hold {total} characters; notebooks of at most "
                               f"{MAX_SOURCE_CHARS} are graded (leave pasted data or generated code out)")
    if _without_surrogates(nb):
        repairs.append("the notebook held text that is not valid Unicode (lone surrogates): replaced by '?'")
    if len(repairs) > MAX_REPAIRS_SHOWN:
        repairs = repairs[:MAX_REPAIRS_SHOWN] + [f"and {len(repairs) - MAX_REPAIRS_SHOWN} more repairs"]
    return repairs
