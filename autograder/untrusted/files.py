"""One way to read what a submission ships, in trusted code (which runs as root).

Every path is opened below a trusted folder one component at a time, never following a link
(``O_NOFOLLOW`` at each step, relative to the folder already opened), so neither the notebook
nor a folder above it can point the grader at a host file, and a link swapped in between two
steps is refused, not followed. Only regular files and folders are read (a FIFO, a socket or
a device is never opened for reading: ``O_NONBLOCK``, then ``fstat`` before the first byte).
Names are taken as the bytes they are: a name that is not UTF-8 is left behind, shown with
``ascii()``. Walks are iterative with a depth bound, and everything is bounded: each file by
its apparent size (a sparse file counts at its full length), the number of files, the total
bytes, the entries scanned and the notices kept. A refusal is an ``Unreadable`` (one file)
or a ``Left`` entry (a walk) with its reason, written for the student; no file content ever
goes into a reason.

Imports nothing of the grader: the sandbox, the batch, collect and the report all use it.
"""
import errno
import hashlib
import os
import stat
from dataclasses import dataclass

MAX_DEPTH = 16
MAX_FILES = 2000
MAX_FILE_BYTES = 64 * 2**20
MAX_TOTAL_BYTES = 256 * 2**20
MAX_SCANNED = 20_000            # entries looked at, kept or not: a folder of a million names ends here
MAX_NOTICES = 50
MAX_PATH_BYTES = 1024           # a path below the root; the scratch copy's full paths stay far below PATH_MAX
CHUNK = 1 << 20

# Errors of the grading machine, not of what the submission holds: out of descriptors, memory or
# disk, a failing disk. They propagate as OSError (the grader's fault, retried on the next run),
# never become a reason that leaves a file behind or makes a notebook "unreadable".
MACHINE_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOMEM, errno.ENOSPC, errno.EIO})
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


class Unreadable(ValueError):
    """A file the grader will not read; the message says why, for the student."""


