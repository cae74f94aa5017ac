"""When a submission was handed in: nbgrader's ``timestamp.txt``, written by nbgrader's
collection or ``autograder collect``, read here as hostile text."""
from nbgrader.utils import parse_utc

from ..untrusted import files

MAX_BYTES = 100


def read_timestamp(folder):
    """(text, problem): the timestamp as nbgrader will read it, or None and why not. A file
    nbgrader cannot parse would make it refuse the student's whole record, so it is left out
    (the submission is graded as on time) and the instructor is told."""
    try:
        data = files.read_bytes(folder, "timestamp.txt", MAX_BYTES)
    except files.Unreadable as exc:
        if "does not exist" in str(exc):
            return None, ""
        return None, "is not a small regular file"
    except OSError as exc:
        return None, f"cannot be read ({type(exc).__name__})"
    try:
        text = data.decode("utf-8").strip()
        parse_utc(text)
    except (UnicodeDecodeError, ValueError, TypeError, OverflowError):
        return None, "is not a date nbgrader can read"
    return text, ""
