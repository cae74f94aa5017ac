"""The trust boundary on hand-made inputs, in milliseconds: what the sandbox hands back is
validated, the scratch copy is the grader's, one student's bytes cannot reach a classmate's
result or stop the batch."""
import json
import os
import threading

import nbformat
import pytest

from autograder.untrusted import sandbox_output
from autograder.checks import kernel_checks
from tests.helpers import CHECKS

KERNEL_CHECKS = kernel_checks(CHECKS)
from autograder.batch.judge import judge_safely
from autograder.sandbox.scratch import copy_submission, hand_over, kernel_dirs
from autograder.batch.suspicious import scan
from autograder.batch.timestamps import read_timestamp
from autograder.instructor.collect import CollectError, student_id
from autograder.retrain.cache import canonical_config, job_key
from autograder.retrain.safety import RetrainRefused, check_config, check_optimizer

MODEL = {"class_name": "Sequential", "module": "keras", "config": {"name": "sequential", "layers": [
    {"class_name": "InputLayer", "module": "keras.layers", "config": {"name": "input", "batch_shape": [None, 784]}},
    {"class_name": "Dense", "module": "keras.layers", "config": {
        "name": "dense_3", "units": 32, "activation": "relu",
        "dtype": {"class_name": "DTypePolicy", "module": "keras", "config": {"name": "float32"}},
        "kernel_initializer": {"class_name": "GlorotUniform", "module": "keras.initializers", "config": {"seed": None}}}},
    {"class_name": "Dense", "module": "keras.layers", "config": {"name": "dense_4", "units": 10, "activation": "softmax"}}]}}


def line(record):
    return json.dumps(record).encode() + b"\n"


def observation(cell, data):
    return line({"type": "Observation", "cell": cell, "data": data})


def model_entry(config=MODEL):
    return {"config": json.dumps(config), "optimizer": None, "args": []}


# ------------------------------------------------------------------ records from the sandbox
def test_the_first_observation_of_a_check_or_a_model_is_the_one_that_counts():
    data = (observation(0, {"checks": {"ex1_rates": {"outputs": {"rates": [0.5]}}}})
            + observation(1, {"checks": {"ex1_rates": {"outputs": {"rates": [0.0, 0.1]}}},
                              "models": {"create_cifar_model": model_entry()}})
            + observation(2, {"models": {"create_cifar_model": {"problem": "later"}}})
            + line({"type": "ExecutionStatus", "state": "completed", "message": "", "duration_s": 3.5}))
    report = sandbox_output.parse_channel(data, KERNEL_CHECKS)
    assert report.reported and report.state == "completed" and report.duration_s == 3.5
    assert report.observations.checks["ex1_rates"] == sandbox_output.KernelObservation(outputs={"rates": [0.5]})
    assert report.observations.models["create_cifar_model"].problem is None


@pytest.mark.parametrize("config, phrase", [
    ("[" * 100_000 + "]" * 100_000, "nested more deeply"),
    ("x" * (2 * 2**20), "KB allowed"),
    ("{not json", "not valid JSON"),
    (json.dumps({"layers": []}), "not a Keras model config"),
    (12, "not text"),
])
def test_a_model_config_that_does_not_validate_is_the_students_problem(config, phrase):
    data = observation(0, {"models": {"create_cifar_model": {"config": config}}})
    model = sandbox_output.parse_channel(data, KERNEL_CHECKS).observations.models["create_cifar_model"]
    assert model.config is None and phrase in model.problem and model.problem.startswith("`create_cifar_model()`")


