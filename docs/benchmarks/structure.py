#!/usr/bin/env python3
"""Structure figures of the Rust workspace (issue 18's "Done means"), reproducible by one command.

    docs/benchmarks/structure.py                  # the working tree, as a table
    docs/benchmarks/structure.py --json           # the same as JSON
    docs/benchmarks/structure.py --rev 125dbbd    # another commit (a temporary git worktree)

Figures:
- non-test .rs files: how many, median and max lines, the files over 600 lines;
- functions over 120 lines outside test code (from the `fn` line to its closing brace);
- the fields of `pub struct AppState`;
- module circles inside a crate: sibling modules a and b where a names b and b names a
  through `crate::`/`super::` paths (in `use` or in code);
- the rows of `duplicates --most 40`, less the rows whose two files are both under a
  `migrations/` directory (the migrations' expected pairs).

Test code: files under tests/ or benches/, under crates/testkit, files named tests.rs or
*_tests.rs, files declared by `#[cfg(test)] mod x;`, and `#[cfg(test)] mod x { ... }` blocks
(their lines are left out of the function figures; a non-test file's length is the whole file).

Python 3 standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field

FILE_LIMIT = 600
FN_LIMIT = 120
MEDIAN_TARGET = 150
DUPLICATES_MOST = 40

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


# --------------------------------------------------------------------------------------------
# Lexing: blank out comments, strings and chars (newlines kept), so braces can be matched.


def strip_code(src: str) -> str:
    """Return `src` with comments, string, byte-string, raw-string and char literals replaced
    by spaces (newlines kept, so line numbers and offsets stay put)."""
    out = list(src)
    n = len(src)
    i = 0

    def blank(a: int, b: int) -> None:
        for k in range(a, min(b, n)):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        c = src[i]
        nxt = src[i + 1] if i + 1 < n else ""
        if c == "/" and nxt == "/":
            j = src.find("\n", i)
            j = n if j < 0 else j
            blank(i, j)
            i = j
            continue
        if c == "/" and nxt == "*":
            depth, j = 1, i + 2
            while j < n and depth:
                if src.startswith("/*", j):
                    depth += 1
                    j += 2
                elif src.startswith("*/", j):
                    depth -= 1
                    j += 2
                else:
                    j += 1
            blank(i, j)
            i = j
            continue
        prev_word = i > 0 and (src[i - 1].isalnum() or src[i - 1] == "_")
        # raw strings: r"..", r#".."#, br#".."#
        m = None if prev_word else re.match(r'(b|c)?r(#*)"', src[i : i + 300])
        if m:
            hashes = m.group(2)
            end = src.find('"' + hashes, i + m.end())
            end = n if end < 0 else end + 1 + len(hashes)
            blank(i, end)
            i = end
            continue
        if c == '"' or (c in "bc" and nxt == '"' and not prev_word):
            j = i + (2 if c != '"' else 1)
            while j < n and src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            blank(i, j + 1)
            i = j + 1
            continue
        if c == "'" or (c == "b" and nxt == "'" and not prev_word):
            start = i + (2 if c == "b" else 1)
            # a char literal: 'x', '\n', '\u{..}', '\''; otherwise a lifetime or label
            m = re.match(r"(\\u\{[0-9A-Fa-f]*\}|\\x[0-9A-Fa-f]{2}|\\.|[^\\'\n])'", src[start : start + 12])
            if m:
                blank(i, start + m.end())
                i = start + m.end()
                continue
            i = start
            continue
        i += 1
    return "".join(out)


def line_starts(text: str) -> list[int]:
    starts = [0]
    for k, ch in enumerate(text):
        if ch == "\n":
            starts.append(k + 1)
    return starts


def line_of(starts: list[int], offset: int) -> int:
    """1-based line number of `offset`."""
    lo, hi = 0, len(starts) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if starts[mid] <= offset:
            lo = mid
        else:
            hi = mid - 1
    return lo + 1


def matching_brace(code: str, open_at: int) -> int:
    """Offset of the `}` closing the `{` at `open_at` (len(code) when unbalanced)."""
    depth = 0
    for k in range(open_at, len(code)):
        ch = code[k]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return k
    return len(code)


# --------------------------------------------------------------------------------------------
# Files: which are test code, and the `#[cfg(test)]` blocks inside the others.

CFG_TEST_MOD = re.compile(
    r"#\[\s*cfg\s*\(\s*test\s*\)\s*\]\s*((?:#\[[^\]]*\]\s*)*)(?:pub(?:\([^)]*\))?\s+)?mod\s+(" + IDENT + r")\s*([{;])"
)


def is_test_path(path: str) -> bool:
    parts = path.split("/")
    name = parts[-1]
    if "tests" in parts[:-1] or "benches" in parts[:-1]:
        return True
    if path.startswith("crates/testkit/"):
        return True
    return name == "tests.rs" or name.endswith("_tests.rs")


def child_dir(path: str) -> str:
    """The directory in which the file's `mod x;` children live."""
    d, name = os.path.split(path)
    if name in ("mod.rs", "lib.rs", "main.rs"):
        return d
    return os.path.join(d, name[:-3])


