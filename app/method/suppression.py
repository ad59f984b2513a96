"""Primary and complementary suppression of small groups.

The figures of one indicator and wave form a hierarchy. A node is ``(level, code)``:
``("total", "")`` at the root, ``("organisation", code)`` below it, and below each
organisation ``("unit", code)`` and ``("function_group", code)``. Codes must be unique
within a level; qualify them (e.g. ``"om/staff"``) if two organisations share one.
``parent`` maps every node except the root to its parent node. The children of one
parent at one level form a *family*: a breakdown that partitions the parent, so any
additive figure of the parent (respondents, weighted totals) is the sum over the family.

Suppression, repeated until nothing changes:

- primary: a node with ``n < min_cell``;
- a family under a published parent never has exactly one suppressed child with
  respondents, or the parent minus the published siblings gives it away: its smallest
  published sibling with respondents (fewest, then code) is suppressed too, or, without
  one, the parent (an empty sibling protects nothing: hidden, it hides no one);
- a suppressed parent never has a family whose children with respondents are published
  in full, or their sum gives the parent away: the smallest of them is suppressed too.

Why this suffices for a tree: at the fixpoint every hidden node can be raised by 1 while
all published figures stay put (raise one hidden child in each of its families, and
either its hidden parent or, under a published parent, lower a hidden sibling the same
way), so no combination of the sums pins it down. tests/stats/test_suppression.py checks
this by rank on random hierarchies.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Set

Node = tuple[str, str]
TOTAL: Node = ("total", "")


def suppress_hierarchy(
    n: Mapping[Node, int],
    parent: Mapping[Node, Node],
    min_cell: int,
    already: Set[Node] = frozenset(),
) -> set[Node]:
    """Return the suppressed nodes of one indicator's hierarchy.

    ``n`` gives every node's unweighted respondents (the root included); ``parent``
    gives every non-root node's parent (see the module docstring). Nodes in ``already``
    are hidden for other reasons (their respondent count, say) and protected like the
    small ones: hiding them after the fact could leave one alone in its family.
    """
    families: dict[tuple[Node, str], list[Node]] = defaultdict(list)
    for child, mother in parent.items():
        families[mother, child[0]].append(child)
    for children in families.values():
        children.sort(key=lambda node: (n[node], node[1]))

    suppressed = {node for node, count in n.items() if count < min_cell} | (already & n.keys())
    changed = True
    while changed:
        changed = False
        for (mother, _), children in families.items():
            # An empty group protects nothing: hiding it hides no one, and the attacker
            # knows it is empty as soon as the others add up. Only groups with
            # respondents count as hidden, and only they are chosen as complements.
            filled = [child for child in children if n[child] > 0]
            published = [child for child in filled if child not in suppressed]
            hidden = len(filled) - len(published)
            if mother not in suppressed and hidden == 1:
                suppressed.add(published[0] if published else mother)
            elif mother in suppressed and hidden == 0 and filled:
                suppressed.add(filled[0])
            else:
                continue
            changed = True
    return suppressed


def suppress_flat(n: Mapping[str, int], min_cell: int) -> set[str]:
    """Suppressed codes among groups that partition one published total.

    Groups under ``min_cell`` are suppressed; if that is exactly one, the smallest
    other group (fewest respondents, then code) is suppressed with it.
    """
    groups = {("group", code): count for code, count in n.items()}
    hidden = suppress_hierarchy(
        {TOTAL: sum(n.values()), **groups}, dict.fromkeys(groups, TOTAL), min_cell
    )
    return {code for level, code in hidden if level == "group"}
