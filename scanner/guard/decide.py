"""From operations to one decision with a reason naming the credential, the resource and the rule.

For each operation: which credentials it would use (resolved against the reach map; a value the
map does not know, or no map at all, is an *unknown* credential), what the target is and its
environment class, whether that is outside the task, then the policy. The class follows the
strictest of: the target's class in the map (a resource with instances in several environments
is production), what the credential reaches with that operation when the target cannot be
resolved, and names in the command itself (``--environment prod``, ``db.prod.host``). A delete or
admin on a production-class target is blocked whether the capability is certain or only possible.
The strictest operation decides the tool call.
"""

from __future__ import annotations

import os

from scanner.guard import envclass
from scanner.guard import policy as pol
from scanner.guard._record import dataclass, field
from scanner.guard.commands.model import ADMIN, DELETE, OPAQUE, READ, READ_CREDENTIAL, CredRef, Operation
from scanner.guard.reachmap import MapCredential, MapResource, ReachMap

_VERB = {pol.BLOCK: "blocked", pol.ASK: "needs approval", pol.MONITOR: "allowed and logged", pol.ALLOW: "allowed"}
_PROVIDER_NAMES = {"railway": "Railway", "github": "GitHub", "aws": "AWS", "gcp": "Google Cloud", "azure": "Azure",
                   "postgres": "PostgreSQL", "kubernetes": "Kubernetes", "vercel": "Vercel", "fly": "Fly.io",
                   "heroku": "Heroku", "supabase": "Supabase", "stripe": "Stripe", "database": "database"}


@dataclass(frozen=True)
class Verdict:
    decision: str
    rule: str
    reason: str
    operation: Operation | None = None
    credential_ids: tuple[str, ...] = ()
    env_class: str | None = None
    problems: tuple[str, ...] = field(default_factory=tuple)


ALLOW_NOTHING = Verdict(pol.ALLOW, "no-operation", "allowed: nothing the guard judges")


def _creds_of(op: Operation, reach: ReachMap | None) -> list[tuple[MapCredential | None, CredRef | None]]:
    out: list[tuple[MapCredential | None, CredRef | None]] = []
    usable = reach is not None and reach.usable
    for ref in op.credentials:
        if not ref.fingerprints:
            out.append((None, ref))
            continue
        for fp in ref.fingerprints:
            cred = reach.credentials.get(fp) if usable and reach else None
            if (cred, ref) not in out:
                out.append((cred, ref))
    return out


def _match_targets(op: Operation, creds: list[MapCredential], reach: ReachMap | None) -> list[MapResource]:
    if not op.targets:
        return []
    pools = [creds] if creds else []
    if reach is not None and reach.usable:
        pools.append([c for c in reach.credentials.values() if c.provider == op.provider or not creds])
    wanted = {t.lower() for t in op.targets if t}
    for pool in pools:
        found: list[MapResource] = []
        for cred in pool:
            for resource in cred.resources:
                if op.target_kind and resource.kind != op.target_kind and resource.kind.split()[-1] != op.target_kind:
                    continue
                hit = resource.name.lower() in wanted or bool(resource.id and resource.id.lower() in wanted)
                if hit and resource not in found:
                    found.append(resource)
        if found:
            return found
    return []


def _shared(resources: list[MapResource]) -> dict[tuple[str, str, str | None], list[MapResource]]:
    groups: dict[tuple[str, str, str | None], list[MapResource]] = {}
    for resource in resources:
        groups.setdefault((resource.kind, resource.name, resource.parent), []).append(resource)
    return groups


def _cred_text(cred: MapCredential | None, ref: CredRef | None, workspace: str, home: str) -> str:
    if cred is None:
        what = ref.detail if ref else "no credential the guard can identify"
        return f"an unknown credential ({what}; unknown counts as production)"
    provider = _PROVIDER_NAMES.get(cred.provider, cred.provider)
    kind = cred.kind.replace(f"{cred.provider}_", "").replace("_", " ")
    where = _where(cred, workspace, home)
    via = f", used through {ref.detail}" if ref and ref.how in ("env", "store", "injected") else ""
    return f"the {provider} {kind} `{cred.preview}` found in {where}{via}"


def _where(cred: MapCredential, workspace: str, home: str) -> str:
    places = []
    for loc in cred.locations[:2]:
        if loc.env_var:
            places.append(f"environment variable `{loc.env_var}`")
        elif loc.abspath and workspace and loc.abspath.startswith(workspace.rstrip("/") + "/"):
            places.append(f"`{os.path.relpath(loc.abspath, workspace)}`")
        elif loc.abspath and home and loc.abspath.startswith(home.rstrip("/") + "/"):
            places.append(f"`~/{os.path.relpath(loc.abspath, home)}`")
        else:
            places.append(f"`{loc.path}`")
    more = f" (+{len(cred.locations) - 2} more)" if len(cred.locations) > 2 else ""
    return " and ".join(places) + more if places else "an unrecorded place"