@dataclass
class SourceFile:
    path: str
    text: str
    code: str
    lines: int
    test_ranges: list[tuple[int, int]] = field(default_factory=list)  # inclusive line ranges
    test_children: list[str] = field(default_factory=list)  # files declared under cfg(test)

    def in_test(self, line: int) -> bool:
        return any(a <= line <= b for a, b in self.test_ranges)


def load(root: str, path: str) -> SourceFile:
    with open(os.path.join(root, path), encoding="utf-8", errors="replace") as fh:
        text = fh.read()
    code = strip_code(text)
    lines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
    sf = SourceFile(path, text, code, lines)
    starts = line_starts(code)
    for m in CFG_TEST_MOD.finditer(code):
        name, kind = m.group(2), m.group(3)
        if kind == "{":
            close = matching_brace(code, m.end() - 1)
            sf.test_ranges.append((line_of(starts, m.start()), line_of(starts, close)))
            continue
        # `#[path = ".."]` is blanked as a string by strip_code: read it from the original text
        pm = re.search(r'#\[\s*path\s*=\s*"([^"]+)"\s*\]', text[m.start() : m.end()])
        base = child_dir(path)
        if pm:
            sf.test_children.append(os.path.normpath(os.path.join(os.path.dirname(path), pm.group(1))))
        else:
            sf.test_children.append(os.path.join(base, name + ".rs"))
            sf.test_children.append(os.path.join(base, name, "mod.rs"))
    return sf


def rust_files(root: str) -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "--", "*.rs"],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\n")
    return sorted(p for p in out if p and os.path.isfile(os.path.join(root, p)) and not p.startswith("target/"))


# --------------------------------------------------------------------------------------------
# Functions.

FN_RE = re.compile(r"\bfn\s+(" + IDENT + r")")


def functions(sf: SourceFile) -> list[tuple[str, int, int]]:
    """(name, first line, length) of every function with a body in the file."""
    code = sf.code
    starts = line_starts(code)
    found = []
    for m in FN_RE.finditer(code):
        paren = bracket = 0
        k = m.end()
        body = -1
        while k < len(code):
            ch = code[k]
            if ch in "(":
                paren += 1
            elif ch == ")":
                paren -= 1
            elif ch == "[":
                bracket += 1
            elif ch == "]":
                bracket -= 1
            elif paren == 0 and bracket == 0:
                if ch == ";":
                    break
                if ch == "{":
                    body = k
                    break
            k += 1
        if body < 0:
            continue
        close = matching_brace(code, body)
        first = line_of(starts, m.start())
        last = line_of(starts, close)
        found.append((m.group(1), first, last - first + 1))
    return found


# --------------------------------------------------------------------------------------------
# AppState.


