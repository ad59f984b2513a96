"""Reading survey pages in tests: a small HTML tree, and a respondent without JavaScript
who fills in forms the way a browser would send them (only enabled fields)."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import httpx
from fastapi.testclient import TestClient

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    parent: Node | None = None
    children: list[Node | str] = field(default_factory=list)

    def __getitem__(self, name: str) -> str:
        return self.attrs[name]

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.attrs.get(name, default)

    def has(self, name: str) -> bool:
        return name in self.attrs

    def text(self) -> str:
        parts = [c if isinstance(c, str) else c.text() for c in self.children]
        return " ".join(" ".join(parts).split())

    def raw_text(self) -> str:
        return "".join(c if isinstance(c, str) else c.raw_text() for c in self.children)

    def walk(self):
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.walk()

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        wanted = {k.rstrip("_").replace("_", "-"): v for k, v in attrs.items()}
        return [
            n
            for n in self.walk()
            if (tag is None or n.tag == tag) and all(n.attrs.get(k) == v for k, v in wanted.items())
        ]

    def find(self, tag: str | None = None, **attrs: str) -> Node | None:
        found = self.find_all(tag, **attrs)
        return found[0] if found else None

    def by_id(self, element_id: str) -> Node:
        found = self.find(id=element_id)
        assert found is not None, f"no element #{element_id}"
        return found

    def is_hidden(self) -> bool:
        """Hidden by its own or an ancestor's `hidden` attribute."""
        node: Node | None = self
        while node is not None:
            if node.has("hidden"):
                return True
            node = node.parent
        return False


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs}, self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_endtag(self, tag: str) -> None:
        node: Node | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def parse(html: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(html)
    return builder.root


def displayed_questions(page: Node) -> list[str]:
    """The ids of the questions a respondent sees on a module page."""
    return [
        n["data-question"]
        for n in page.find_all("div")
        if n.has("data-question") and not n.is_hidden()
    ]


def form_data(page: Node, answers: dict[str, Any], action: str = "next") -> list[tuple[str, str]]:
    """What a browser without JavaScript sends for the page's form after the respondent
    gave `answers` (question id -> option code, list of codes, or text). Answering a
    question that is not on screen, or choosing an option that is not, fails the test."""
    form = page.find("form")
    assert form is not None
    data: list[tuple[str, str]] = []
    answered = set()
    for node in form.walk():
        if node.tag not in ("input", "textarea", "button") or node.has("disabled"):
            continue
        name, kind = node.get("name"), node.get("type", "text")
        if name is None:
            continue
        if node.tag == "button":
            if node.get("value") == action:
                data.append((name, action))
            continue
        if kind == "hidden":
            data.append((name, node.get("value", "")))
        elif kind in ("radio", "checkbox"):
            if name in answers:
                assert not node.is_hidden(), f"{name}={node['value']} is not on screen"
                chosen = answers[name] if isinstance(answers[name], list) else [answers[name]]
                if node["value"] in chosen:
                    data.append((name, node["value"]))
                    answered.add((name, node["value"]))
            elif node.has("checked"):
                data.append((name, node["value"]))
        else:
            value = (
                answers[name]
                if name in answers
                else (node.raw_text() if node.tag == "textarea" else node.get("value", ""))
            )
            assert name not in answers or not node.is_hidden(), f"{name} is not on screen"
            data.append((name, str(value)))
            answered.add((name, str(value)))
    for name, value in answers.items():
        for code in value if isinstance(value, list) else [value]:
            assert (name, str(code)) in answered, f"{name}={code} is not a field on this page"
    return data


class Respondent:
    """A respondent whose browser runs no JavaScript, driving the app through TestClient.
    Every URL requested and every Location and Set-Cookie received is recorded."""

    def __init__(self, client: TestClient):
        self.client = client
        self.urls: list[str] = []
        self.locations: list[str] = []
        self.set_cookies: list[str] = []
        self.page: Node | None = None
        self.response: httpx.Response | None = None

    def _record(self, response: httpx.Response) -> httpx.Response:
        for step in [*response.history, response]:
            self.urls.append(str(step.request.url))
            if "location" in step.headers:
                self.locations.append(step.headers["location"])
            self.set_cookies.extend(step.headers.get_list("set-cookie"))
        self.response = response
        if response.headers.get("content-type", "").startswith("text/html"):
            self.page = parse(response.text)
        return response

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self._record(self.client.get(url, **kwargs))

    def post(self, url: str, data: list[tuple[str, str]], **kwargs: Any) -> httpx.Response:
        fields: dict[str, list[str]] = {}
        for name, value in data:
            fields.setdefault(name, []).append(value)
        return self._record(self.client.post(url, data=fields, **kwargs))

    def start(
        self, code: str, wave: str | None = None, lang: str = "nl", resume_key: str = ""
    ) -> httpx.Response:
        """Open the code page and send the code (and the wave, when several are open; the
        resume key, when the respondent saved answers)."""
        self.get("/" if lang == "nl" else f"/?lang={lang}")
        assert self.page is not None
        answers = {"code": code, "resume_key": resume_key}
        if wave is not None:
            answers["wave"] = wave
        return self.answer(answers)

    def answer(self, answers: dict[str, Any], action: str = "next") -> httpx.Response:
        """Fill in the current page's form and send it."""
        assert self.page is not None
        form = self.page.find("form")
        assert form is not None
        return self.post(form["action"], form_data(self.page, answers, action))

    def path(self) -> str:
        assert self.response is not None
        return self.response.url.path

    def step(self) -> str | None:
        """Which survey page this is: the page says so in <main data-step> (a module id, or
        "review"). Not the address, which is /vragenlijst for every one of them; the HTML
        is neither a browser history nor a log."""
        assert self.page is not None
        main = self.page.find("main")
        return main.get("data-step") if main is not None else None

    def go_to(self, step: str) -> None:
        """Back through the pages (the "Back" button) until `step` is shown."""
        for _ in range(20):
            if self.step() == step:
                return
            self.answer({}, action="back")
        raise AssertionError(f"{step} is not before {self.step()}")
