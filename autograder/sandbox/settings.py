"""The sandbox's settings (``c.Sandbox.*`` in a course's ``nbgrader_config.py``): limits of one
sandboxed run. The sandbox owns them; the batch and the retraining configure and pass them."""
from traitlets import Bool, Float, Integer, Unicode
from traitlets.config import Configurable


class Sandbox(Configurable):
    enabled = Bool(True, help="Run each submission's kernel under bubblewrap. Turning it off "
                              "runs student code with the grader's rights.").tag(config=True)
    cell_timeout_s = Integer(300, help="Wall time of one cell; the kernel is interrupted "
                                       "after it and the next cell runs.").tag(config=True)
    submission_timeout_s = Integer(900, help="Wall time of a whole submission, kernel start "
                                             "included; the sandbox is killed after it.").tag(config=True)
    memory_mb = Integer(8192, help="Address space of each sandboxed process (RLIMIT_AS); "
                                   "TensorFlow alone maps about 3 GB.").tag(config=True)
    total_memory_mb = Integer(0, help="Memory of one sandbox as a whole, all its processes together "
                                      "(a cgroup bound, applied where the grader may write the cgroup "
                                      "tree). 0: 80% of the machine's memory shared equally by the "
                                      "workers.").tag(config=True)
    max_processes = Integer(1024, help="Processes and threads of one sandbox (RLIMIT_NPROC "
                                       "of its own user id when the grader runs as root).").tag(config=True)
    max_file_mb = Integer(200, help="Largest file a submission may write (RLIMIT_FSIZE), the "
                                    "executed notebook included.").tag(config=True)
    max_output_kb = Integer(256, help="Output kept per cell in the executed notebook.").tag(config=True)
    cpus = Float(0.0, help="CPUs one sandbox may use: a cgroup CPU quota, applied where the "
                           "grader may write the cgroup tree (as root). 0: the machine's CPUs "
                           "shared equally by the workers.").tag(config=True)
    scratch_dir = Unicode("", help="Where each submission's scratch copy is made (default: the "
                                   "system's temporary folder); the sandbox's user must be able to "
                                   "traverse it, as it can /tmp.").tag(config=True)