def split_top(body: str, sep: str = ",") -> list[str]:
    parts, depth, cur = [], 0, []
    k = 0
    while k < len(body):
        ch = body[k]
        if body.startswith("->", k):
            cur.append("->")
            k += 2
            continue
        if ch in "([{<":
            depth += 1
        elif ch in ")]}>":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        k += 1
    parts.append("".join(cur))
    return [p for p in parts if p.strip()]


def app_state(files: list[SourceFile]) -> dict | None:
    for sf in files:
        m = re.search(r"\bpub\s+struct\s+AppState\b[^{;]*\{", sf.code)
        if not m:
            continue
        close = matching_brace(sf.code, m.end() - 1)
        body = sf.code[m.end() : close]
        body = re.sub(r"#\[[^\]]*\]", " ", body)
        names = []
        for part in split_top(body):
            fm = re.match(r"\s*(?:pub(?:\([^)]*\))?\s+)?(" + IDENT + r")\s*:", part)
            if fm:
                names.append(fm.group(1))
        return {"file": sf.path, "line": line_of(line_starts(sf.code), m.start()), "fields": names}
    return None


# --------------------------------------------------------------------------------------------
# Module circles.


def crate_roots(paths: set[str]) -> dict[str, tuple[str, str]]:
    """Map each source file to (crate key, module path) by the file-layout convention.

    Crate roots: <pkg>/src/lib.rs, <pkg>/src/main.rs, <pkg>/src/bin/<x>.rs, <pkg>/src/bin/<x>/main.rs."""
    out: dict[str, tuple[str, str]] = {}
    for p in paths:
        if "/src/" not in "/" + p:
            continue
        pkg, rest = ("/" + p).split("/src/", 1)
        pkg = pkg.lstrip("/")
        parts = rest.split("/")
        key = pkg or "."
        if parts[0] == "bin":
            if len(parts) == 2:
                key, parts = f"{key} (bin {parts[1][:-3]})", ["main.rs"]
            else:
                key, parts = f"{key} (bin {parts[1]})", parts[2:]
        if parts in (["lib.rs"], ["main.rs"]):
            mod = ""
        else:
            segs = parts[:-1] + ([] if parts[-1] == "mod.rs" else [parts[-1][:-3]])
            mod = "::".join(segs)
        # lib.rs and main.rs in one package are separate crates; main.rs children are rare
        if parts == ["main.rs"] and (pkg + "/src/lib.rs").lstrip("/") in paths:
            key = f"{key} (main)"
        out[p] = (key, mod)
    return out


USE_RE = re.compile(r"\buse\s+([^;]*);")
PATH_RE = re.compile(r"(?<![\w$])((?:crate|super|self)(?:\s*::\s*" + IDENT + r")+)")


def expand_use(tree: str) -> list[str]:
    """`a::{b, c::{d, e as f}}` -> [a::b, a::c::d, a::c::e]."""
    tree = re.sub(r"\s+as\s+" + IDENT, "", tree)
    tree = re.sub(r"\s+", "", tree)
    k = tree.find("{")
    if k < 0:
        return [tree] if tree else []
    prefix = tree[:k]
    inner = tree[k + 1 : tree.rfind("}")]
    out = []
    for part in split_top(inner):
        for sub in expand_use(part):
            out.append(prefix + sub if sub != "self" else prefix.rstrip(":"))
    return [re.sub(r"::self$", "", p) for p in out]


def resolve(path: str, mod: str) -> list[str] | None:
    """Absolute module segments of a `crate::`/`super::`/`self::` path named in module `mod`."""
    segs = [s for s in re.sub(r"\s+", "", path).split("::") if s]
    here = mod.split("::") if mod else []
    if segs[0] == "crate":
        return segs[1:]
    cur = list(here)
    while segs and segs[0] in ("super", "self"):
        if segs[0] == "super":
            if not cur:
                return None
            cur.pop()
        segs = segs[1:]
    return cur + segs


