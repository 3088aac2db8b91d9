"""Mutation testing of the safety-critical modules (`make mutation`; not part of `make test`).

For each module of tests/mutation/modules.toml: a scratch copy of the repository, a mutmut
configuration that mutates only that module's sources and runs only its test files, `mutmut
run`, then the score: killed / (mutants − equivalent); a mutant no test reaches counts as not killed. The report lists every
survivor with its diff (`mutmut show`); mutants reviewed as equivalent live in the toml's
[equivalent] table with a one-line reason.

    python tests/mutation/run.py                 # every module
    python tests/mutation/run.py crops tokens    # some
    python tests/mutation/run.py --list          # the modules and their tests

The report: var/mutation/report.md (and report.json); exit 1 when a module is under --target.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).with_name("modules.toml")
PACKAGES = ("bot", "inference", "storage", "models")
COPIED = (*PACKAGES, "tests", "pytest.ini")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "mutants", ".hypothesis")
KILLED, SURVIVED = {"killed", "timeout", "segfault"}, {"survived", "suspicious"}


def load(path=CONFIG) -> tuple[dict, dict, dict]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return data["modules"], data.get("equivalent", {}), data.get("rules", {})


def scratch_copy(work: Path) -> None:
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, work / name, ignore=IGNORED)
        else:
            shutil.copy(source, work / name)


def write_config(work: Path, module: dict) -> None:
    """mutmut reads setup.cfg's [mutmut] in its working folder: every package is copied into
    mutants/ (the tests import them), only the module's sources are mutated, only its tests run."""
    lines = ["[mutmut]",
             "source_paths=\n" + "\n".join(f"    {p}/" for p in PACKAGES),
             "only_mutate=\n" + "\n".join(f"    {p}" for p in module["sources"]),
             "also_copy=\n    pytest.ini",
             "pytest_add_cli_args_test_selection=\n" + "\n".join(f"    {t}" for t in module["tests"]),
             "use_git_change_detection=false",
             "use_setproctitle=false"]
    if module.get("args"):
        lines.append("pytest_add_cli_args=\n" + "\n".join(f"    {a}" for a in module["args"]))
    (work / "setup.cfg").write_text("\n".join(lines) + "\n", encoding="utf-8")


def statuses(work: Path, sources) -> dict[str, str]:
    """mutant name -> mutmut status, from the .meta files mutmut writes beside each mutated file."""
    from mutmut.stats import status_by_exit_code  # what `mutmut results` prints
    found = {}
    for source in sources:
        meta = json.loads((work / "mutants" / f"{source}.meta").read_text())
        for name, code in meta["exit_code_by_key"].items():
            found[name] = status_by_exit_code.get(code, f"exit {code}")
    return found


def changed_lines(diff: str) -> tuple[list[str], list[str]]:
    lines = diff.splitlines()
    return ([l[1:] for l in lines if l.startswith("-") and not l.startswith("---")],
            [l[1:] for l in lines if l.startswith("+") and not l.startswith("+++")])


SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|FROM|WHERE|VALUES|AND|ORDER BY|GROUP BY|LIMIT|ON CONFLICT|SET)\b",
                 re.IGNORECASE)
LITERAL = re.compile(r"\"[^\"]*\"|'[^']*'")
QUOTED_OR_NAMED = re.compile(r"'|:[A-Za-z_]")  # a value or a named parameter inside: case may matter


def sql_case_only(before: str, after: str) -> bool:
    """The same code around its string literals, and literals holding SQL that differ in case only."""
    if LITERAL.sub('""', before) != LITERAL.sub('""', after):
        return False
    pairs = list(zip(LITERAL.findall(before), LITERAL.findall(after)))
    changed = [(a, b) for a, b in pairs if a != b]
    return bool(changed) and all(a.lower() == b.lower() and SQL.search(a) and not QUOTED_OR_NAMED.search(a[1:-1])
                                 for a, b in changed)


def by_rule(diff: str, rules: dict) -> str | None:
    """A reason from modules.toml's [rules] when the mutant only changes what cannot matter."""
    removed, added = changed_lines(diff)
    if not removed or len(removed) != len(added):
        return None
    if "sql_case" in rules and all(sql_case_only(a, b) for a, b in zip(removed, added)):
        return rules["sql_case"]
    if "metrics" in rules and all(re.search(r"self\._count\(|self\.metrics\b|metrics\.\w+\(", line)
                                  for line in removed + added):
        return rules["metrics"]
    if "log_text" in rules and all(re.match(r"\s*log\.(debug|info|warning|error|exception)\(", line)
                                   for line in removed + added):
        return rules["log_text"]
    return None


def in_scope(mutant: str, scope: list[str]) -> bool:
    """mutmut names a mutant module.x_function__mutmut_N or module.xǁClassǁmethod__mutmut_N."""
    function = mutant.rsplit(".", 1)[-1].rsplit("__mutmut_", 1)[0]
    if function.startswith("xǁ"):
        cls, method = function[2:].split("ǁ", 1)
        return cls in scope or f"{cls}.{method}" in scope
    return function[2:] in scope


