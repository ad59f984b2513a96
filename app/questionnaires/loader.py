"""Definition files in, questionnaire values out: parse, check, canonical JSON, hash."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from app.problems import Code
from app.questionnaires.schema import (
    DEFAULT_LANGUAGE,
    DefinitionProblem,
    Questionnaire,
    check_questionnaire,
)

INDICATORS_FILE = "indicators.yaml"
M = TypeVar("M", bound=BaseModel)


@dataclass
class LoadResult:
    questionnaires: list[Questionnaire] = field(default_factory=list)
    problems: list[DefinitionProblem] = field(default_factory=list)


def read_yaml(path: Path) -> tuple[Any, list[DefinitionProblem]]:
    """The parsed YAML document, or a yaml_syntax problem pointing at the line."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")), []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "file"
        reason = getattr(exc, "problem", None) or str(exc)
        return None, [DefinitionProblem(path.name, where, *Code.YAML_SYNTAX.says(reason=reason))]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [DefinitionProblem(path.name, "file", *Code.UNREADABLE.says(reason=exc))]


def structure_problems(exc: ValidationError, file: str, data: Any) -> list[DefinitionProblem]:
    """Pydantic errors as definition problems, located by question id where possible."""
    problems = []
    for error in exc.errors():
        loc = error["loc"]
        where = _locate(data, loc)
        problems.append(
            DefinitionProblem(
                file,
                where,
                *Code.INVALID_STRUCTURE.says(reason=f"{error['msg']} (at {_path(loc)})"),
            )
        )
    return problems


def _path(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "file"


def _locate(data: Any, loc: tuple[Any, ...]) -> str:
    """The id of the innermost question (or module) on the error's path."""
    where = _path(loc)
    node = data
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and isinstance(node.get("id"), str):
            where = node["id"]
    return where


def validated(model: type[M], data: Any, file: str) -> tuple[M | None, list[DefinitionProblem]]:
    """A definition file's document as `model`, or its structure problems."""
    if not isinstance(data, dict):
        reason = "expected a mapping"
        return None, [DefinitionProblem(file, "file", *Code.INVALID_STRUCTURE.says(reason=reason))]
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        return None, structure_problems(exc, file, data)


def parse_questionnaire(
    data: Any, file: str
) -> tuple[Questionnaire | None, list[DefinitionProblem]]:
    questionnaire, problems = validated(Questionnaire, data, file)
    if questionnaire is None:
        return None, problems
    problems = check_questionnaire(questionnaire, file)
    return (None if problems else questionnaire), problems


def definition_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.y*ml") if p.name != INDICATORS_FILE)


def load_directory(directory: Path) -> LoadResult:
    """Every questionnaire in a directory, or every problem in it."""
    result = LoadResult()
    if not directory.is_dir():
        result.problems.append(
            DefinitionProblem(str(directory), "directory", *Code.NOT_FOUND.says())
        )
        return result
    seen: dict[str, str] = {}
    for path in definition_files(directory):
        data, problems = read_yaml(path)
        if not problems:
            questionnaire, problems = parse_questionnaire(data, path.name)
            if questionnaire is not None:
                if questionnaire.id in seen:
                    problems = [
                        DefinitionProblem(
                            path.name,
                            questionnaire.id,
                            *Code.DUPLICATE_VERSION.says(
                                version=questionnaire.id, file=seen[questionnaire.id]
                            ),
                        )
                    ]
                else:
                    seen[questionnaire.id] = path.name
                    result.questionnaires.append(questionnaire)
        result.problems.extend(problems)
    return result


def canonical_json(questionnaire: Questionnaire) -> str:
    """The stored form: sorted keys, no whitespace, nothing left out but empty fields."""
    return json.dumps(
        questionnaire.model_dump(mode="json", exclude_none=True),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


def content_hash(canonical: str) -> str:
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def from_canonical(canonical: str) -> Questionnaire:
    return Questionnaire.model_validate_json(canonical)


def localized(questionnaire: Questionnaire, lang: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """The served JSON: every translated text replaced by its text in `lang`."""
    data = questionnaire.model_dump(mode="json", exclude_none=True)
    data = _pick_language(data, lang)
    data["language"] = lang
    data["content_hash"] = content_hash(canonical_json(questionnaire))
    return data


_TEXT_FIELDS = {"title", "intro", "thanks", "text", "help", "label"}


def _pick_language(node: Any, lang: str) -> Any:
    if isinstance(node, dict):
        return {
            key: value[lang]
            if key in _TEXT_FIELDS and isinstance(value, dict)
            else _pick_language(value, lang)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_pick_language(item, lang) for item in node]
    return node


@dataclass(frozen=True)
class QuestionnaireDiff:
    added: list[str]
    removed: list[str]
    changed: dict[str, list[str]]  # question id -> fields that differ

    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def lines(self) -> list[str]:
        out = [f"+ {qid} (added)" for qid in self.added]
        out += [f"- {qid} (removed)" for qid in self.removed]
        out += [f"~ {qid}: {', '.join(fields)}" for qid, fields in self.changed.items()]
        return out


def diff(old: Questionnaire, new: Questionnaire) -> QuestionnaireDiff:
    """Questions added, removed and changed (with the fields that changed) from old to new."""
    before = {q.id: q.model_dump(mode="json", exclude_none=True) for q in old.questions()}
    after = {q.id: q.model_dump(mode="json", exclude_none=True) for q in new.questions()}
    module_of = {q.id: m.id for m in old.modules for q in m.questions}
    changed: dict[str, list[str]] = {}
    for qid in before.keys() & after.keys():
        fields = sorted(
            k
            for k in before[qid].keys() | after[qid].keys()
            if before[qid].get(k) != after[qid].get(k)
        )
        if module_of[qid] != next(m.id for m in new.modules for q in m.questions if q.id == qid):
            fields.append("module")
        if fields:
            changed[qid] = fields
    order = [q.id for q in new.questions()] + [q.id for q in old.questions()]
    return QuestionnaireDiff(
        added=[qid for qid in after if qid not in before],
        removed=[qid for qid in before if qid not in after],
        changed={qid: changed[qid] for qid in dict.fromkeys(order) if qid in changed},
    )


def describe_questionnaire_changes(old: Questionnaire, new: Questionnaire) -> list[str]:
    """What differs, including the questionnaire-level fields, for publish's refusal."""
    lines = diff(old, new).lines()
    a = old.model_dump(mode="json", exclude_none=True)
    b = new.model_dump(mode="json", exclude_none=True)
    for key in sorted((a.keys() | b.keys()) - {"modules"}):
        if a.get(key) != b.get(key):
            lines.append(f"~ questionnaire {key}")
    for m_old, m_new in zip(old.modules, new.modules, strict=False):
        if (m_old.id, m_old.title, m_old.intro) != (m_new.id, m_new.title, m_new.intro):
            lines.append(f"~ module {m_new.id}")
    if [m.id for m in old.modules] != [m.id for m in new.modules]:
        lines.append("~ module order")
    return lines or ["~ question order"]
