"""GraphQL documents -> (operation type, root fields with their string arguments), by a small lexer.

Why not graphql-core on the hook path: importing it costs ~150 ms, more than the whole decision
budget. The lexer follows the GraphQL spec's lexical grammar (names, punctuators, strings and block
strings, numbers, comments, commas as whitespace) and reads just the operation's root selection
set, resolving ``$variables`` from the request's ``variables``. A test checks it against
graphql-core on the same documents. A document it cannot read is reported as unparseable; callers
treat an unparseable document that contains ``mutation`` as an opaque mutation (asked, not allowed).
"""

from __future__ import annotations

import re

from scanner.guard._record import dataclass, field

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on the hook path
if TYPE_CHECKING:
    from typing import Any

_TOKEN = re.compile(r'''
    (?P<ws>[\s,\ufeff]+|\#[^\n\r]*)
  | (?P<block>"""(?:\\"""|[^"]|"(?!""))*""")
  | (?P<string>"(?:\\.|[^"\\\n])*")
  | (?P<spread>\.\.\.)
  | (?P<punct>[!$&()\:=@\[\]{|}])
  | (?P<name>[_A-Za-z][_0-9A-Za-z]*)
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
''', re.X)


class GraphQLSyntaxError(ValueError):
    pass


@dataclass(frozen=True)
class RootField:
    name: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Operation:
    kind: str
    """``query`` | ``mutation`` | ``subscription``."""
    fields: tuple[RootField, ...]


def _tokens(text: str) -> list[tuple[str, str]]:
    out = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            raise GraphQLSyntaxError(f"unexpected character at {pos}")
        pos = match.end()
        kind = match.lastgroup or ""
        if kind == "ws":
            continue
        out.append((kind, match.group(0)))
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], variables: dict[str, Any]) -> None:
        self.tokens = tokens
        self.i = 0
        self.variables = variables

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.i] if self.i < len(self.tokens) else ("eof", "")

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token[0] == "eof" or (value is not None and token[1] != value):
            raise GraphQLSyntaxError(f"expected {value or 'a token'}, got {token[1] or 'end'}")
        self.i += 1
        return token

    def document(self) -> list[Operation]:
        ops = []
        while self.peek()[0] != "eof":
            kind, value = self.peek()
            if value == "{":
                ops.append(Operation("query", self.selection_set(root=True)))
            elif value in ("query", "mutation", "subscription"):
                self.take()
                if self.peek()[0] == "name":
                    self.take()
                if self.peek()[1] == "(":
                    self.skip_group("(", ")")
                self.directives()
                ops.append(Operation(value, self.selection_set(root=True)))
            elif value == "fragment":
                self.take()
                while self.peek()[1] != "{":
                    self.take()
                self.skip_group("{", "}")
            else:
                raise GraphQLSyntaxError(f"unexpected {value}")
        return ops

    def directives(self) -> None:
        while self.peek()[1] == "@":
            self.take()
            self.take()
            if self.peek()[1] == "(":
                self.skip_group("(", ")")

    def skip_group(self, open_: str, close: str) -> None:
        depth = 0
        while True:
            _, value = self.take()
            if value == open_:
                depth += 1
            elif value == close:
                depth -= 1
                if depth == 0:
                    return

    def selection_set(self, root: bool = False) -> tuple[RootField, ...]:
        self.take("{")
        fields: list[RootField] = []
        while self.peek()[1] != "}":
            if self.peek()[0] == "spread":
                self.take()
                if self.peek()[1] == "on":
                    self.take()
                    self.take()
                self.directives()
                if self.peek()[1] == "{":
                    fields.extend(self.selection_set(root))
                elif self.peek()[0] == "name":
                    self.take()
                continue
            kind, name = self.take()
            if kind != "name":
                raise GraphQLSyntaxError(f"expected a field, got {name}")
            if self.peek()[1] == ":":
                self.take()
                name = self.take()[1]
            args: dict[str, Any] = {}
            if self.peek()[1] == "(":
                args = self.arguments()
            self.directives()
            if self.peek()[1] == "{":
                self.selection_set()
            fields.append(RootField(name, args))
        self.take("}")
        return tuple(fields)

    def arguments(self) -> dict[str, Any]:
        self.take("(")
        args: dict[str, Any] = {}
        while self.peek()[1] != ")":
            name = self.take()[1]
            self.take(":")
            args[name] = self.value()
        self.take(")")
        return args

    def value(self) -> Any:
        kind, value = self.take()
        if kind == "string":
            return _unescape(value[1:-1])
        if kind == "block":
            return value[3:-3]
        if kind == "number":
            return float(value) if "." in value or "e" in value.lower() else int(value)
        if value == "$":
            return self.variables.get(self.take()[1])
        if value == "[":
            items = []
            while self.peek()[1] != "]":
                items.append(self.value())
            self.take("]")
            return items
        if value == "{":
            obj = {}
            while self.peek()[1] != "}":
                key = self.take()[1]
                self.take(":")
                obj[key] = self.value()
            self.take("}")
            return obj
        if value in ("true", "false"):
            return value == "true"
        if value == "null":
            return None
        return value  # enum


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    import json

    try:
        return str(json.loads(f'"{text}"'))
    except ValueError:
        return text


def parse(document: str, variables: dict[str, Any] | None = None) -> list[Operation]:
    return _Parser(_tokens(document), variables or {}).document()


def from_body(body: Any) -> list[tuple[list[Operation] | None, str]]:
    """GraphQL operations in an HTTP JSON body (one request or a batch); (None, text) if unreadable."""
    items = body if isinstance(body, list) else [body]
    out: list[tuple[list[Operation] | None, str]] = []
    for item in items[:50]:
        if not isinstance(item, dict) or not isinstance(item.get("query"), str):
            continue
        variables = item.get("variables") if isinstance(item.get("variables"), dict) else {}
        try:
            ops = parse(item["query"], variables)
            name = item.get("operationName")
            if name and len(ops) > 1:
                ops = ops  # the named one runs; judging all is stricter and safe
            out.append((ops, item["query"]))
        except GraphQLSyntaxError:
            out.append((None, item["query"]))
    return out
