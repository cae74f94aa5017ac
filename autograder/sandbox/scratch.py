"""The scratch copy a submission runs in: made by the grader, of what it chose to copy.

Only regular files and folders are copied, never followed: a link, a device or a FIFO that a
student shipped stays behind (the grader runs as root, and a link would make it read, or
chown, a host file). Names that would configure the kernel or its libraries, or pass for the
grader's own files, stay behind too, each with a notice the instructor sees. The kernel's
home, IPython, Keras and matplotlib folders are fresh ones the grader makes after the copy.
"""
import errno
import os

from ..untrusted import files

# Files the grader writes into the scratch folder; a submission's own are never copied.
GRADER_PREFIX = ".grader-"
# Read from the kernel's working folder by IPython, matplotlib or Jupyter at start-up.
CONFIG_FILES = {"ipython_config.py", "ipython_config.json", "ipython_kernel_config.py",
                "ipython_kernel_config.json", "jupyter_config.py", "jupyter_config.json",
                "jupyter_client_config.py", "jupyter_client_config.json", "matplotlibrc",
                "sitecustomize.py", "usercustomize.py"}
# nbgrader's record of when the work was handed in: read by the record stage (``timestamps``),
# never part of what the notebook runs with.
RECORD_FILES = {"timestamp.txt"}
# Left behind without a word: Jupyter's own autosaves.
SILENT_DIRS = {".ipynb_checkpoints"}
MAX_FILES = 2000


def kernel_dirs(scratch):
    """{variable: folder} of the kernel's home and configuration folders, made by the grader."""
    home = os.path.join(scratch, GRADER_PREFIX + "home")
    return {"HOME": home, "IPYTHONDIR": os.path.join(home, ".ipython"),
            "KERAS_HOME": os.path.join(home, ".keras"), "MPLCONFIGDIR": os.path.join(home, ".matplotlib"),
            "JUPYTER_RUNTIME_DIR": os.path.join(scratch, GRADER_PREFIX + "runtime"),
            "JUPYTER_CONFIG_DIR": os.path.join(home, ".jupyter"),
            "JUPYTER_DATA_DIR": os.path.join(home, ".local-share-jupyter")}


def submission_policy(rel, is_dir):
    """Why the entry at ``rel`` of a submission is not copied ('' when it is; None: left
    without a word). Links, special files, names that are not UTF-8, depth and size are
    ``untrusted.files.walk``'s to refuse."""
    name = os.path.basename(rel)
    top_level = "/" not in rel
    if is_dir and name in SILENT_DIRS:
        return None
    if top_level and not is_dir and name in RECORD_FILES:
        return None
    if name.startswith(GRADER_PREFIX):
        return "is named like the grader's own files"
    if is_dir and name.startswith("."):
        return "is a hidden folder (the kernel's configuration folders are the grader's)"
    if top_level and name in CONFIG_FILES:
        return "would configure the kernel or its libraries"
    return ""


def copy_submission(source, scratch):
    """Copy ``source`` into the existing folder ``scratch``; returns the notices of what was
    left behind, as ``(path, why)`` pairs (the caller tells the student)."""
    listing = files.walk(source, submission_policy, max_files=MAX_FILES)
    notices = [(left.rel, left.why) for left in listing.left]
    if listing.omitted:
        notices.append(("...", f"stands for {listing.omitted} more entries left behind"))
    skipped = ()
    for entry in listing.entries:
        if entry.rel.startswith(skipped):
            continue
        target = os.path.join(scratch, entry.rel)
        try:
            if entry.is_dir:
                os.mkdir(target, 0o755)
                continue
            fd, size = files.open_file(source, entry.rel)
        except files.Unreadable as exc:     # changed since the walk
            notices.append((entry.rel, f"could not be read ({exc})"))
            continue
        except OSError as exc:              # a name this file system refuses: the submission's, not the machine's
            if exc.errno not in (errno.ENAMETOOLONG, errno.EINVAL, errno.EILSEQ):
                raise
            notices.append((entry.rel, f"could not be copied ({os.strerror(exc.errno)})"))
            skipped += (entry.rel + "/",) if entry.is_dir else ()
            continue
        _copy_fd(fd, size, target)
    return notices


def _copy_fd(fd, size, target):
    # O_EXCL | O_NOFOLLOW: the grader's own target, never a link planted in its place.
    dst = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    try:
        for chunk in files.chunks(fd, size):
            os.write(dst, chunk)
    finally:
        os.close(dst)


def hand_over(scratch, uid, gid):
    """Make every entry of ``scratch`` the sandbox user's, without following any link."""
    os.lchown(scratch, uid, gid)
    for root, dirs, files in os.walk(scratch, followlinks=False):
        for name in dirs + files:
            os.lchown(os.path.join(root, name), uid, gid)
