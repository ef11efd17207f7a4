"""Shell text -> simple commands, the way a POSIX shell would split it (enough to judge it).

A ``shlex`` tokenizer (``punctuation_chars``) does the quoting; before it runs, one pass over the
text pulls out what ``shlex`` cannot see: here-documents (their bodies become the command's stdin),
command substitutions ``$(...)`` and backticks (parsed as commands of their own: they run first,
and ``$(cat file)`` has a value the guard can compute), comments, line continuations, and unquoted
newlines (command separators). Pipelines keep their order so ``echo … | base64 -d | sh`` can be
evaluated. Anything the lexer chokes on (an unclosed quote) is reported as unparseable, which the
caller treats as opaque.
"""

from __future__ import annotations

import re
import shlex

from scanner.guard._record import dataclass, field

SEPARATORS = {";", "&&", "||", "&", "(", ")", ";;", "\n"}
PIPES = {"|", "|&"}
REDIRECTS = {">", ">>", "<", "<>", ">|", "&>", "&>>", ">&", "<&", "<<<", "2>", "2>>"}
SUB_MARK = "\x00S"
HEREDOC_MARK = "\x00H"
_SUB_RE = re.compile("\x00S(\\d+)\x00")
_HEREDOC_START = re.compile(r"<<(-?)[ \t]*(\\?)(['\"]?)([A-Za-z_][A-Za-z0-9_.-]*)\3")


class ShellSyntaxError(ValueError):
    """Text the tokenizer cannot split (an unclosed quote or substitution)."""


@dataclass
class SimpleCommand:
    words: list[str]
    stdin_text: str | None = None
    """Literal stdin when known: a here-document or here-string body."""
    stdin_file: str | None = None
    stdout_files: list[str] = field(default_factory=list)
    piped_in: bool = False
    """Stdin comes from the previous command of a pipeline."""


@dataclass
class Parsed:
    pipelines: list[list[SimpleCommand]]
    substitutions: list[str]
    """Inner text of each ``$(...)``/backtick, by index (words refer to them with SUB_MARK)."""


def sub_refs(word: str) -> list[int]:
    return [int(m.group(1)) for m in _SUB_RE.finditer(word)]


def replace_subs(word: str, values: dict[int, str | None]) -> str | None:
    """``word`` with each substitution replaced by its value; None if one is unknown."""
    unknown = False

    def repl(match: re.Match[str]) -> str:
        nonlocal unknown
        value = values.get(int(match.group(1)))
        if value is None:
            unknown = True
            return ""
        return value.rstrip("\n")

    text = _SUB_RE.sub(repl, word)
    return None if unknown else text


def _extract_heredocs(text: str) -> tuple[str, list[str]]:
    """Cut here-document bodies out of the text; the operator is left as ``< HEREDOC_MARKn``."""
    if "<<" not in text:
        return text, []
    lines = text.split("\n")
    out: list[str] = []
    bodies: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        pending: list[tuple[str, bool]] = []

        def mark(match: re.Match[str], pending: list[tuple[str, bool]] = pending, line: str = line) -> str:
            if match.start() > 0 and line[match.start() - 1] == "<":  # here-string <<<
                return match.group(0)
            pending.append((match.group(4), match.group(1) == "-"))
            return f"< {HEREDOC_MARK}{len(bodies) + len(pending) - 1}\x00"

        out.append(_HEREDOC_START.sub(mark, line) if "<<" in line else line)
        i += 1
        for delimiter, strip_tabs in pending:
            body: list[str] = []
            while i < len(lines):
                candidate = lines[i].lstrip("\t") if strip_tabs else lines[i]
                i += 1
                if candidate == delimiter:
                    break
                body.append(candidate)
            bodies.append("\n".join(body) + "\n")
    return "\n".join(out), bodies


def _matching_paren(text: str, start: int) -> int:
    """Index of the ``)`` closing the ``(`` at ``start``, honouring quotes; -1 if unclosed."""
    depth = 0
    i = start
    quote: str | None = None
    while i < len(text):
        ch = text[i]
        if quote == "'":
            if ch == "'":
                quote = None
        elif quote == '"':
            if ch == "\\":
                i += 1
            elif ch == '"':
                quote = None
        else:
            if ch == "\\":
                i += 1
            elif ch in "'\"":
                quote = ch
            elif ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth == 0:
                    return i
        i += 1
    return -1