def printable(name):
    """A name as it may be shown: itself when it is UTF-8 without control characters, else
    its ``ascii()`` form."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return ascii(name)
    return name if name.isprintable() else ascii(name)


def _utf8(name):
    try:
        name.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def _kind(mode):
    if stat.S_ISLNK(mode):
        return "is a symbolic link"
    if stat.S_ISDIR(mode) or stat.S_ISREG(mode):
        return ""
    return "is not a regular file or folder"


def _parts(rel):
    parts = [p for p in str(rel).split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise Unreadable(f"`{printable(rel)}` leads out of its folder")
    return parts


def open_dir(base, rel=""):
    """A descriptor of the folder ``rel`` below the trusted folder ``base`` (``base`` itself is
    the grader's and may be reached through links; nothing below it is followed)."""
    fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for part in _parts(rel):
            try:
                inner = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                raise Unreadable(f"`{printable(part)}` does not exist") from None
            except OSError as exc:
                if exc.errno in MACHINE_ERRNOS:
                    raise
                info = _lstat(part, fd)
                why = _kind(info.st_mode) if info else "cannot be opened"
                raise Unreadable(f"`{printable(part)}` {why or 'is not a folder'}") from None
            os.close(fd)
            fd = inner
    except BaseException:
        os.close(fd)
        raise
    return fd


def _lstat(name, dir_fd):
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except OSError:
        return None


def open_file(base, rel, max_bytes=MAX_FILE_BYTES):
    """(descriptor, size) of the regular file ``rel`` below ``base``, or Unreadable."""
    parts = _parts(rel)
    if not parts:
        raise Unreadable("no file was named")
    shown = printable("/".join(parts))
    folder = open_dir(base, "/".join(parts[:-1]))
    try:
        try:
            fd = os.open(parts[-1], _FILE_FLAGS, dir_fd=folder)
        except FileNotFoundError:
            raise Unreadable(f"`{shown}` does not exist") from None
        except OSError as exc:
            if exc.errno in MACHINE_ERRNOS:
                raise
            info = _lstat(parts[-1], folder)
            why = _kind(info.st_mode) if info else ""
            raise Unreadable(f"`{shown}` {why or 'cannot be opened'}") from None
    finally:
        os.close(folder)
    info = os.fstat(fd)
    why = "is a folder" if stat.S_ISDIR(info.st_mode) else _kind(info.st_mode)
    if not why and info.st_size > max_bytes:
        why = f"is {info.st_size / 2**20:.1f} MB; at most {max_bytes / 2**20:.0f} MB are read"
    if why:
        os.close(fd)
        raise Unreadable(f"`{shown}` {why}")
    return fd, info.st_size


def chunks(fd, limit):
    """The file's bytes in chunks, at most ``limit`` of them (a file that grows while read is
    cut at its size when opened), closing ``fd`` at the end."""
    try:
        left = limit
        while left > 0:
            chunk = os.read(fd, min(CHUNK, left))
            if not chunk:
                break
            left -= len(chunk)
            yield chunk
    finally:
        os.close(fd)


def read_bytes(base, rel, max_bytes=MAX_FILE_BYTES):
    """The bytes of the regular file ``rel`` below ``base``, or Unreadable."""
    fd, size = open_file(base, rel, max_bytes)
    return b"".join(chunks(fd, size))


def read_path(path, max_bytes=MAX_FILE_BYTES, base=None):
    """``read_bytes`` for a full path: below ``base`` when given (nothing below it followed),
    else below the path's own folder."""
    path = os.path.abspath(path)
    if base:
        base = os.path.abspath(base)
        if path.startswith(base.rstrip("/") + "/"):
            return read_bytes(base, os.path.relpath(path, base), max_bytes)
    return read_bytes(os.path.dirname(path), os.path.basename(path), max_bytes)


@dataclass(frozen=True)
class Entry:
    """A folder or regular file found by ``walk``: its path below the root ('/'-joined)."""
    rel: str
    is_dir: bool
    size: int = 0

    @property
    def top_level(self):
        return "/" not in self.rel


@dataclass(frozen=True)
class Left:
    """What ``walk`` did not take, and why (``rel`` printable)."""
    rel: str
    why: str


@dataclass(frozen=True)
class Listing:
    entries: tuple
    left: tuple
    omitted: int = 0            # notices beyond MAX_NOTICES, counted only

    @property
    def files(self):
        return [e for e in self.entries if not e.is_dir]

    def notices(self):
        """The reasons, one line each, the omitted ones summed up in a last line."""
        lines = [f"`{left.rel}` {left.why}" for left in self.left]
        if self.omitted:
            lines.append(f"and {self.omitted} more entries left behind")
        return lines


def walk(root, policy=None, *, max_depth=MAX_DEPTH, max_files=MAX_FILES, max_file_bytes=MAX_FILE_BYTES,
         max_total_bytes=MAX_TOTAL_BYTES, max_scanned=MAX_SCANNED, base=None):
    """Every folder and regular file below ``root``, sorted, with what was left behind.

    ``policy(rel, is_dir)`` may return a reason to leave an entry (a folder: with all it
    holds), None to leave it without a word, or '' to take it. ``root`` is opened relative to
    ``base`` when given (nothing below ``base`` followed), else as it is."""
    entries, left, omitted, total, scanned, files = [], [], 0, 0, 0, 0

    def leave(rel, why):
        nonlocal omitted
        if why is None:
            return
        if len(left) < MAX_NOTICES:
            left.append(Left(printable(rel), why))
        else:
            omitted += 1

    try:
        if base:
            top = open_dir(base, os.path.relpath(os.path.abspath(root), os.path.abspath(base)))
        else:
            top = os.open(root, _DIR_FLAGS)
    except (Unreadable, OSError) as exc:
        if isinstance(exc, OSError) and exc.errno in MACHINE_ERRNOS:
            raise
        return Listing((), (Left(".", str(exc) if isinstance(exc, Unreadable)
                                 else "cannot be opened as a folder"),), 0)
    # A folder is opened when its turn comes, from its parent's descriptor, which stays open
    # while any of its subfolders wait: at most one descriptor per level is held (a submission
    # of 20 000 sibling folders must not take the grader's descriptors from the other students).
    held = {top: 1}                         # descriptor -> frames still needing it

    def release(fd):
        held[fd] -= 1
        if not held[fd]:
            del held[fd]
            os.close(fd)

    stack = [(None, top, "", 1)]            # (parent descriptor or None, name or descriptor, prefix, depth)
    try:
        while stack:
            parent, what, prefix, depth = stack.pop()
            if parent is None:
                fd = what
            else:
                try:
                    fd = os.open(what, _DIR_FLAGS, dir_fd=parent)
                except OSError as exc:
                    if exc.errno in MACHINE_ERRNOS:
                        raise
                    leave(prefix[:-1], "cannot be opened as a folder")
                    continue
                finally:
                    release(parent)
                held[fd] = 1
            # Read no further than the entries still to look at: a folder of a million names costs
            # what the budget allows, not seconds and hundreds of MB before the budget is applied.
            names, budget = [], max(max_scanned - scanned, 0)
            try:
                with os.scandir(fd) as it:
                    for entry in it:
                        if len(names) >= budget:
                            leave(prefix or ".", f"holds more entries than the {max_scanned} the grader looks "
                                                 "at: the rest are not read")
                            break
                        names.append(entry.name)
                found = sorted(((name, _lstat(name, fd)) for name in names), key=lambda x: os.fsencode(x[0]))
            except OSError as exc:
                if exc.errno in MACHINE_ERRNOS:
                    raise
                leave(prefix or ".", "cannot be listed")
                found = []
            subdirs = []
            for name, info in found:
                rel = prefix + name
                scanned += 1
                if info is None:
                    leave(rel, "vanished while it was read")
                    continue
                why = _kind(info.st_mode)
                is_dir = stat.S_ISDIR(info.st_mode)
                if not why and not _utf8(name):
                    why = "has a name that is not UTF-8 text"
                if not why and len(os.fsencode(rel)) > MAX_PATH_BYTES:
                    why = f"has a path longer than {MAX_PATH_BYTES} bytes"
                if not why and policy is not None:
                    why = policy(rel, is_dir)
                if why or why is None:
                    leave(rel, why)
                    continue
                if is_dir:
                    if depth >= max_depth:
                        leave(rel, f"is nested more than {max_depth} folders deep")
                        continue
                    entries.append(Entry(rel, True))
                    subdirs.append((name, rel))
                    continue
                if files >= max_files:
                    leave(rel, f"is past the {max_files} files a submission may ship")
                elif info.st_size > max_file_bytes:
                    leave(rel, f"is {info.st_size / 2**20:.1f} MB; files of at most "
                               f"{max_file_bytes / 2**20:.0f} MB are taken")
                elif total + info.st_size > max_total_bytes:
                    leave(rel, f"would take the submission past {max_total_bytes / 2**20:.0f} MB")
                else:
                    total += info.st_size
                    files += 1
                    entries.append(Entry(rel, False, info.st_size))
            held[fd] += len(subdirs)
            for name, rel in reversed(subdirs):
                stack.append((fd, name, rel + "/", depth + 1))
            release(fd)
    finally:
        for fd in held:
            os.close(fd)
    entries.sort(key=lambda e: os.fsencode(e.rel))
    return Listing(tuple(entries), tuple(left), omitted)


def file_digest(base, rel, max_bytes=MAX_FILE_BYTES):
    """sha256 (hex) of the regular file ``rel`` below ``base``, read through ``open_file``."""
    digest = hashlib.sha256()
    fd, size = open_file(base, rel, max_bytes)
    for chunk in chunks(fd, size):
        digest.update(chunk)
    return digest.hexdigest()
