"""Walk parsed shell text command by command: wrappers, nested shells, scripts, then recognisers.

What a shell would run is what is judged: ``sh -c``/``bash -lc``/``eval`` text is parsed again (up
to ``MAX_DEPTH`` levels), ``echo … | base64 -d | sh`` is decoded and parsed, ``source file`` sets
the variables the file sets, env prefixes and ``export`` change what later commands expand,
``env -u X`` removes a variable (so the CLI falls back to its config store), and small local files a
command runs (shell scripts, package.json scripts, Makefile targets, Python/JS files, ``.sql``) are
read and judged. What cannot be seen into becomes an ``opaque`` operation carrying whatever
credentials it might use; the policy asks about it, never allows it silently.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re

from scanner.guard.commands import shell
from scanner.guard.commands.context import MAX_DEPTH, Ctx
from scanner.guard.commands.model import OPAQUE, READ_CREDENTIAL, CredRef, Operation

SHELLS = {"sh", "bash", "zsh", "dash", "ksh", "ash", "fish", "busybox"}
INTERPRETERS = {"python", "python3", "python2", "node", "nodejs", "ruby", "perl", "deno", "bun", "php", "tsx",
                "ts-node"}
FILE_READERS = {"cat", "less", "more", "head", "tail", "grep", "egrep", "rg", "sed", "awk", "strings", "xxd",
                "od", "base64", "cp", "scp", "jq", "yq", "bat", "nl", "sort", "uniq", "cut", "tac", "diff",
                "rsync", "tee", "wc", "file", "openssl", "gpg", "vim", "vi", "nano", "emacs", "code", "view"}
SIMPLE_WRAPPERS = {"nohup", "time", "command", "exec", "builtin", "stdbuf", "unbuffer", "caffeinate", "then",
                   "do", "else", "elif", "if", "while", "until", "!", "{", "}", "noglob", "nocorrect"}
OPTION_WRAPPERS = {"sudo", "doas", "nice", "ionice", "chrt", "timeout", "taskset", "flock", "setsid", "script"}
RUNNERS = {("poetry", "run"), ("uv", "run"), ("pipenv", "run"), ("pdm", "run"), ("hatch", "run"),
           ("bundle", "exec"), ("pnpm", "exec"), ("pnpm", "dlx"), ("yarn", "dlx"), ("yarn", "exec"),
           ("npm", "exec"), ("rye", "run"), ("mise", "exec"), ("asdf", "exec"), ("nix", "run")}
SECRET_RUNNERS = {"doppler", "op", "infisical", "chamber", "aws-vault", "sops", "envchain", "dotenvx", "teller"}


def judge_text(text: str, ctx: Ctx) -> None:
    """Parse shell ``text`` and add every operation it would perform to ``ctx.ops``."""
    if ctx.depth > MAX_DEPTH:
        ctx.add(_opaque(ctx, "shell nesting deeper than the guard follows", [text]))
        return
    try:
        parsed = shell.parse(text)
    except shell.ShellSyntaxError as exc:
        ctx.add(_opaque(ctx, f"shell text the guard cannot parse ({exc})", [text]))
        return
    values: dict[int, str | None] = {}
    for index, inner in enumerate(parsed.substitutions):
        sub = ctx.child()
        judge_text(inner, sub)
        values[index] = evaluate(inner, ctx)
        if values[index] is None:
            # $(cat file) and friends: the value is the file's, even if the guard does not print it.
            values[index] = _cat_value(inner, ctx)
    for pipeline in parsed.pipelines:
        stdin: str | None = None
        for position, cmd in enumerate(pipeline):
            words = [_subst(w, values) for w in cmd.words]
            if position and cmd.piped_in and cmd.stdin_text is None and cmd.stdin_file is None:
                cmd.stdin_text = stdin
                if stdin is None:
                    cmd.piped_in = True
            judge_command(words, cmd, ctx, raw_words=cmd.words, sub_values=values)
            stdin = output_of(words, cmd, ctx)


def _subst(word: str, values: dict[int, str | None]) -> str:
    if shell.SUB_MARK not in word:
        return word
    value = shell.replace_subs(word, values)
    return word if value is None else value


def _cat_value(inner: str, ctx: Ctx) -> str | None:
    try:
        parsed = shell.parse(inner)
    except shell.ShellSyntaxError:
        return None
    if len(parsed.pipelines) == 1 and len(parsed.pipelines[0]) == 1:
        cmd = parsed.pipelines[0][0]
        if cmd.words and cmd.words[0] == "cat" and len(cmd.words) == 2:
            return ctx.read_text(cmd.words[1])
        if not cmd.words and cmd.stdin_file:
            return ctx.read_text(cmd.stdin_file)
    return None


def evaluate(text: str, ctx: Ctx) -> str | None:
    """The output of simple, side-effect-free pipelines (echo, printf, cat, base64 -d); else None."""
    try:
        parsed = shell.parse(text)
    except shell.ShellSyntaxError:
        return None
    if len(parsed.pipelines) != 1 or parsed.substitutions:
        return None
    out: str | None = None
    for position, cmd in enumerate(parsed.pipelines[0]):
        if position:
            cmd.stdin_text = out
        out = output_of(cmd.words, cmd, ctx)
        if out is None:
            return None
    return out


def output_of(words: list[str], cmd: shell.SimpleCommand, ctx: Ctx) -> str | None:
    if not words:
        return cmd.stdin_text
    name = os.path.basename(words[0])
    args = words[1:]
    if name == "echo":
        flags = [a for a in args if a in ("-n", "-e", "-E")]
        rest = args[len(flags):]
        text = " ".join(shell.expand(a, ctx.env) or a for a in rest)
        return text if "-n" in flags else text + "\n"
    if name == "printf" and args:
        fmt = args[0]
        if "%" not in fmt:
            return fmt.replace("\\n", "\n")
        return "".join(args[1:]) if fmt in ("%s", "%s\\n") else None
    if name == "cat":
        if not args:
            return cmd.stdin_text if cmd.stdin_text is not None else (
                ctx.read_text(cmd.stdin_file) if cmd.stdin_file else None)
        return ctx.read_text(args[0]) if len(args) == 1 else None
    if name in ("base64", "base32") and any(a in ("-d", "--decode", "-D") for a in args):
        data = cmd.stdin_text
        files = [a for a in args if not a.startswith("-")]
        if files:
            data = ctx.read_text(files[0])
        if data is None:
            return None
        try:
            decoded = base64.b64decode("".join(data.split()) + "==", validate=False) if name == "base64" \
                else base64.b32decode("".join(data.split()))
            return decoded.decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            return None
    if name == "xxd" and "-r" in args:
        data = cmd.stdin_text
        try:
            return bytes.fromhex("".join((data or "").split())).decode("utf-8", "replace") if data else None
        except ValueError:
            return None
    if name == "rev" and cmd.stdin_text is not None:
        return "\n".join(line[::-1] for line in cmd.stdin_text.split("\n"))
    return None


def judge_command(words: list[str], cmd: shell.SimpleCommand, ctx: Ctx, *, raw_words: list[str] | None = None,
                  sub_values: dict[int, str | None] | None = None) -> None:
    if any(shell.SUB_MARK in w for w in words):
        # A substitution whose value the guard cannot compute feeds this command.
        unknown = [w for w in words if shell.SUB_MARK in w]
        if words and shell.SUB_MARK in words[0]:
            ctx.add(_opaque(ctx, "the command name comes from a command substitution", words))
            return
        words = [w if shell.SUB_MARK not in w else "$__CREDREACH_UNKNOWN__" for w in words]
        del unknown
    assigns: dict[str, str] = {}
    while words and shell.ASSIGNMENT.match(words[0]):
        match = shell.ASSIGNMENT.match(words[0])
        assert match is not None
        assigns[match.group(1)] = shell.expand(match.group(2), ctx.env) or match.group(2)
        words = words[1:]
    if not words:
        for key, value in assigns.items():
            ctx.env[key] = value
            ctx.origin[key] = "the command"
            ctx.unset.discard(key)
        if assigns:
            refs = ctx.literal_refs(list(assigns.values()))
            del refs
        return
    if assigns:
        ctx = ctx.child()
        ctx.depth -= 1
        for key, value in assigns.items():
            ctx.env[key] = value
            ctx.origin[key] = "the command"
            ctx.unset.discard(key)
    name = os.path.basename(words[0])
    if "$" in words[0]:
        expanded = shell.expand(words[0], ctx.env)
        if not expanded or "$" in expanded:
            ctx.add(_opaque(ctx, f"the command name is a variable (`{words[0]}`)", words))
            return
        text = " ".join([expanded, *(_quote(w) for w in words[1:])])
        sub = ctx.child()
        sub.depth -= 1
        judge_text(text, sub)
        return
    args = words[1:]

    # --- wrappers ---------------------------------------------------------------------------
    if name in SIMPLE_WRAPPERS:
        if args:
            judge_command(args, cmd, ctx)
        return
    if name in OPTION_WRAPPERS:
        rest = _skip_options(args, name)
        if rest:
            judge_command(rest, cmd, ctx)
        return
    if name == "env":
        judge_env(args, cmd, ctx)
        return
    if name in ("export", "declare", "typeset", "local", "readonly"):
        for arg in args:
            match = shell.ASSIGNMENT.match(arg)
            if match:
                ctx.env[match.group(1)] = shell.expand(match.group(2), ctx.env) or match.group(2)
                ctx.origin[match.group(1)] = "the command"
                ctx.unset.discard(match.group(1))
        return
    if name == "unset":
        for arg in args:
            ctx.env.pop(arg, None)
            ctx.unset.add(arg)
        return
    if name in ("source", "."):
        if args:
            source_file(args[0], ctx)
        return
    if name == "eval":
        judge_text(" ".join(args), ctx.child())
        return
    if name == "xargs":
        judge_xargs(args, cmd, ctx)
        return
    if name in ("watch",):
        rest = _skip_options(args, name)
        if rest:
            judge_text(" ".join(rest), ctx.child())
        return
    if name in ("npx", "bunx", "pnpx"):
        rest = [a for a in args if a not in ("-y", "--yes", "--no-install", "-q", "--quiet")]
        if rest[:1] == ["-p"] and len(rest) > 2:
            rest = rest[2:]
        if rest:
            judge_command(rest, cmd, ctx)
        return
    if len(words) > 1 and (name, args[0]) in RUNNERS:
        rest = args[1:]
        if rest[:1] == ["--"]:
            rest = rest[1:]
        if rest:
            judge_command(rest, cmd, ctx)
        return
    if name in SECRET_RUNNERS or name == "dotenv":
        judge_secret_runner(name, args, cmd, ctx)
        return
    if name in SHELLS:
        judge_shell(name, args, cmd, ctx)
        return
    if name in INTERPRETERS or re.match(r"python3\.\d+$", name):
        from scanner.guard.commands import scripts

        scripts.judge_interpreter(name, args, cmd, ctx)
        return
    if "/" in words[0] and not name.startswith("-"):
        from scanner.guard.commands import scripts

        scripts.judge_script_file(words[0], args, cmd, ctx)
        return

    # --- recognisers --------------------------------------------------------------------------
    from scanner.guard.commands.registry import recogniser_for

    recogniser = recogniser_for(name, args)
    before = len(ctx.ops)
    if recogniser is not None:
        recogniser(name, args, cmd, ctx)
    if name in FILE_READERS or (cmd.stdin_file and len(ctx.ops) == before):
        judge_file_reads(name, args, cmd, ctx)
    if recogniser is None and len(ctx.ops) == before:
        refs = ctx.literal_refs(words) + [r for r in ctx.var_refs(words) if r.fingerprints]
        if ctx.injected:
            refs += ctx.injected
        if refs and name not in ("echo", "printf", "true", "false", "test", "[") or (refs and cmd.stdout_files):
            ctx.add(Operation("unknown", name, OPAQUE, credentials=tuple(refs),
                              summary=f"`{name}` (a program the guard has no rule for) with a credential"))
        elif refs and name in ("echo", "printf"):
            ctx.add(Operation("local", name, READ_CREDENTIAL, credentials=tuple(refs),
                              summary=f"`{name}` prints a credential into the agent's context"))


def _quote(word: str) -> str:
    return "'" + word.replace("'", "'\\''") + "'"


def _skip_options(args: list[str], name: str) -> list[str]:
    takes_value = {"sudo": {"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U"}, "nice": {"-n"},
                   "ionice": {"-c", "-n", "-p"}, "timeout": {"-s", "-k", "--signal", "--kill-after"},
                   "watch": {"-n", "--interval", "-d"}, "chrt": set(), "taskset": set(), "flock": {"-w"},
                   "setsid": set(), "script": {"-c"}, "doas": {"-u"}}.get(name, set())
    i = 0
    while i < len(args) and args[i].startswith("-"):
        if args[i] == "--":
            i += 1
            break
        if args[i] in takes_value:
            i += 1
        i += 1
    if name in ("timeout", "chrt", "taskset") and i < len(args):
        i += 1  # the duration / priority / mask
    return args[i:]


def judge_env(args: list[str], cmd: shell.SimpleCommand, ctx: Ctx) -> None:
    sub = ctx.child()
    sub.depth -= 1
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("-i", "--ignore-environment", "-"):
            sub.env = {}
            sub.unset |= set(ctx.env)
        elif arg in ("-u", "--unset"):
            if i + 1 < len(args):
                sub.env.pop(args[i + 1], None)
                sub.unset.add(args[i + 1])
                i += 1
        elif arg.startswith("--unset="):
            sub.env.pop(arg.split("=", 1)[1], None)
            sub.unset.add(arg.split("=", 1)[1])
        elif arg in ("-S", "--split-string") and i + 1 < len(args):
            judge_text(" ".join(args[i + 1:]), sub)
            return
        elif arg in ("-C", "--chdir") and i + 1 < len(args):
            sub.cwd = sub.resolve_path(args[i + 1])
            i += 1
        elif shell.ASSIGNMENT.match(arg):
            match = shell.ASSIGNMENT.match(arg)
            assert match is not None
            sub.env[match.group(1)] = match.group(2)
            sub.origin[match.group(1)] = "the command"
            sub.unset.discard(match.group(1))
        elif arg.startswith("-"):
            pass
        else:
            judge_command(args[i:], cmd, sub)
            return
        i += 1


def judge_xargs(args: list[str], cmd: shell.SimpleCommand, ctx: Ctx) -> None:
    takes_value = {"-n", "-P", "-L", "-s", "-d", "-E", "-a", "--max-args", "--max-procs", "--delimiter", "-I", "-i"}
    i = 0
    replace = None
    while i < len(args) and args[i].startswith("-"):
        if args[i] in ("-I", "-i") and i + 1 < len(args):
            replace = args[i + 1]
        if args[i] in takes_value:
            i += 1
        i += 1
    rest = args[i:] or ["echo"]
    items = (cmd.stdin_text or "").split() if cmd.stdin_text is not None else None
    if items is None:
        # Arguments come from a pipe the guard cannot see: judge the command with a placeholder
        # target, which no map resolves (so a destructive one counts as production).
        filled = [w.replace(replace, "$__XARGS__") if replace else w for w in rest]
        judge_command(filled if replace else [*filled, "$__XARGS__"], cmd, ctx)
        return
    for item in items[:20] or [""]:
        filled = [w.replace(replace, item) for w in rest] if replace else [*rest, item]
        judge_command(filled, shell.SimpleCommand(filled), ctx)


def judge_shell(name: str, args: list[str], cmd: shell.SimpleCommand, ctx: Ctx) -> None:
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("-c",) or (arg.startswith("-") and not arg.startswith("--") and "c" in arg[1:]):
            if i + 1 < len(args):
                judge_text(args[i + 1], ctx.child())
            else:
                ctx.add(_opaque(ctx, f"`{name} -c` without a command", args))
            return
        if arg in ("-s",) or arg == "-":
            break
        if arg.startswith("-") or arg.startswith("+"):
            if arg in ("-o", "+o", "--rcfile", "--init-file") and i + 1 < len(args):
                i += 1
            i += 1
            continue
        from scanner.guard.commands import scripts

        scripts.judge_script_file(arg, args[i + 1:], cmd, ctx, interpreter=name)
        return
    if cmd.stdin_text is not None:
        judge_text(cmd.stdin_text, ctx.child())
    elif cmd.stdin_file:
        text = ctx.read_text(cmd.stdin_file)
        if text is None:
            ctx.add(_opaque(ctx, f"`{name}` runs `{cmd.stdin_file}`, which the guard cannot read", args))
        else:
            judge_text(text, ctx.child())
    else:
        ctx.add(_opaque(ctx, f"`{name}` runs commands from a pipe the guard cannot see into", args))


def source_file(path: str, ctx: Ctx) -> None:
    text = ctx.read_text(path)
    absolute = ctx.resolve_path(path)
    if text is None:
        refs = ctx.file_refs(path)
        ctx.add(Operation("local", "source", OPAQUE, credentials=tuple(refs),
                          summary=f"`source {path}` (a file the guard cannot read)"))
        return
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("export "):
            stripped = stripped[7:].strip()
        match = shell.ASSIGNMENT.match(stripped)
        if match and " " not in match.group(2).strip().strip("'\""):
            value = match.group(2).strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            ctx.env[match.group(1)] = value
            ctx.origin[match.group(1)] = absolute
            ctx.unset.discard(match.group(1))
    sub = ctx.child()
    judge_text("\n".join(ln for ln in text.splitlines() if not shell.ASSIGNMENT.match(ln.strip().removeprefix(
        "export ").strip())), sub)


def judge_secret_runner(name: str, args: list[str], cmd: shell.SimpleCommand, ctx: Ctx) -> None:
    """``doppler run --``, ``op run --``, ``dotenv -e .env --``: the inner command gets secrets."""
    sub = ctx.child()
    sub.depth -= 1
    inner: list[str] = []
    if "--" in args:
        inner = args[args.index("--") + 1:]
    if name == "dotenv":
        files = [args[i + 1] for i, a in enumerate(args[:-1]) if a == "-e"] or [".env"]
        for file in files:
            source_file(file, sub)
        if not inner:
            inner = [a for i, a in enumerate(args) if not a.startswith("-") and (i == 0 or args[i - 1] != "-e")]
    else:
        sub.injected.append(CredRef("injected", f"secrets injected by `{name}`", (), provider=None))
    if inner:
        judge_command(inner, cmd, sub)
    else:
        ctx.add(_opaque(ctx, f"`{name}` with secrets it injects", args))


def judge_file_reads(name: str, args: list[str], cmd: shell.SimpleCommand, ctx: Ctx) -> None:
    """A command that reads a file the map says holds a credential puts the secret in the agent's view."""
    paths = [a for a in args if not a.startswith("-")]
    if cmd.stdin_file:
        paths.append(cmd.stdin_file)
    for path in paths[:16]:
        if "$" in path:
            continue
        refs = ctx.file_refs(path)
        if refs:
            ctx.add(Operation("local", f"{name} {path}", READ_CREDENTIAL, credentials=tuple(refs),
                              summary=f"`{name}` reads `{path}`, which holds a credential"))


def _opaque(ctx: Ctx, why: str, words: list[str]) -> Operation:
    refs = ctx.literal_refs(words) + ctx.var_refs(words) + list(ctx.injected)
    if not refs:
        # Cannot see in: whatever the agent's environment holds could be used.
        refs = ctx.ambient_refs()
    return Operation("unknown", "opaque", OPAQUE, credentials=tuple(refs), summary=why)


def json_loads(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        return None
