"""matplotlib's font list, built once per grader process and laid in each kernel's fresh home.

Every graded notebook runs with an empty configuration folder of its own (its scratch
folder's ``MPLCONFIGDIR``), so the first ``import matplotlib.pyplot`` of every kernel scanned
the machine's fonts again (``fc-list`` and the header of each font file: 0.8 s of CPU per
kernel on the project's 2-core machine) and wrote a list no later kernel reads. A student's own
Jupyter keeps that list from one session to the next; the grader builds it once per process, in
an interpreter started as a kernel's is (the same Python, an empty home: the list names the
fonts a kernel can see), and copies it into each kernel's folder before the kernel starts. The
kernel may rewrite its copy; it is the student's own, thrown away with the scratch folder. A
list that names a font the kernel cannot open is rebuilt by matplotlib itself, as anywhere.

Imports nothing of the grader: the caller hands in the kernel's environment.
"""
import atexit
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import threading

_LOCK = threading.Lock()
_BUILT = {}         # {"folder": the built lists' folder, or None where none could be built}
PATTERN = "fontlist-*.json"


def font_lists(env):
    """The paths of the font lists this process built (built at the first call; [] when
    matplotlib is missing or could not build one)."""
    with _LOCK:
        if "folder" not in _BUILT:
            _BUILT["folder"] = _build(env)
    folder = _BUILT["folder"]
    return sorted(glob.glob(os.path.join(folder, PATTERN))) if folder else []


def _build(env):
    folder = tempfile.mkdtemp(prefix="autograder-fonts-")
    atexit.register(shutil.rmtree, folder, True)
    home = os.path.join(folder, "home")
    os.mkdir(home)
    child = {k: v for k, v in env.items() if not k.startswith(("XDG_", "JUPYTER_", "IPYTHON", "KERAS_"))}
    child.update(HOME=home, MPLCONFIGDIR=folder)
    try:
        subprocess.run([sys.executable, "-I", "-c", "import matplotlib.font_manager"], env=child,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=120, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return folder


def lay_font_lists(mplconfigdir, env):
    """Copy the font lists into a kernel's (new, empty) ``mplconfigdir``."""
    for path in font_lists(env):
        shutil.copyfile(path, os.path.join(mplconfigdir, os.path.basename(path)))
