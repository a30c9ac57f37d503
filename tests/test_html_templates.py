"""HTML is built one way: Jinja2 templates with autoescaping (``backstride/report/templates``,
``backstride/web/templates``). No module writes HTML tags by formatting strings, where a value the
runner typed would land unescaped; the scan below finds such code by its syntax tree."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "backstride"

#: Element names of HTML and of the SVG drawn inside it (lower case, as the package writes them).
ELEMENTS = frozenset(
    """a abbr article aside b blockquote body br button caption code dd details div dl dt em fieldset
    figcaption figure footer form h1 h2 h3 h4 h5 h6 head header hr html i img input label legend li
    link main meta nav ol option p pre script section select small span strong style sub summary sup
    table tbody td textarea tfoot th thead time title tr u ul
    svg g rect circle line polyline polygon path text tspan defs""".split()  # noqa: SIM905 (reads better as words)
)
TAG = re.compile(r"(?<!\?P)</?([a-z][a-z0-9]*)(?=[\s/>])")  # not a regex group (?P<name>

#: Modules allowed to format markup, and why.
ALLOWED = {
    # The report's SVG plotting kit: one small element per data point (a template per point would
    # be slower and no clearer); every text it writes goes through html.escape.
    "report/svg.py": "inline-SVG plotting kit, escapes its text",
    # GPX 1.1 writers: XML files for other apps, not HTML (GPX has its own <time> and <name>).
    "importers/gpx.py": "GPX (XML) writer",
    "simulate/health_export/routes.py": "the simulated Apple Health export's GPX routes (XML)",
}


def _tags(text: str) -> set[str]:
    return {m.group(1) for m in TAG.finditer(text)} & ELEMENTS


def _is_literal(node: ast.expr) -> bool:
    """A string literal, or a choice between string literals."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.IfExp):
        return _is_literal(node.body) and _is_literal(node.orelse)
    return False


def _literal_text(node: ast.expr) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.IfExp):
        return _literal_text(node.body) + _literal_text(node.orelse)
    return ""


def _operands(node: ast.expr) -> list[ast.expr]:
    """The terms of a chain of ``+``."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return [*_operands(node.left), *_operands(node.right)]
    return [node]


def markup_formatting(source: str) -> list[tuple[int, str]]:
    """Lines that build HTML tags around computed values: f-strings, ``"...".format()``, ``%`` and
    ``+`` on string literals holding a tag (``Markup("...").format()`` escapes, so it passes)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        text = ""
        if isinstance(node, ast.JoinedStr) and any(isinstance(v, ast.FormattedValue) for v in node.values):
            text = "".join(_literal_text(v) for v in node.values if isinstance(v, ast.Constant))
        elif (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"
        ):
            text = _literal_text(node.func.value)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            text = _literal_text(node.left)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            terms = _operands(node)
            if not all(_is_literal(t) for t in terms):
                text = "".join(_literal_text(t) for t in terms)
        tags = _tags(text)
        if tags:
            found.append((node.lineno, ", ".join(sorted(tags))))
    return sorted(set(found))


def test_no_module_formats_html_outside_templates() -> None:
    offenders = {}
    for path in sorted(SRC.rglob("*.py")):
        name = path.relative_to(SRC).as_posix()
        lines = markup_formatting(path.read_text(encoding="utf-8"))
        if lines and name not in ALLOWED:
            offenders[name] = lines
    assert not offenders, f"render HTML through a template (backstride.report.templating): {offenders}"


def test_the_allowed_modules_still_need_their_place_on_the_list() -> None:
    for name in ALLOWED:
        assert markup_formatting((SRC / name).read_text(encoding="utf-8")), f"{name} formats no markup now"


def test_the_scan_sees_each_way_of_formatting_html() -> None:
    assert markup_formatting('x = f"<td>{name}</td>"') == [(1, "td")]
    assert markup_formatting('x = "<p>{}</p>".format(name)') == [(1, "p")]
    assert markup_formatting('x = "<li>%s</li>" % name') == [(1, "li")]
    assert markup_formatting('x = "<tr><td>" + name + "</td></tr>"') == [(1, "td, tr")]
    assert markup_formatting('x = "<p>" + ("a" if ok else "b") + "</p>"') == []  # literals only
    assert markup_formatting("x = Markup('<li>{}</li>').format(name)") == []  # escapes its arguments
    assert markup_formatting('x = f"<Record {attrs}/>"') == []  # XML, not an HTML element
    assert markup_formatting('x = f"a < {b} and {c} > d"') == []
    assert markup_formatting('x = re.compile(rf"(?P<a>{n})")') == []  # a regex group
