"""Single-point mutants: one operator or constant changed, the rest of the text untouched."""

from __future__ import annotations

from pitstop.impact.mutate import mutants_of, sample

SOURCE = """# a comment that stays
def f(a, b):
    if a == b and not a:
        return a + b * 2  # keep me
    return True
"""


def test_each_mutant_changes_one_thing_and_keeps_the_rest_of_the_text():
    mutants = mutants_of("m.py", SOURCE)
    described = {(m.line, m.description) for m in mutants}
    assert {
        (3, "Eq -> NotEq"),
        (3, "And -> Or"),
        (3, "not dropped"),
        (4, "Add -> Sub"),
        (4, "Mult -> Div"),
        (4, "2 -> 3"),
        (5, "True -> False"),
        (4, "return None"),
    } <= described
    for mutant in mutants:
        assert mutant.text.startswith("# a comment that stays\n")
        changed = [
            a for a, b in zip(SOURCE.splitlines(), mutant.text.splitlines(), strict=True) if a != b
        ]
        assert len(changed) == 1


def test_a_mutant_is_spliced_in_parentheses_so_it_binds_as_before():
    (mutant,) = [m for m in mutants_of("m.py", "x = c - a * b\n") if m.description == "Mult -> Div"]
    assert mutant.text == "x = c - (a / b)\n"


def test_a_file_that_does_not_parse_has_no_mutants():
    assert mutants_of("m.py", "def (:\n") == []


def test_sampling_is_reproducible():
    mutants = mutants_of("m.py", SOURCE)
    assert sample(mutants, 3, seed=1) == sample(mutants, 3, seed=1)
    assert len(sample(mutants, 100, seed=1)) == len(mutants)
