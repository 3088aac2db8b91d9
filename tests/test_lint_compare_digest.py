"""MACs, signatures and tokens are compared only with hmac.compare_digest, never with == or !=
(an early-exit comparison tells an attacker, byte by byte, how much of a forged MAC was right;
no functional test can see the difference). An AST scan of our packages: a == / != whose
operand is named like a secret-bearing value (mac, signature, digest, token, sig, secret…)
is a finding, unless it is listed in ALLOWED with the reason it is not a secret comparison."""
import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "inference", "storage", "models")
WORDS = {"mac", "macs", "hmac", "signature", "signatures", "sig", "sigs", "digest", "hexdigest",
         "token", "tokens", "secret", "secrets", "nonce", "csrf"}
CONVERSIONS = {"str", "bytes", "bytearray"}  # str(mac) == ... is still a comparison of the MAC
# (file, the comparison's source): why it is not a secret compared with attacker input.
ALLOWED = {
    ("bot/settings.py", "secret != SIMULATOR_SECRET"):
        "a configured value against the simulator's public built-in constant, at start-up",
    ("inference/validation.py", "block['familiarity'] != block_digest(familiarity_block)"):
        "the sha256 of a public manifest block, recomputed from the shipped files: no secret",
}


def words_of(name: str) -> set[str]:
    return {part for part in re.split(r"_|(?<=[a-z])(?=[A-Z])", name.lower()) if part}


def operand_names(node) -> list[str]:
    """The names an operand stands for: a name, an attribute, a subscript's key and object, a
    call's function (and a conversion's argument), the values inside an f-string."""
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Attribute):
        return [node.attr]
    if isinstance(node, ast.Subscript):
        key = node.slice.value if isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str) else None
        return ([key] if key else []) + operand_names(node.value)
    if isinstance(node, ast.Call):
        names = operand_names(node.func)
        if isinstance(node.func, ast.Name) and node.func.id in CONVERSIONS:
            names += [n for arg in node.args for n in operand_names(arg)]
        if isinstance(node.func, ast.Attribute) and node.func.attr in {"get", "encode", "decode", "strip"}:
            names += operand_names(node.func.value)
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                names.append(node.args[0].value)
        return names
    if isinstance(node, ast.JoinedStr):
        return [n for part in node.values if isinstance(part, ast.FormattedValue)
                for n in operand_names(part.value)]
    return []


def findings(source: str, path: str) -> list[tuple[str, int, str]]:
    found = []
    for node in ast.walk(ast.parse(source, path)):
        if not isinstance(node, ast.Compare) or not any(isinstance(op, (ast.Eq, ast.NotEq)) for op in node.ops):
            continue
        operands = [node.left, *node.comparators]
        if any(isinstance(o, ast.Constant) and (o.value is None or o.value in ("", b"")) for o in operands):
            continue  # "is it there at all", not "is it right"
        if any(words_of(name) & WORDS for operand in operands for name in operand_names(operand)):
            found.append((path, node.lineno, ast.unparse(node)))
    return found


def our_sources():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")


def test_secrets_are_compared_only_with_compare_digest():
    found = [f for path, source in our_sources() for f in findings(source, path)]
    unexplained = [f"{path}:{line}: {code}" for path, line, code in found if (path, code) not in ALLOWED]
    assert unexplained == [], "use hmac.compare_digest (on bytes) for:\n" + "\n".join(unexplained)


def test_every_allowed_comparison_still_exists():
    """An allowance whose code is gone is removed, so the list never hides a new comparison."""
    found = {(path, code) for path, source in our_sources() for path, _, code in findings(source, path)}
    assert set(ALLOWED) <= found


@pytest.mark.parametrize("code", [
    "ok = mac == expected",
    "ok = given != signature(body, secret)",
    "ok = str(fields.get('m')) == _mac(key, fields)",
    "ok = request.headers['X-Line-Signature'] == sig",
    "ok = self.csrf_token != form_token",
    "ok = hashlib.sha256(b).hexdigest() == expected",
    "ok = headers.get('Authorization') != f'Bearer {self.access_token}'",
    "ok = row['token_hash'] == token_hash(token)",
])
def test_the_scan_finds_a_secret_compared_with_equals(code):
    assert findings(code, "x.py")


@pytest.mark.parametrize("code", [
    "ok = hmac.compare_digest(mac, expected)",
    "ok = token is None or token == ''",
    "ok = db.execute('DELETE FROM t WHERE token_hash = ?', [token_hash(token)]).rowcount == 1",
    "ok = len(signature) == 44",
    "ok = message['type'] == 'text'",
])
def test_the_scan_leaves_other_comparisons_alone(code):
    assert findings(code, "x.py") == []
