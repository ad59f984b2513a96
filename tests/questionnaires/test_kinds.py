"""Question kinds: one module each behind one registry, and nothing else in the app that
names a kind (DESIGN.md, "Two shapes worth copying")."""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

import pytest

from app.questionnaires.conditions import SET_ANSWERS
from app.questionnaires.kinds import KINDS, QuestionBase, kind_named
from app.questionnaires.kinds.base import UnknownKind
from app.questionnaires.loader import canonical_json, load_directory, localized
from tests.support import FIXTURES, load_fixture

APP = Path(__file__).parents[2] / "app"
NAMES = {kind.kind_name() for kind in KINDS}
MINI = (FIXTURES / "defs" / "mini.yaml").read_text(encoding="utf-8")


def kind_name_lines(source: str) -> list[int]:
    """The lines where a string naming a kind is used as a kind name: compared (also as an
    element of what it is compared with), matched by a `case`, the value of a `Literal`
    or of a plain assignment, or in a tuple, list, set or dict keys made of kind names
    only. Left out, as other words that happen to be spelt the same: a string passed to
    a function (`check_text(q.id, "text", ...)`, `measure="scale"`, SPSS's level of
    measurement), a default value, one among other words (`{"title", "text"}`,
    `Literal["nominal", "ordinal", "scale"]`) and any longer string ("text/csv")."""

    def names_kind(node: ast.AST | None) -> bool:
        return isinstance(node, ast.Constant) and node.value in NAMES

    def only_kinds(nodes: list[ast.expr | None]) -> bool:
        return bool(nodes) and all(map(names_kind, nodes))

    def literal_values(node: ast.Subscript) -> list[ast.expr | None]:
        name = node.value.attr if isinstance(node.value, ast.Attribute) else None
        name = node.value.id if isinstance(node.value, ast.Name) else name
        if name != "Literal":
            return []
        return list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]

    hits: list[ast.AST] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            for operand in [node.left, *node.comparators]:
                elements = (
                    operand.elts if isinstance(operand, ast.Tuple | ast.List | ast.Set) else []
                )
                hits += [e for e in [operand, *elements] if names_kind(e)]
        elif isinstance(node, ast.MatchValue | ast.Assign | ast.AnnAssign):
            hits += [node] if names_kind(node.value) else []
        elif isinstance(node, ast.Subscript):
            hits += [node] if only_kinds(literal_values(node)) else []
        elif isinstance(node, ast.Tuple | ast.List | ast.Set):
            hits += [node] if only_kinds(node.elts) else []
        elif isinstance(node, ast.Dict):
            hits += [node] if only_kinds(node.keys) else []
    return sorted({node.lineno for node in hits})


def files_naming_kinds(root: Path) -> list[str]:
    return sorted(
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if kind_name_lines(path.read_text(encoding="utf-8"))
    )


def test_only_the_kind_modules_name_kinds():
    files = files_naming_kinds(APP)
    assert len(files) <= 3, files
    assert all(f.startswith("questionnaires/kinds/") for f in files), files


def test_the_page_script_names_no_kind():
    script = (APP / "web" / "static" / "survey.js").read_text(encoding="utf-8")
    quoted = re.compile("[\"']({})[\"']".format("|".join(NAMES)))
    assert not quoted.findall(script)


@pytest.mark.parametrize(
    "source",
    [
        'if question.type == "multi":\n    pass',
        'multi = kinds.get(question) != "multi"',
        'choice = kind in ("single", "scale")',
        'CHOICE_TYPES = ("single", "multi", "scale")',
        'words = {"single": "choice", "scale": "choice"}',
        'class IntegerQuestion:\n    type: Literal["integer"]',
        'match question.type:\n    case "text":\n        pass',
        'TEXT = "text"',
    ],
)
def test_the_scan_finds_a_kind_name(source):
    assert kind_name_lines(source) != []


@pytest.mark.parametrize(
    "source",
    [
        'Column("q", "label", [], numeric=True, measure="scale")',
        'Measure = Literal["nominal", "ordinal", "scale"]',
        'def numbers(name, measure: Measure = "scale"): pass',
        'check_text(q.id, "text", q.text)',
        '_TEXT_FIELDS = {"title", "intro", "text", "help"}',
        'response = Response(content, media_type="text/csv")',
        '"""A text question: free text, never a statistic."""',
    ],
)
def test_the_scan_leaves_other_words_alone(source):
    assert kind_name_lines(source) == []


