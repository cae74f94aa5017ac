"""The scratch copy a submission runs in: made by the grader, of what it chose to copy.

Only regular files and folders are copied, never followed: a link, a device or a FIFO that a
student shipped stays behind (the grader runs as root, and a link would make it read, or
chown, a host file). Names that would configure the kernel or its libraries, or pass for the
grader's own files, stay behind too, each with a notice the instructor sees. The kernel's
home, IPython, Keras and matplotlib folders are fresh ones the grader makes after the copy.
"""
import os
import stat

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
COPY_CHUNK = 1 << 20


def kernel_dirs(scratch):
    """{variable: folder} of the kernel's home and configuration folders, made by the grader."""
    home = os.path.join(scratch, GRADER_PREFIX + "home")
    return {"HOME": home, "IPYTHONDIR": os.path.join(home, ".ipython"),
            "KERAS_HOME": os.path.join(home, ".keras"), "MPLCONFIGDIR": os.path.join(home, ".matplotlib"),
            "JUPYTER_RUNTIME_DIR": os.path.join(scratch, GRADER_PREFIX + "runtime"),
            "JUPYTER_CONFIG_DIR": os.path.join(home, ".jupyter"),
            "JUPYTER_DATA_DIR": os.path.join(home, ".local-share-jupyter")}


def _why_left(rel, info, top_level):
    """Why the entry at ``rel`` is not copied, or '' when it is."""
    name = os.path.basename(rel)
    if stat.S_ISLNK(info.st_mode):
        return "is a symbolic link"
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
        return "is not a regular file or folder"
    if name.startswith(GRADER_PREFIX):
        return "is named like the grader's own files"
    if stat.S_ISDIR(info.st_mode) and name.startswith("."):
        return "is a hidden folder (the kernel's configuration folders are the grader's)"
    if top_level and name in CONFIG_FILES:
        return "would configure the kernel or its libraries"
    return ""


def copy_submission(source, scratch):
    """Copy ``source`` into the existing folder ``scratch``; returns the notices of what was
    left behind, as flags ({"severity": "notice", "code": path, "why": ...})."""
    notices, copied = [], 0

    def leave(rel, why):
        notices.append({"cell": 0, "line": 0, "code": rel, "severity": "notice",
                        "why": f"ships `{rel}`, which {why}: not copied into the folder the notebook runs in"})

    for root, dirs, files in os.walk(source, followlinks=False):
        rel_root = os.path.relpath(root, source)
        top = rel_root == "."
        kept = []
        for name in sorted(dirs):
            rel = name if top else os.path.join(rel_root, name)
            why = _why_left(rel, os.lstat(os.path.join(root, name)), top)
            if why and name in SILENT_DIRS:
                continue
            if why:
                leave(rel, why)
                continue
            os.mkdir(os.path.join(scratch, rel), 0o755)
            kept.append(name)
        dirs[:] = kept
        for name in sorted(files):
            if top and name in RECORD_FILES:
                continue
            rel = name if top else os.path.join(rel_root, name)
            path = os.path.join(root, name)
            why = _why_left(rel, os.lstat(path), top)
            if not why and copied >= MAX_FILES:
                why = f"is past the {MAX_FILES} files a submission may ship"
            if why:
                leave(rel, why)
                continue
            _copy_file(path, os.path.join(scratch, rel))
            copied += 1
    return notices


def _copy_file(source, target):
    # O_NOFOLLOW on both ends: a link swapped in after the walk is refused, not followed.
    src = os.open(source, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        dst = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        try:
            while chunk := os.read(src, COPY_CHUNK):
                os.write(dst, chunk)
        finally:
            os.close(dst)
    finally:
        os.close(src)


def hand_over(scratch, uid, gid):
    """Make every entry of ``scratch`` the sandbox user's, without following any link."""
    os.lchown(scratch, uid, gid)
    for root, dirs, files in os.walk(scratch, followlinks=False):
        for name in dirs + files:
            os.lchown(os.path.join(root, name), uid, gid)