def module_circles(files: list[SourceFile]) -> list[dict]:
    paths = {sf.path for sf in files}
    roots = crate_roots(paths)
    mods_by_crate: dict[str, set[str]] = {}
    for p, (key, mod) in roots.items():
        mods_by_crate.setdefault(key, set()).add(mod)
    edges: dict[tuple[str, str, str], tuple[str, int]] = {}
    for sf in files:
        if sf.path not in roots:
            continue
        key, mod = roots[sf.path]
        known = mods_by_crate[key]
        starts = line_starts(sf.code)
        code = sf.code
        named: list[tuple[str, int]] = []
        use_spans = []
        for m in USE_RE.finditer(code):
            tree = m.group(1)
            if re.match(r"\s*(crate|super|self)\b", tree):
                for full in expand_use(tree):
                    named.append((full, m.start()))
            use_spans.append((m.start(), m.end()))
        for m in PATH_RE.finditer(code):
            if any(a <= m.start() < b for a, b in use_spans):
                continue
            before = code[max(0, m.start() - 8) : m.start()]
            if re.search(r"\bin\s+$", before):  # pub(in crate::x)
                continue
            named.append((m.group(1), m.start()))
        here = mod.split("::") if mod else []
        for full, at in named:
            line = line_of(starts, at)
            if sf.in_test(line):
                continue
            segs = resolve(full, mod)
            if segs is None:
                continue
            # the deepest known module the path names
            target: list[str] = []
            for n in range(len(segs), 0, -1):
                if "::".join(segs[:n]) in known:
                    target = segs[:n]
                    break
            common = 0
            while common < min(len(here), len(target)) and here[common] == target[common]:
                common += 1
            if common == len(here) or common == len(target):
                continue  # within itself, an ancestor or a descendant
            parent = "::".join(here[:common])
            a, b = here[common], target[common]
            edges.setdefault((key, parent + "::" + a if parent else a, parent + "::" + b if parent else b), (sf.path, line))
    circles = []
    for (key, a, b), where in sorted(edges.items()):
        back = edges.get((key, b, a))
        if back and a < b:
            circles.append(
                {"crate": key, "a": a, "b": b, "a_uses_b": f"{where[0]}:{where[1]}", "b_uses_a": f"{back[0]}:{back[1]}"}
            )
    return circles


# --------------------------------------------------------------------------------------------
# duplicates.

ROW_RE = re.compile(r"^D\d+\s+(\S+?):\d+-\d+\s+~\s+(\S+?):\d+-\d+")


def under_migrations(path: str) -> bool:
    return "migrations" in path.split("/")[:-1]