def test_text_from_the_kernel_is_safe_to_write_and_numbers_are_finite():
    data = (observation(0, {"checks": {"ex1_rates": {"problem": "bad \ud800 text\x07" + "y" * 5000},
                                       "ex1_plot": {"outputs": {"lines": [{"x": ["\udcff"]}]}},
                                       "ex1_sweep": {"outputs": [[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]},
                                       "made_up_check": {"outputs": {}}},
                            "sweep": {"0.1": "high"}, "tampered": ["x\udcff"] * 50})
            + observation(1, {"checks": {"ex1_best_rate": {"outputs": {"answers": [float("nan")]}}}})
            + b"not json at all\n" + line({"type": "ExecutionStatus", "state": "owned", "duration_s": -1}))
    report = sandbox_output.parse_channel(data, KERNEL_CHECKS)
    message = report.observations.checks["ex1_rates"].problem
    message.encode("utf-8")                          # no lone surrogate left
    assert len(message) <= sandbox_output.MAX_TEXT and "\x07" not in message
    json.dumps(report.observations.checks["ex1_plot"].outputs).encode("utf-8")
    assert "nested more deeply" in report.observations.checks["ex1_sweep"].problem
    assert set(report.observations.checks) == {"ex1_rates", "ex1_plot", "ex1_sweep"}
    assert report.observations.sweep is None and len(report.observations.tampered) == 1
    assert report.state == "failed" and report.duration_s == 0.0
    assert len(report.refused) == 2 and "NaN" in report.refused[0]     # the line with NaN, then the text


def test_a_deeply_nested_record_is_refused_not_raised():
    report = sandbox_output.parse_channel(b"[" * 200_000 + b"]" * 200_000 + b"\n", KERNEL_CHECKS)
    assert report.observations is None and not report.reported and "nested" in report.refused[0]


def test_judging_garbage_gives_a_judgement_not_an_exception():
    for observations in (None, [], {"models": {"create_cifar_model": "x"}, "checks": {"ex1_rates": 3}},
                         {"checks": {name: {"outputs": {"lines": 3, "results": {"a": []}, "answers": "x", "fits": [1]}}
                                     for name in KERNEL_CHECKS}},
                         {"models": {"create_bn_before_activation": {"config": "[" * 10_000 + "]" * 10_000}}}):
        judgement = judge_safely({"student": "s", "state": "completed", "observations": observations, "flags": []},
                                 CHECKS)
        assert judgement["type"] == "Judgement" and judgement["score"] == 0
        assert all(r["message"] for r in judgement["results"] if not r["passed"])


# ------------------------------------------------------------------ the scratch copy
def test_the_scratch_copy_holds_regular_files_only_and_nothing_that_configures_the_kernel(tmp_path):
    host = tmp_path / "host.txt"
    host.write_text("host")
    os.chmod(host, 0o600)
    src = tmp_path / "submission"
    (src / "data").mkdir(parents=True)
    (src / "regularization.ipynb").write_text("{}")
    (src / "data" / "helper.py").write_text("x = 1")
    (src / "timestamp.txt").write_text("2026-11-28 10:00:00")
    (src / ".grader-observations.json").write_text("{}")
    (src / "ipython_config.py").write_text("c = 1")
    (src / ".home" / ".ipython").mkdir(parents=True)
    (src / ".ipynb_checkpoints").mkdir()
    os.symlink(host, src / "notes.txt")
    os.symlink("/etc", src / "etc_link")
    os.mkfifo(src / "pipe")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    notices = copy_submission(str(src), str(scratch))
    kept = sorted(os.path.relpath(os.path.join(r, f), scratch) for r, _, fs in os.walk(scratch) for f in fs)
    assert kept == ["data/helper.py", "regularization.ipynb"]
    left = dict(notices)
    assert set(left) == {".grader-observations.json", "ipython_config.py", ".home", "notes.txt", "etc_link", "pipe"}
    assert "symbolic link" in left["notes.txt"]
    # Handing the copy to the sandbox's user never touches what a link points at.
    os.symlink(host, scratch / "late_link")
    before = os.stat(host)
    if os.geteuid() == 0:
        hand_over(str(scratch), 61999, 61999)
        assert os.lstat(scratch / "data" / "helper.py").st_uid == 61999
    after = os.stat(host)
    assert (after.st_uid, after.st_gid, after.st_mode) == (before.st_uid, before.st_gid, before.st_mode)
    assert set(kernel_dirs(str(scratch))) >= {"HOME", "IPYTHONDIR", "KERAS_HOME", "MPLCONFIGDIR"}
    assert all(p.startswith(str(scratch) + "/.grader-") for p in kernel_dirs(str(scratch)).values())


@pytest.mark.parametrize("text, ok", [("2026-11-28 10:00:00.000000 UTC", True), ("yesterday", False),
                                      ("9" * 200, False), ("", False)])
def test_a_timestamp_that_is_not_a_date_is_left_out_with_a_reason(tmp_path, text, ok):
    (tmp_path / "timestamp.txt").write_text(text)
    stamp, problem = read_timestamp(str(tmp_path))
    assert (stamp is not None, problem == "") == (ok, ok)


# ------------------------------------------------------------------ one student, one result
def test_scanning_deeply_nested_code_in_parallel_flags_it_and_never_raises():
    deep = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = " + " + ".join(["1"] * 20_000))])
    fine = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("y = [1] * 3\nprint(y)")])
    errors, flags = [], []

    def work(nb):
        try:
            for _ in range(20):
                flags.append(scan(nb))
        except BaseException as exc:   # SystemError between threads, before the lock
            errors.append(exc)
    threads = [threading.Thread(target=work, args=(nb,)) for nb in (deep, fine) * 4]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert {tuple(f["why"] for f in found) for found in flags} == {
        (), ("is nested too deeply for the grader to read its code (RecursionError)",)}


def test_the_cache_key_keeps_what_changes_the_computation_and_drops_names():
    renamed = json.loads(json.dumps(MODEL).replace("dense_3", "dense_17").replace('"sequential"', '"mine"'))
    half = json.loads(json.dumps(MODEL).replace('"float32"', '"float16"'))
    seeded = json.loads(json.dumps(MODEL).replace('"seed": null', '"seed": 7'))
    key = job_key(canonical_config(MODEL))
    assert job_key(canonical_config(renamed)) == key
    assert job_key(canonical_config(half)) != key and job_key(canonical_config(seeded)) != key
    # A layer named like a dtype renames the layer, not the policy.
    named = json.loads(json.dumps(MODEL).replace('"dense_3"', '"float32"'))
    assert canonical_config(named)["config"]["layers"][1]["config"]["dtype"]["config"]["name"] == "float32"


@pytest.mark.parametrize("edit, phrase", [
    (lambda m: m["config"]["layers"].insert(1, {"class_name": "TFSMLayer", "module": "keras.layers",
                                                "config": {"name": "t", "filepath": "/etc"}}), "'TFSMLayer'"),
    (lambda m: m["config"]["layers"][1]["config"].update(kernel_initializer={
        "class_name": "Evil", "module": "keras.initializers", "config": {}}), "'Evil'"),
    (lambda m: m["config"]["layers"][1]["config"].update(kernel_initializer={
        "class_name": "GlorotUniform", "module": "mypackage", "config": {}}), "custom class"),
    (lambda m: m["config"]["layers"][1].update(build_config={"input_shape": [None, 5_000_000]}), "5,000,000"),
    (lambda m: m["config"]["layers"][0]["config"].update(batch_shape=[None, 100_000]), "(100000,)"),
    (lambda m: m["config"]["layers"][1]["config"].update(units=30_000), "parameters"),
    (lambda m: m["config"]["layers"].insert(1, {"class_name": "Lambda", "module": "keras.layers",
                                                "config": {"name": "l"}}), "Lambda"),
])
def test_the_retraining_builds_only_what_the_exercises_need(edit, phrase):
    config = json.loads(json.dumps(MODEL))
    check_config(config, input_dim=784)
    edit(config)
    with pytest.raises(RetrainRefused, match=phrase.replace("(", r"\(").replace(")", r"\)")):
        check_config(config, input_dim=784)


def test_the_optimizer_and_its_schedule_are_allow_listed_too():
    adam = {"class_name": "Adam", "module": "keras.optimizers", "config": {"learning_rate": {
        "class_name": "CosineDecay", "module": "keras.optimizers.schedules", "config": {}}}}
    check_optimizer(adam)
    adam["config"]["learning_rate"]["class_name"] = "MySchedule"
    with pytest.raises(RetrainRefused, match="MySchedule"):
        check_optimizer(adam)


@pytest.mark.parametrize("name, phrase", [(".._regularization.ipynb", "names a folder"), ("-rf_x.ipynb", "starts with '-'"),
                                          (".hidden_x.ipynb", "starts with '.'")])
def test_collect_refuses_ids_that_are_not_a_students_folder(name, phrase):
    with pytest.raises(CollectError, match=phrase):
        student_id(name)


def test_each_grading_process_leases_sandbox_users_of_its_own(tmp_path):
    """Two batches (or courses) on one host never share a sandbox user, nor its process limit."""
    from autograder.sandbox import bwrap
    first, second = bwrap.lease_base(str(tmp_path)), bwrap.lease_base(str(tmp_path))
    assert first >= bwrap.BASE_UID and abs(second - first) >= bwrap.UIDS_PER_LEASE
    with pytest.raises(ValueError):
        bwrap.user_for(bwrap.UIDS_PER_LEASE) if os.geteuid() == 0 else (_ for _ in ()).throw(ValueError())


def test_the_batchs_threads_asking_at_once_share_one_lease(tmp_path, monkeypatch):
    """The first submissions of a batch start together: one lease for the process, or a scratch
    folder is handed to one range of users and its kernel run as another (EACCES, at random)."""
    from autograder.sandbox import bwrap
    monkeypatch.setattr(bwrap, "_lease", None)
    monkeypatch.setattr(bwrap, "LOCK_DIRS", (str(tmp_path),))
    start, seen = threading.Barrier(8), []

    def ask():
        start.wait()
        seen.append(bwrap.lease_base())
    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 8 and len(set(seen)) == 1, seen
    os.close(bwrap._lease[1])