def run_module(name: str, module: dict, equivalent: dict, base: Path, children: int,
               rules: dict | None = None) -> dict:
    rules = rules or {}
    work = base / name
    scratch_copy(work)
    write_config(work, module)
    mutmut = Path(sys.executable).with_name("mutmut")
    started = time.monotonic()
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    run = subprocess.run([str(mutmut), "run", "--max-children", str(children)], cwd=work, env=env,
                         capture_output=True, text=True)
    seconds = time.monotonic() - started
    (base / f"{name}.log").write_text(run.stdout[-20000:] + run.stderr[-20000:], encoding="utf-8")
    if not (work / "mutants" / f"{module['sources'][0]}.meta").exists():
        return {"module": name, "error": f"mutmut failed (exit {run.returncode}); see {base / name}.log",
                "seconds": round(seconds)}
    found = statuses(work, module["sources"])
    scope, skip = module.get("scope"), module.get("skip", [])
    outside = sorted(n for n in found if (scope and not in_scope(n, scope)) or (skip and in_scope(n, skip)))
    found = {n: s for n, s in found.items() if n not in outside}
    diffs = {n: subprocess.run([str(mutmut), "show", n], cwd=work, capture_output=True, text=True).stdout
             for n, s in found.items() if s not in KILLED and n not in equivalent}
    equivalent = {**equivalent, **{n: reason for n, diff in diffs.items()
                                   if (reason := by_rule(diff, rules))}}
    survivors = sorted(n for n, s in found.items() if s in SURVIVED and n not in equivalent)
    marked = sorted(n for n, s in found.items() if s not in KILLED and n in equivalent)
    killed = sum(1 for s in found.values() if s in KILLED)
    unreached = sorted(n for n, s in found.items() if s not in KILLED | SURVIVED and n not in equivalent)
    counted = killed + len(survivors) + len(unreached)  # a mutant no test reaches is not killed
    return {"module": name, "sources": module["sources"], "tests": module["tests"], "mutants": len(found),
            "killed": killed, "survived": survivors, "outside_scope": len(outside), "equivalent": marked, "not_reached": unreached,
            "score": round(100 * killed / counted, 1) if counted else 100.0, "seconds": round(seconds),
            "diffs": {n: diffs[n] for n in survivors}, "reasons": {n: equivalent[n] for n in marked}}


def report(results: list[dict], equivalent: dict) -> str:
    lines = ["| module | mutants | killed | survived | equivalent | not reached | score | time |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['module']} | error: {r['error']} | | | | | | {r['seconds']} s |")
            continue
        lines.append(f"| {r['module']} | {r['mutants']} | {r['killed']} | {len(r['survived'])} | "
                     f"{len(r['equivalent'])} | {len(r['not_reached'])} | {r['score']} % | {r['seconds']} s |")
    counted = [r for r in results if "error" not in r]
    killed = sum(r["killed"] for r in counted)
    total = killed + sum(len(r["survived"]) + len(r["not_reached"]) for r in counted)
    if total:
        lines.append(f"\nAll: {killed} of {total} non-equivalent mutants killed ({100 * killed / total:.1f} %).")
    for r in counted:
        for name in r["survived"]:
            lines += [f"\n### survivor {name}", "```diff", r["diffs"][name].strip(), "```"]
        for name in r["equivalent"]:
            lines.append(f"- equivalent {name}: {r['reasons'][name]}")
        for name in r["not_reached"]:
            lines.append(f"- not reached by the module's tests: {name}")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="module names from modules.toml (default: all)")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "mutation")
    parser.add_argument("--children", type=int, default=1, help="mutants tested at once")
    parser.add_argument("--target", type=float, default=90.0, help="lowest acceptable score, %%")
    args = parser.parse_args(argv)
    modules, equivalent, rules = load()
    if args.list:
        for name, module in modules.items():
            print(f"{name}: {' '.join(module['sources'])} <- {' '.join(module['tests'])}")
        return 0
    unknown = set(args.modules) - set(modules)
    if unknown:
        parser.error(f"unknown modules: {', '.join(sorted(unknown))}")
    args.out.mkdir(parents=True, exist_ok=True)
    results = []
    for name in args.modules or list(modules):
        print(f"mutation: {name} ...", flush=True)
        result = run_module(name, modules[name], equivalent, args.out, args.children, rules)
        results.append(result)
        print("  " + (result.get("error") or f"{result['killed']} killed, {len(result['survived'])} survived, "
                      f"{len(result['equivalent'])} equivalent, {len(result['not_reached'])} not reached: "
                      f"{result['score']} % in {result['seconds']} s"), flush=True)
        for survivor in result.get("survived", []):
            print(f"    survived: {survivor}", flush=True)
        shutil.rmtree(args.out / name, ignore_errors=True)
        (args.out / "report.md").write_text(report(results, equivalent), encoding="utf-8")  # so far
        (args.out / "report.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"report: {args.out / 'report.md'}")
    return 0 if all("error" not in r and r["score"] >= args.target for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
