"""Suppression: the plain rules, and an attack that tries to recover every hidden figure."""

from __future__ import annotations

import numpy as np
import pytest

from app.method.suppression import TOTAL, Node, suppress_flat, suppress_hierarchy

MIN_CELL = 10


def org(code: str) -> Node:
    return ("organisation", code)


def unit(code: str) -> Node:
    return ("unit", code)


def fg(code: str) -> Node:
    return ("function_group", code)


def test_nothing_suppressed_when_every_group_is_large_enough():
    assert suppress_flat({"a": 10, "b": 11, "c": 50}, MIN_CELL) == set()


def test_one_small_group_takes_the_smallest_sibling_with_it():
    assert suppress_flat({"a": 40, "b": 3, "c": 12, "d": 25}, MIN_CELL) == {"b", "c"}


def test_ties_between_siblings_go_by_code():
    assert suppress_flat({"z": 12, "a": 4, "m": 12}, MIN_CELL) == {"a", "m"}


def test_two_small_groups_need_no_complement():
    assert suppress_flat({"a": 40, "b": 3, "c": 9, "d": 25}, MIN_CELL) == {"b", "c"}


def test_a_single_small_child_of_a_published_parent_hides_the_parent():
    n = {TOTAL: 100, org("pol"): 5, org("om"): 95, unit("pol-x"): 5}
    parent = {org("pol"): TOTAL, org("om"): TOTAL, unit("pol-x"): org("pol")}
    # pol is primary; om complements it; pol's only unit is pol itself.
    assert suppress_hierarchy(n, parent, MIN_CELL) == {org("pol"), org("om"), unit("pol-x")}


def build_hierarchy(rng: np.random.Generator) -> tuple[dict[Node, int], dict[Node, Node]]:
    """Two organisations; units and function groups both partition each one's respondents."""
    n: dict[Node, int] = {}
    parent: dict[Node, Node] = {}
    for o in ("pol", "om"):
        n_units, n_groups = rng.integers(1, 6), rng.integers(1, 5)
        # Respondents per unit x function group: many small, some empty.
        cross = rng.poisson(rng.uniform(0.5, 8.0), size=(n_units, n_groups))
        n[org(o)] = int(cross.sum())
        parent[org(o)] = TOTAL
        for i, count in enumerate(cross.sum(axis=1)):
            n[unit(f"{o}-u{i}")] = int(count)
            parent[unit(f"{o}-u{i}")] = org(o)
        for j, count in enumerate(cross.sum(axis=0)):
            n[fg(f"{o}-f{j}")] = int(count)
            parent[fg(f"{o}-f{j}")] = org(o)
    n[TOTAL] = n[org("pol")] + n[org("om")]
    return n, parent


def recoverable(parent: dict[Node, Node], hidden: set[Node]) -> set[Node]:
    """Hidden nodes whose totals follow from the published ones by linear algebra.

    Every breakdown says parent - sum(children) = 0. With published totals known, the
    system in the unknowns is A x = b; x_i is determined iff e_i is in A's row space.
    """
    families: dict[tuple[Node, str], list[Node]] = {}
    for child, mother in parent.items():
        families.setdefault((mother, child[0]), []).append(child)
    unknowns = sorted(hidden)
    column = {node: i for i, node in enumerate(unknowns)}
    rows = []
    for (mother, _), children in families.items():
        row = np.zeros(len(unknowns))
        for node, sign in [(mother, 1.0)] + [(child, -1.0) for child in children]:
            if node in column:
                row[column[node]] += sign
        rows.append(row)
    a = np.array(rows)
    rank = np.linalg.matrix_rank(a)
    return {
        node
        for node in unknowns
        if np.linalg.matrix_rank(np.vstack([a, np.eye(len(unknowns))[column[node]]])) == rank
    }


@pytest.mark.parametrize("seed", range(40))
def test_attack_recovers_no_suppressed_figure(seed: int):
    rng = np.random.default_rng(seed)
    tried = 0
    for _ in range(50):
        n, parent = build_hierarchy(rng)
        hidden = suppress_hierarchy(n, parent, MIN_CELL)
        assert {node for node, count in n.items() if count < MIN_CELL} <= hidden
        if hidden:
            tried += 1
            # An empty group has no figure to give away (and protects nothing: it is no
            # complement); every other hidden group stays undetermined.
            found = {node for node in recoverable(parent, hidden) if n[node] > 0}
            assert found == set(), (n, hidden)
    assert tried > 0


def test_attack_would_succeed_with_primary_suppression_only():
    """The attack itself works: one hidden unit is its organisation minus its siblings."""
    n = {TOTAL: 200, org("pol"): 120, org("om"): 80}
    n |= {unit("a"): 4, unit("b"): 56, unit("c"): 60, unit("d"): 80}
    n |= {fg("x"): 120, fg("y"): 80}
    parent = {org("pol"): TOTAL, org("om"): TOTAL, unit("a"): org("pol"), unit("b"): org("pol")}
    parent |= {unit("c"): org("pol"), unit("d"): org("om")}
    parent |= {fg("x"): org("pol"), fg("y"): org("om")}
    assert recoverable(parent, {unit("a")}) == {unit("a")}
    assert suppress_hierarchy(n, parent, MIN_CELL) == {unit("a"), unit("b")}
