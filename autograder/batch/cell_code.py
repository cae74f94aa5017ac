"""One reading of a code cell, shared by the code scan (``suspicious.scan``, on the submitted
notebook) and the cell analysis (``needed.analyze``, on the notebook the grader executes): the
Python IPython runs (its own transformation of magics into calls), then ``ast`` and ``symtable``.

Read once per text: a student's solution cells are the same text in both notebooks, and the
analysis reads each cell twice, so the reading is kept (by text, for the last few hundred cells
of up to ``KEPT_SOURCE`` characters).
Bounded as every byte from a submission must be: a cell longer than ``MAX_SOURCE`` characters or
nested past what the parser handles is ``Unreadable`` with the reason, never an exception of
another kind. The trees are shared: no reader may change one.
"""
import ast
import functools
import symtable
import threading
from dataclasses import dataclass

from IPython.core.inputtransformer2 import TransformerManager

# CPython 3.11 keeps the AST constructor's recursion state per interpreter, not per thread:
# two pool threads parsing at once can fail each other with SystemError. One parse at a time.
PARSE_LOCK = threading.RLock()
MAX_SOURCE = 200_000        # characters per cell: longer is not read (nor analysed: runs in full)


class Unreadable(Exception):
    """A cell the grader cannot read: ``kind`` "long", "ipython" (IPython cannot turn it into
    Python: the kernel cannot run it either) or "deep" (nested past what the parser handles)."""

    def __init__(self, kind, why, cause=""):
        super().__init__(why)
        self.kind, self.cause = kind, cause


@dataclass(frozen=True, eq=False)
class CellCode:
    """``python``: what the kernel runs; ``tree``/``table``: None when that is not valid Python
    (the cell fails when it runs, binding nothing)."""
    python: str
    tree: ast.Module | None
    table: symtable.SymbolTable | None


def python_source(source):
    """The cell as the Python IPython runs (magics turned into calls), or Unreadable."""
    if len(source) > MAX_SOURCE:
        raise Unreadable("long", f"a cell of {len(source)} characters is longer than the grader reads")
    try:
        return TransformerManager().transform_cell(source)
    except Exception as exc:
        raise Unreadable("ipython", f"IPython cannot read a cell ({type(exc).__name__})") from None


def parse(code):
    """(tree, symbol table) of Python ``code``, (None, None) when it is not valid Python."""
    with PARSE_LOCK:
        try:
            return ast.parse(code), symtable.symtable(code, "<cell>", "exec")
        except (SyntaxError, ValueError):       # ValueError: a null byte
            return None, None
        except (RecursionError, MemoryError, SystemError) as exc:
            raise Unreadable("deep", f"a cell is nested too deeply to read ({type(exc).__name__})",
                             type(exc).__name__) from None


KEPT_SOURCE = 20_000        # characters: longer cells are read again rather than kept (a class
                            # of crafted notebooks must not fill the grader's memory with trees)


def read(source):
    """The ``CellCode`` of a cell's text, or Unreadable."""
    return _kept(source) if len(source) <= KEPT_SOURCE else _read(source)


def _read(source):
    python = python_source(source)
    return CellCode(python, *parse(python))


_kept = functools.lru_cache(maxsize=512)(_read)
