"""When a submission was handed in: nbgrader's ``timestamp.txt``, written by nbgrader's
collection or ``autograder collect``, read here as hostile text."""
import os
import stat

from nbgrader.utils import parse_utc

MAX_BYTES = 100


def read_timestamp(folder):
    """(text, problem): the timestamp as nbgrader will read it, or None and why not. A file
    nbgrader cannot parse would make it refuse the student's whole record, so it is left out
    (the submission is graded as on time) and the instructor is told."""
    path = os.path.join(folder, "timestamp.txt")
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None, ""
    except OSError as exc:
        return None, f"cannot be read ({type(exc).__name__})"
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_BYTES:
        return None, "is not a small regular file"
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read().strip()
        parse_utc(text)
    except (OSError, UnicodeDecodeError, ValueError, TypeError, OverflowError):
        return None, "is not a date nbgrader can read"
    return text, ""
