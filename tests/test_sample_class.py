"""The generated sample class: realistic, deterministic, and with a known grade for everyone."""
from tests.helpers import CHECKS
from autograder.tools.sample_class import class_roster, expected_lost, write_class


def test_a_generated_class_has_mistakes_copies_and_broken_files():
    roster = class_roster(48)
    assert roster == class_roster(48)                       # the same class every time
    kinds = [kind for kind, _ in roster.values()]
    assert kinds.count("broken") == 4 and kinds.count("copy") >= 4
    samples = {detail for kind, detail in roster.values() if kind == "sample"}
    assert "reference" in samples and len(samples) >= 6
    lost = expected_lost(roster, CHECKS)
    total = sum(c.points for c in CHECKS.values())
    broken = [s for s, (kind, _) in roster.items() if kind == "broken"]
    assert all(sum(lost[s].values()) == total for s in broken)
    for student, (kind, detail) in roster.items():
        if kind == "copy":
            assert lost[student] == lost[detail]


def test_written_class_copies_are_byte_identical_and_others_differ(course):
    roster = write_class(str(course), 16)
    def read(student):
        return (course / "submitted" / student / "regularization" / "regularization.ipynb").read_bytes()
    copies = [(s, d) for s, (k, d) in roster.items() if k == "copy"]
    assert copies and all(read(s) == read(d) for s, d in copies)
    references = [s for s, (k, d) in roster.items() if k == "sample" and d == "reference"]
    assert len(references) >= 2 and read(references[0]) != read(references[1])
