"""The library face of domc: compile and normalize a domain file."""

from __future__ import annotations

from attrs import frozen

from .emit.argv import emit_argv
from .emit.taskset import AffinityPlan, plan
from .model import Domain
from .parse import parse_file
from .env import Env
from .pipeline import normalize
from .profile import load_profile


@frozen
class Compiled:
    domain: Domain
    root: object  # the parsed lxml document, for write_normalized
    argv: tuple[str, ...]
    plan: AffinityPlan
    warnings: tuple[str, ...]


def make_env(profile: str | None = None, host: str | None = None,
             host_root: str | None = None) -> Env:
    return Env(profile=load_profile(profile), host_cpu_file=host, host_root=host_root)


def normalize_file(path: str, env: Env) -> tuple[Domain, object]:
    dom, root = parse_file(path)
    return normalize(dom, env), root


def compile_file(path: str, env: Env) -> Compiled:
    dom, root = normalize_file(path, env)
    argv = tuple(emit_argv(dom, env))
    warnings = tuple(d.render() for d in env.diag.warnings)
    return Compiled(dom, root, argv, plan(dom, env), warnings)
