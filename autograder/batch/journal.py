"""What a batch has done so far, per student, so a killed batch resumes where it stopped.

Each stage's output is one JSON file in ``.autograder/batch/<student>/``, written atomically
(temporary file, then rename): after a crash a file is either complete or absent. A stage
is redone when what it depends on changed, and only then: execution on the submission's
bytes and the source notebook (``submission_hash``); judging on the execution's record, the
thresholds in force and the profile (``judging_key``), so a threshold or a profile change
re-judges a class in seconds and executes nothing; recording on the judgement's digest. Both
keys know the grader's code (``grader_code``): an upgrade redoes what it may change.
"""
import hashlib
import json
import os
import tempfile

from ..untrusted import files
from ..common.atomic import write_json
from ..assignment import current
from ..sandbox.scratch import submission_policy
from .grader_code import judging_code

BATCH_DIR = os.path.join(".autograder", "batch")
GRADER_FILES = ("source/{a}/{a}.ipynb",)


def submission_hash(folder, course_dir):
    """Digest of a submission: a manifest of what its execution runs with (each entry the
    scratch copy takes, by name and the sha256 of its bytes, each entry it leaves and why),
    and of the source notebook (whose test cells run in the kernel). The manifest is JSON, so
    names and contents are framed: two different submissions never share a digest, and
    byte-identical ones share one result."""
    listing = files.walk(folder, submission_policy)
    manifest = []
    for entry in listing.entries:
        if entry.is_dir:
            manifest.append(["folder", entry.rel])
            continue
        try:
            manifest.append(["file", entry.rel, files.file_digest(folder, entry.rel)])
        except files.Unreadable as exc:
            manifest.append(["left", entry.rel, str(exc)])
    manifest += [["left", left.rel, left.why] for left in listing.left] + [["omitted", listing.omitted]]
    source = os.path.join(course_dir, GRADER_FILES[0].format(a=current().name))
    try:
        source_digest = files.file_digest(os.path.dirname(source), os.path.basename(source))
    except (files.Unreadable, OSError):
        source_digest = None
    return digest({"submission": manifest, "source": source_digest})


def release_hash(course_dir):
    """The digest a submission holding only the release notebook, unchanged, would have (None
    without a release): students who handed in the download itself share it, and that says
    nothing about copying."""
    release = current().notebook_path(course_dir, "release")
    try:
        data = files.read_path(release, 2**30, base=course_dir)
    except (files.Unreadable, OSError):
        return None
    with tempfile.TemporaryDirectory(prefix="release-hash-") as folder:
        with open(os.path.join(folder, os.path.basename(release)), "wb") as f:
            f.write(data)
        return submission_hash(folder, course_dir)


def judging_context():
    """What every judgement of a batch depends on: the thresholds' bytes, the profile, the
    assignment's declaration and check modules (a course's own, outside the package) and the
    grader's code (``grader_code.judging_code``). Read once per batch."""
    from ..retrain import current_profile
    from ..retrain.thresholds import in_force
    try:
        with open(in_force(), "rb") as f:
            thresholds = hashlib.sha256(f.read()).hexdigest()
    except OSError:
        thresholds = None
    return [thresholds, current_profile(), current().fingerprint(), judging_code()]


def judging_key(execution, trusted, context=None):
    """What one judgement depends on: the execution record, whether the instructor reviewed it,
    and the batch's ``judging_context()``."""
    return digest([digest(execution), bool(trusted), *(context or judging_context())])


SECRET_FILE = os.path.join(".autograder", "secret")


def grading_seed(course_dir, content_hash):
    """The seed of a submission's grading-time inputs: the same for the same submission (so
    its grade is), unknowable to it (a keyed hash of its content, the key in the course
    directory, which the sandbox hides)."""
    import hmac
    import secrets
    path = os.path.join(course_dir, SECRET_FILE)
    try:
        with open(path, "rb") as f:
            key = f.read()
    except FileNotFoundError:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        key = secrets.token_hex(32).encode()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(key)
        except FileExistsError:         # another batch made it first: use theirs
            with open(path, "rb") as f:
                key = f.read()
    mac = hmac.new(key, str(content_hash).encode(), hashlib.sha256).hexdigest()
    return int(mac[:8], 16) & 0x7FFFFFFF


def digest(value):
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


class Journal:
    def __init__(self, course_dir):
        self.root = os.path.join(course_dir, BATCH_DIR)

    def workdir(self, student):
        return os.path.join(self.root, student)

    def read(self, student, stage):
        path = os.path.join(self.workdir(student), f"{stage}.json")
        try:
            with open(path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def write(self, student, stage, value):
        write_json(os.path.join(self.workdir(student), f"{stage}.json"), value)