def _prepass(text: str, subs: list[str]) -> str:
    """Substitutions out, comments out, continuations joined, unquoted newlines -> ``;``."""
    out: list[str] = []
    i = 0
    quote: str | None = None
    at_word_start = True
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and quote != "'":
            if text[i + 1] == "\n":
                i += 2
                continue
            out.append(text[i:i + 2])
            i += 2
            at_word_start = False
            continue
        if quote == "'":
            out.append(ch)
            if ch == "'":
                quote = None
            i += 1
            continue
        if ch == "$" and text.startswith("$((", i):
            end = text.find("))", i)
            out.append("0")
            i = len(text) if end < 0 else end + 2
            continue
        if (ch == "$" or (ch in "<>" and quote is None)) and i + 1 < len(text) and text[i + 1] == "(":
            end = _matching_paren(text, i + 1)
            if end < 0:
                raise ShellSyntaxError("unclosed $(")
            subs.append(text[i + 2:end])
            out.append(f"{SUB_MARK}{len(subs) - 1}\x00")
            i = end + 1
            at_word_start = False
            continue
        if ch == "`":
            end = text.find("`", i + 1)
            if end < 0:
                raise ShellSyntaxError("unclosed backtick")
            subs.append(text[i + 1:end])
            out.append(f"{SUB_MARK}{len(subs) - 1}\x00")
            i = end + 1
            at_word_start = False
            continue
        if quote == '"':
            out.append(ch)
            if ch == '"':
                quote = None
            i += 1
            continue
        if ch in "'\"":
            quote = ch
            out.append(ch)
            at_word_start = False
            i += 1
            continue
        if ch == "#" and at_word_start:
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
            continue
        if ch == "\n":
            out.append(" ; ")
            at_word_start = True
            i += 1
            continue
        out.append(ch)
        at_word_start = ch in " \t;&|()"
        i += 1
    if quote:
        raise ShellSyntaxError("unclosed quote")
    return "".join(out)


def parse(text: str) -> Parsed:
    text, bodies = _extract_heredocs(text)
    subs: list[str] = []
    flat = _prepass(text, subs)
    lexer = shlex.shlex(flat, posix=True, punctuation_chars=";&|()<>")
    lexer.whitespace_split = True
    lexer.commenters = ""
    try:
        tokens = list(lexer)
    except ValueError as exc:
        raise ShellSyntaxError(str(exc)) from None
    pipelines: list[list[SimpleCommand]] = []
    current: list[SimpleCommand] = []
    cmd = SimpleCommand([])
    i = 0

    def close_command(piped: bool) -> None:
        nonlocal cmd
        if cmd.words or cmd.stdin_text is not None:
            current.append(cmd)
        cmd = SimpleCommand([], piped_in=piped and bool(current))

    while i < len(tokens):
        tok = tokens[i]
        if tok in PIPES:
            close_command(True)
        elif tok in SEPARATORS or tok in (";;&", ";&"):
            close_command(False)
            if current:
                pipelines.append(current)
            current = []
            cmd = SimpleCommand([])
        elif tok in REDIRECTS or (tok and set(tok) <= set("<>&|") and tok not in ("&&", "||")):
            target = tokens[i + 1] if i + 1 < len(tokens) else ""
            i += 1
            if cmd.words and cmd.words[-1].isdigit():
                cmd.words.pop()  # the fd number of `2>file`
            if tok == "<" and target.startswith(HEREDOC_MARK):
                index = int(target[len(HEREDOC_MARK):].rstrip("\x00") or 0)
                cmd.stdin_text = bodies[index] if index < len(bodies) else ""
            elif tok == "<<<":
                cmd.stdin_text = target + "\n"
            elif tok in ("<", "<>"):
                cmd.stdin_file = target
            elif target and not target.startswith("&") and not target.isdigit():
                cmd.stdout_files.append(target)
        else:
            cmd.words.append(tok)
        i += 1
    close_command(False)
    if current:
        pipelines.append(current)
    return Parsed(pipelines, subs)


_VAR_RE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:[:#%/][^}]*)?\}|([A-Za-z_][A-Za-z0-9_]*))")


def variables_in(word: str) -> list[str]:
    return [m.group(1) or m.group(2) for m in _VAR_RE.finditer(word)]


def expand(word: str, env: dict[str, str]) -> str | None:
    """``$NAME``/``${NAME}`` replaced from ``env``; None when a variable's value is unknown."""
    unknown = False

    def repl(match: re.Match[str]) -> str:
        nonlocal unknown
        name = match.group(1) or match.group(2)
        if name in env:
            return env[name]
        unknown = True
        return ""

    text = _VAR_RE.sub(repl, word)
    return None if unknown else text


ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)
