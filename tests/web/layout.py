"""Whether anything on a page covers its text, as a reader on a small screen would see
it: the page is scrolled through screen by screen, and at each text line a few points
are hit-tested (`document.elementFromPoint`). A line is covered when the element on top
there is neither its own element nor one inside or around it: a floating button, a
positioned box, a label running into another. Text that has scrolled under a bar spanning
the whole width (a sticky header) is out of view, not covered."""

from __future__ import annotations

from typing import Any

COVERED_TEXT = """() => {
  const width = innerWidth, height = innerHeight;
  const bar = (element) => {
    for (let e = element; e; e = e.parentElement) {
      const position = getComputedStyle(e).position;
      if (position === "sticky" || position === "fixed") {
        const box = e.getBoundingClientRect();
        return box.left <= 0 && box.right >= width;
      }
    }
    return false;
  };
  const covered = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const text = walker.currentNode;
    const own = text.parentElement;
    if (!text.data.trim() || own.closest(".visually-hidden, noscript, script, style")) continue;
    if (getComputedStyle(own).visibility !== "visible") continue;
    const range = document.createRange();
    range.selectNodeContents(text);
    for (const line of range.getClientRects()) {
      if (line.width < 2 || line.height < 2) continue;
      const y = line.top + line.height / 2;
      for (const share of [0.1, 0.5, 0.9]) {
        const x = line.left + line.width * share;
        if (x < 0 || x >= width || y < 0 || y >= height) continue;
        const top = document.elementFromPoint(x, y);
        if (!top || top === own || own.contains(top) || top.contains(own) || bar(top)) continue;
        const name = (top.className && top.className.baseVal !== undefined)
          ? top.className.baseVal : top.className;
        const what = text.data.trim().slice(0, 40);
        covered.push(`"${what}" under <${top.tagName.toLowerCase()} class="${name}">`);
        break;
      }
    }
  }
  return covered;
}"""


def covered_text(page: Any) -> list[str]:
    """Every text line that something covers, anywhere on the page (scrolled through)."""
    found: list[str] = []
    page.mouse.move(0, 0)  # no tooltip of a hovered figure (covering is what it is for)
    height = page.evaluate("document.documentElement.scrollHeight")
    step = max(100, int(page.viewport_size["height"] * 0.6))
    for top in range(0, height, step):
        page.evaluate("y => window.scrollTo({top: y, behavior: 'instant'})", top)
        found += [c for c in page.evaluate(COVERED_TEXT) if c not in found]
    page.evaluate("window.scrollTo({top: 0, behavior: 'instant'})")
    return found
