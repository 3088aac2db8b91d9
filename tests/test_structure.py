"""Structure: our modules import each other at the top (at most 5 function-level imports of our
own modules outside models/, each with a comment saying why), in no cycle, and every file the
README and docs/ name exists."""

import ast
import re
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
OWN = ("bot", "inference", "storage", "models")
MAX_FUNCTION_IMPORTS = 5
# Files the docs name that are outputs or placeholders, not files of the repository.
# Names of outputs a command writes (or files outside the repository), not files it ships.
NOT_FILES = {"OUT.png", "VALIDATION.md", "TEST_DIR/VALIDATION.md", "export.json", "DIR/labels.csv", "DESIGN.md",
             "var/mutation/report.md", "labels.csv", "../shared/DESIGN.md"}
FILE_NAME = re.compile(r"(?<![\w/.-])((?:[\w.-]+/)*[\w.-]+\.(?:py|md|yml|yaml|json|csv|onnx|ini|html|js|css|sh))\b")


def function_level_imports():
    """(path, line, module, has a comment) for each import of our own modules inside a function."""
    found = []
    for path in sorted(p for package in OWN if package != "models" for p in (ROOT / package).rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        for fn in ast.walk(ast.parse(source)):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom):
                    names = ["." if node.level else node.module or ""]
                else:
                    continue
                if any(name == "." or name.split(".")[0] in OWN for name in names):
                    said = "#" in lines[node.lineno - 1] or lines[node.lineno - 2].strip().startswith("#")
                    found.append((str(path.relative_to(ROOT)), node.lineno, names[0], said))
    return found


def test_at_most_five_function_level_imports_of_our_modules_each_saying_why():
    found = function_level_imports()
    assert len(found) <= MAX_FUNCTION_IMPORTS, found
    assert [f for f in found if not f[3]] == []


def strongly_connected(graph, modules):
    """Tarjan's components of more than one module (import cycles)."""
    index, low, stack, on_stack, cycles, counter = {}, {}, [], set(), [], [0]

    def visit(module):
        index[module] = low[module] = counter[0]
        counter[0] += 1
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == module:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(modules):
        if module not in index:
            visit(module)
    return cycles


def test_no_import_cycle_among_our_modules():
    graph = grimp.build_graph(*OWN)
    assert strongly_connected(graph, graph.modules) == []


def test_every_file_named_in_the_readme_and_docs_exists():
    missing = []
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for name in sorted(set(FILE_NAME.findall(doc.read_text(encoding="utf-8")))):
            if name in NOT_FILES:
                continue
            places = [ROOT / name, doc.parent / name, ROOT / "bot" / name]
            if any(p.exists() for p in places) or ("/" not in name and next(ROOT.glob(f"**/{name}"), None)):
                continue
            missing.append(f"{doc.relative_to(ROOT)}: {name}")
    assert missing == []