def judge(op: Operation, reach: ReachMap | None, task_env: str | None, policy: pol.Policy, workspace: str,
          home: str) -> Verdict:
    pairs = _creds_of(op, reach)
    known = [c for c, _ in pairs if c is not None]
    target_resources = _match_targets(op, known, reach)
    hint_classes = [envclass.classify(h) for h in op.hints if envclass.classify(h) != envclass.UNKNOWN]
    basis = ""
    if op.local:
        classes = [h for h in op.hints if h in envclass.RANK] + hint_classes
        cls = envclass.strictest(classes) if classes else envclass.UNKNOWN
        if cls == envclass.UNKNOWN:
            cls = pol.LOCAL_UNKNOWN
        target_text = (op.summary or op.operation)
    elif op.target_kind == "branch" and hint_classes:
        # A git branch's class is its name (main is production, feature/x development): the
        # credential pushing it reaches the whole repository, which says nothing about the branch.
        cls = envclass.strictest(hint_classes)
        target_text = f"branch {', '.join(f'`{t}`' for t in op.targets[:3])} (class {cls} from its name)"
    elif target_resources:
        groups = _shared(target_resources)
        classes = []
        texts = []
        for (_kind, _name, _parent), members in groups.items():
            envs = sorted({m.environment for m in members if m.environment})
            member_classes = {m.env_class for m in members}
            if len(envs) > 1 or len(member_classes) > 1:
                classes.append(envclass.PRODUCTION)
                first = max(members, key=lambda m: envclass.RANK.get(m.env_class, 2))
                described = first.describe()
                shared = "shared with " + ", ".join(f"`{e}`" for e in envs if e != first.environment)
                texts.append(f"{described[:-1]}; {shared}: counts as production)" if described.endswith(")")
                             else f"{described} ({shared}: counts as production)")
            else:
                classes.append(envclass.strictest([m.env_class for m in members]))
                texts.append(members[0].describe())
        cls = envclass.strictest(classes + hint_classes)
        target_text = "; ".join(texts[:3])
    else:
        reach_classes: list[str] = []
        reached: list[MapResource] = []
        for cred, _ref in pairs or [(None, None)]:
            if cred is None:
                reach_classes.append(envclass.UNKNOWN)
                continue
            resources = cred.reach(op.action if op.action in (DELETE, ADMIN) else None, op.operation)
            if op.target_kind:
                resources = [r for r in resources if r.kind == op.target_kind] or resources
            reached += resources
            reach_classes += [r.env_class for r in resources] or [envclass.UNKNOWN]
        cls = envclass.strictest(reach_classes + hint_classes)
        named = ", ".join(f"`{t}`" for t in op.targets[:2])
        worst = sorted(reached, key=lambda r: -envclass.RANK.get(r.env_class, 2))[:1]
        if named:
            target_text = f"{op.target_kind or 'target'} {named} (not in the reach map" + (
                f"; the credential reaches {worst[0].describe()}" if worst else "") + ")"
        else:
            target_text = (f"what the credential reaches, e.g. {worst[0].describe()}" if worst
                           else "a target the guard cannot name")
        basis = "what the credential reaches"
        if hint_classes:
            target_text += f", named `{'`, `'.join(op.hints[:2])}` in the command"
            basis += " and names in the command"
    task_cls = envclass.task_class(task_env)
    effective = envclass.PRODUCTION if cls == pol.LOCAL_UNKNOWN and task_cls else cls
    outside = task_cls is not None and op.action != READ and effective != task_cls and not (
        op.local and cls in (envclass.DEVELOPMENT,))
    destructive_reach = any(
        any(cap.action in (DELETE, ADMIN) and any(envclass.production_like(c.resources[i].env_class)
                                                  for i in cap.resources) for cap in c.capabilities)
        for c in known)
    has_credential = bool(known) or (op.action == OPAQUE and bool(pairs))
    decision, rule = pol.default_decision(op.action, cls, outside, has_credential, destructive_reach)
    decision, rule = pol.apply(policy, decision, rule, action=op.action, cls=cls, outside=outside,
                               provider=op.provider, operation=op.operation)
    def worst_reach(c: MapCredential) -> int:
        """How production-like the part of the target (or of its reach for this action) this credential holds."""
        held = [r for r in c.resources if r in target_resources] or [
            c.resources[i] for cap in c.capabilities if cap.action == op.action for i in cap.resources]
        return max((envclass.RANK.get(r.env_class, 2) for r in held), default=-1)

    known_pairs = sorted(((c, r) for c, r in pairs if c is not None), key=lambda p: -worst_reach(p[0]))
    cred, ref = known_pairs[0] if known_pairs else (pairs[0] if pairs else (None, None))
    if op.local:
        with_text = ""
    else:
        with_text = " with " + _cred_text(cred, ref, workspace, home)
        if len(pairs) > 1:
            with_text += f" (and {len(pairs) - 1} other credential{'s' if len(pairs) > 2 else ''})"
    task_text = f"; the task is `{task_env}`" if task_env else ""
    stale = ""
    if reach is None:
        stale = "; no reach map for this workspace (run `credreach preflight`), so every credential is unknown"
    elif reach.stale:
        stale = "; the reach map is stale (re-run `credreach preflight`), so every credential is unknown"
    by = f" [class from {basis}]" if basis and not op.local else ""
    what = f"`{op.operation}`" + (f" ({op.summary})" if op.summary and op.action in (OPAQUE, READ_CREDENTIAL)
                                  else "")
    reason = (f"{_VERB[decision]}: {what} on {target_text}{with_text}{task_text} "
              f"(rule `{rule}`{by}){stale}")
    return Verdict(decision, rule, reason, op, tuple(c.id for c in known), cls, policy.problems)


def decide(ops: list[Operation], reach: ReachMap | None, task_env: str | None, policy: pol.Policy,
           workspace: str, home: str) -> Verdict:
    best: Verdict | None = None
    for op in ops:
        verdict = judge(op, reach, task_env, policy, workspace, home)
        if best is None or pol.RANK[verdict.decision] > pol.RANK[best.decision]:
            best = verdict
    return best or ALLOW_NOTHING
