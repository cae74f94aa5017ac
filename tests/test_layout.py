"""The package layout shows who runs with the student's rights: what the kernel imports loads
nothing of the trusted grader."""
import subprocess
import sys

KERNEL_SIDE = ("autograder.kernel.observe", "autograder.kernel.tamper_probe", "autograder.kernel.output_cap",
               "autograder.notebook", "autograder.data", "autograder.budget", "autograder.checks")
TRUSTED = ("autograder.batch", "autograder.sandbox", "autograder.retrain.runner", "autograder.retrain.worker",
           "autograder.retrain.cache", "autograder.retrain.calibrate", "autograder.instructor.collect",
           "autograder.course.gradebook", "autograder.course.export", "nbgrader", "ray")


def test_the_kernel_side_imports_nothing_of_the_trusted_grader():
    code = (f"import sys\nfor m in {KERNEL_SIDE!r}:\n    __import__(m)\n"
            f"print('\\n'.join(m for m in sys.modules if m.startswith({TRUSTED!r})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == []
