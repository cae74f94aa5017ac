"""The typed records handed between stages: built in one place, validated on the way in."""
import json

import pytest

from autograder.batch.results import MAX_FLAGS, Flag, bounded_flags, execution_result


def test_a_flag_is_validated_and_bounded_whatever_it_is_built_from():
    flag = Flag.from_json({"why": "x" * 10_000, "severity": "harmless, trust me", "cell": "3", "line": True,
                           "code": "\x1b[31mred"})
    assert flag.severity == "tampering"          # an unknown severity is reviewed, not ignored
    assert len(flag.why) <= 300 and flag.cell == 0 and flag.line == 0 and "\x1b" not in flag.code
    assert Flag.from_json(["not", "a", "flag"]) == Flag("left a notice the grader could not read", "tampering")
    assert Flag("left behind", cell=2, line=5, code="import os").line_text() == \
        "notice: cell 2, line 5: left behind: import os"
    assert json.loads(json.dumps(flag.to_json())) == flag.to_json()


def test_flags_are_bounded_tampering_first_and_the_rest_counted():
    flags = [{"why": f"n{i}", "severity": "notice"} for i in range(100)] + [{"why": "t", "severity": "tampering"}]
    kept = bounded_flags(flags)
    assert len(kept) == MAX_FLAGS and kept[0]["severity"] == "tampering"
    assert kept[-1]["why"] == f"and {101 - MAX_FLAGS + 1} more notices"
    assert kept[0]["why"] == "t" and kept[1]["why"] == "n0"
    assert bounded_flags("not a list") == []
    assert bounded_flags([{"why": "a"}]) == [Flag("a", "tampering").to_json()]     # no severity: reviewed


def test_an_execution_result_is_built_in_one_place():
    record = execution_result("ann", "h", mode="needed", sandboxed=True, seed=7, state="timeout", message="m")
    assert record["type"] == "ExecutionResult" and record["plan"] == {"mode": "needed", "skipped": [], "reason": "",
                                                                         "requested": "needed"}
    assert record["flags"] == [] and record["cell_errors"] == [] and record["seed"] == 7
    with pytest.raises(ValueError, match="Expected an execution state in .* Received: 'exploded'"):
        execution_result("ann", "h", mode="needed", sandboxed=True, state="exploded")
    with pytest.raises(TypeError, match=r"Received: \['score'\]"):
        execution_result("ann", "h", mode="needed", sandboxed=True, score=34)


def test_a_verdict_line_is_written_and_read_back_by_one_class():
    from autograder.checks.result import CheckResult
    for result in (CheckResult("ex2_accuracy", False, 1.333, 2.0, "`a()`: 0.41: (needs 0.5)\nsecond line"),
                   CheckResult("ex1_rates", True, 1.0, 1.0, "ok"), CheckResult("ex3_model", False, 0.0, 4.0, "no")):
        assert CheckResult.parse_summary(result.summary() + "\n") == result
    assert CheckResult.parse_summary("[PARTIAL] printed by a student") is None
    assert CheckResult.parse_summary(["not", "text"]) is None