def duplicates(root: str) -> dict:
    try:
        proc = subprocess.run(
            ["duplicates", "--most", str(DUPLICATES_MOST), "--seconds", "300", "--repo", root],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=900,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        return {"error": str(err)}
    rows, migrations = [], 0
    notes = []
    for line in proc.stdout.splitlines():
        m = ROW_RE.match(line)
        if m:
            if under_migrations(m.group(1)) and under_migrations(m.group(2)):
                migrations += 1
            else:
                rows.append(line)
        elif line.startswith(("incomplete:", "left out:", "(+")) or "pairs" in line:
            notes.append(line)
    return {"rows": len(rows), "migration_rows_dropped": migrations, "notes": notes, "list": rows}


# --------------------------------------------------------------------------------------------
# Putting it together.


def measure(root: str, with_duplicates: bool = True) -> dict:
    paths = rust_files(root)
    loaded = [load(root, p) for p in paths]
    test_children = {c for sf in loaded for c in sf.test_children}
    non_test = [sf for sf in loaded if not is_test_path(sf.path) and sf.path not in test_children]
    sizes = sorted((sf.lines for sf in non_test))
    big = sorted(((sf.lines, sf.path) for sf in non_test if sf.lines > FILE_LIMIT), reverse=True)
    long_fns = []
    for sf in non_test:
        for name, first, length in functions(sf):
            if length > FN_LIMIT and not sf.in_test(first):
                long_fns.append({"file": sf.path, "line": first, "fn": name, "lines": length})
    long_fns.sort(key=lambda f: -f["lines"])
    state = app_state(non_test)
    result = {
        "files": {
            "non_test": len(non_test),
            "median_lines": statistics.median(sizes) if sizes else 0,
            "max_lines": sizes[-1] if sizes else 0,
            "over_600": [{"file": p, "lines": n} for n, p in big],
        },
        "functions_over_120": long_fns,
        "app_state": state,
        "module_circles": module_circles(non_test),
    }
    if with_duplicates:
        result["duplicates"] = duplicates(root)
    return result


def table(r: dict, label: str) -> str:
    f = r["files"]
    st = r["app_state"]
    dup = r.get("duplicates")
    rows = [
        ("non-test .rs files", str(f["non_test"]), ""),
        ("median lines", f"{f['median_lines']:g}", f"<= {MEDIAN_TARGET}"),
        ("max lines", str(f["max_lines"]), f"<= {FILE_LIMIT}"),
        (f"files over {FILE_LIMIT} lines", str(len(f["over_600"])), "0"),
        (f"functions over {FN_LIMIT} lines", str(len(r["functions_over_120"])), "0"),
        ("AppState fields", str(len(st["fields"])) if st else "n/a", "a handful"),
        ("module circles", str(len(r["module_circles"])), "0"),
    ]
    if dup is not None:
        val = str(dup["rows"]) if "rows" in dup else "error"
        rows.append((f"duplicates --most {DUPLICATES_MOST} rows", val, "fewer"))
    w0 = max(len(a) for a, _, _ in rows)
    w1 = max(len(b) for _, b, _ in rows)
    out = [f"structure of {label}", f"{'figure'.ljust(w0)}  {'value'.rjust(w1)}  target"]
    out += [f"{a.ljust(w0)}  {b.rjust(w1)}  {c}" for a, b, c in rows]
    if f["over_600"]:
        out.append("")
        out.append(f"files over {FILE_LIMIT} lines:")
        out += [f"  {x['lines']:5}  {x['file']}" for x in f["over_600"]]
    if r["functions_over_120"]:
        out.append("")
        out.append(f"functions over {FN_LIMIT} lines:")
        out += [f"  {x['lines']:5}  {x['file']}:{x['line']}  fn {x['fn']}" for x in r["functions_over_120"]]
    if r["module_circles"]:
        out.append("")
        out.append("module circles:")
        out += [
            f"  {c['crate']}: {c['a']} <-> {c['b']}  ({c['a_uses_b']}; {c['b_uses_a']})" for c in r["module_circles"]
        ]
    if st:
        out.append("")
        out.append(f"AppState ({st['file']}:{st['line']}): {', '.join(st['fields'])}")
    if dup and dup.get("notes"):
        out.append("")
        out += [f"duplicates: {n}" for n in dup["notes"]]
    return "\n".join(out)


def git(*args: str, cwd: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rev", help="measure this commit (in a temporary git worktree) instead of the working tree")
    ap.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ap.add_argument("--no-duplicates", action="store_true", help="skip the (slower) duplicates figure")
    args = ap.parse_args()
    repo = git("rev-parse", "--show-toplevel", cwd=os.path.dirname(os.path.abspath(__file__)))
    if args.rev:
        sha = git("rev-parse", "--verify", args.rev + "^{commit}", cwd=repo)
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", args.rev)
        tree = os.path.join(tempfile.gettempdir(), f"structure-{safe}")
        if os.path.exists(tree):
            subprocess.run(["git", "worktree", "remove", "--force", tree], cwd=repo, capture_output=True)
        git("worktree", "add", "--detach", tree, sha, cwd=repo)
        try:
            result = measure(tree, not args.no_duplicates)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", tree], cwd=repo, capture_output=True)
        label = f"{args.rev} ({sha[:9]})"
    else:
        result = measure(repo, not args.no_duplicates)
        label = "the working tree"
    result["measured"] = label
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        print()
    else:
        print(table(result, label))
    return 0


if __name__ == "__main__":
    sys.exit(main())