def test_a_fourth_file_that_compares_a_type_name_is_found(tmp_path):
    for name in ("choice.py", "integer.py", "text.py"):
        source = (APP / "questionnaires" / "kinds" / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(source, encoding="utf-8")
    assert len(files_naming_kinds(tmp_path)) == 3
    (tmp_path / "export.py").write_text(
        'def columns(question):\n    if question.type == "multi":\n        return []\n',
        encoding="utf-8",
    )
    assert len(files_naming_kinds(tmp_path)) == 4


def test_the_registry_names_five_kinds_and_their_parts():
    assert [kind.kind_name() for kind in KINDS] == ["single", "multi", "scale", "integer", "text"]
    assert set(SET_ANSWERS) == {"multi"}
    assert kind_named("checkbox") is UnknownKind and kind_named(None) is UnknownKind
    templates = APP / "web" / "templates"
    for kind in KINDS:
        assert kind_named(kind.kind_name()) is kind
        assert (templates / kind.template).is_file(), kind
        for lang in ("nl", "en"):
            assert kind.words[lang]["required"], kind


def test_each_question_is_an_object_of_its_kind_and_dumps_as_before():
    questionnaire = load_fixture()
    kinds = {q.id: type(q) for q in questionnaire.questions()}
    assert {kind.kind_name() for kind in kinds.values()} == NAMES - {"scale"}
    assert all(issubclass(kind, QuestionBase) for kind in kinds.values())
    # The served JSON keeps the order of one model with every field: show_if last.
    served = localized(questionnaire, "en")["modules"][1]["questions"]
    assert [list(q) for q in served[1:3]] == [
        ["id", "type", "text", "required", "min", "max", "show_if"],
        ["id", "type", "text", "required", "options", "show_if"],
    ]
    again = questionnaire.model_validate_json(canonical_json(questionnaire))
    assert again == questionnaire and canonical_json(again) == canonical_json(questionnaire)


def problems_of(tmp_path: Path, text: str) -> list[tuple[str, str, str]]:
    (tmp_path / "q.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return [(p.where, p.code, p.message) for p in load_directory(tmp_path).problems]


INTEGER_OPTIONS = "a integer question has no options"
MIN_MAX = "only integer questions have min and max"
MAX_LENGTH = "only text questions have max_length"


@pytest.mark.parametrize(
    ("old", "new", "where", "expected"),
    [
        (
            "        min: 1\n        max: 99",
            "        min: 9\n        max: 1\n        max_length: 3\n"
            "        options: [{code: a, label: {nl: A, en: A}}]",
            "threat_count",
            [
                ("misplaced_field", INTEGER_OPTIONS),
                ("min_greater_than_max", "min 9 is greater than max 1"),
                ("misplaced_field", MAX_LENGTH),
            ],
        ),
        (
            "type: multi",
            "type: checkbox\n        min: 0\n        max_length: 3",
            "reasons",
            [
                (
                    "unknown_type",
                    "type 'checkbox' is not one of single, multi, scale, integer, text",
                ),
                ("misplaced_field", "a checkbox question has no options"),
                ("misplaced_field", MIN_MAX),
                ("misplaced_field", MAX_LENGTH),
            ],
        ),
        (
            "        max_length: 200\n",
            "        min: 1\n",
            "comment",
            [
                ("misplaced_field", MIN_MAX),
                ("missing_max_length", "a text question needs max_length"),
            ],
        ),
    ],
)
def test_fields_of_another_kind_are_misplaced_as_before(tmp_path, old, new, where, expected):
    """Problems, messages and their order as when one model held every field."""
    assert old in MINI
    found = problems_of(tmp_path, MINI.replace(old, new, 1))
    assert found == [(where, code, message) for code, message in expected]


@pytest.mark.parametrize(
    ("old", "new", "where", "at"),
    [
        ("        max_length: 200\n", "        max_length: 0\n", "comment", "3"),
        ("        max: 99", "        max: 99\n        max_length: 0", "threat_count", "1"),
    ],
)
def test_a_field_of_another_kind_is_still_validated(tmp_path, old, new, where, at):
    """Structure errors keep the path they had, with no kind name in it."""
    message = f"Input should be greater than or equal to 1 (at modules.1.questions.{at}.max_length)"
    assert problems_of(tmp_path, MINI.replace(old, new, 1)) == [
        (where, "invalid_structure", message)
    ]
