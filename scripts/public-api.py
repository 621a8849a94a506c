#!/usr/bin/env python3
"""auth-runtime's public API, as rustdoc shows it, against the committed snapshot.

usage: scripts/public-api.py [--check | --write]

Builds auth-runtime's documentation (every feature, stable rustdoc) and
prints one line per public item: the item's declaration (fields, variants,
`#[non_exhaustive]`), each inherent method's signature and each trait it
implements. `--write` saves that to auth-runtime/public-api.txt; `--check`
fails on any difference from it, so that the API grows by a reviewed diff,
and on more than 28 entries at the root of the crate's page or more than 90
public types (structs, enums, traits and type aliases in `all.html`).
"""
import html
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SNAPSHOT = os.path.join(ROOT, "auth-runtime", "public-api.txt")
MAX_ROOT_ENTRIES = 28
MAX_TYPES = 90
TYPE_SECTIONS = ("structs", "enums", "traits", "types")


def text(fragment):
    """An HTML fragment as the plain text rustdoc renders."""
    fragment = re.sub(r"<[^>]+>", "", fragment)
    return re.sub(r"\s+", " ", html.unescape(fragment)).strip()


def section(page, start_id, stop_ids):
    """The part of `page` from the heading `start_id` to the next of `stop_ids`."""
    start = page.find(f'id="{start_id}"')
    if start < 0:
        return ""
    ends = [page.find(f'id="{s}"', start) for s in stop_ids]
    ends = [e for e in ends if e > 0]
    return page[start : min(ends) if ends else len(page)]


def describe(path, kind, page):
    lines = []
    decl = re.search(r'<pre class="rust item-decl">(.*?)</pre>', page, re.S)
    if decl:
        body = text(decl.group(1))
        # A long declaration is rendered with `// some fields omitted` etc.;
        # the text, whitespace folded, is the declaration.
        lines.append(f"{path}: {body}")
    else:
        lines.append(f"{path}: {kind}")
    inherent = section(page, "implementations", ["trait-implementations", "synthetic-implementations", "blanket-implementations"])
    for header in re.findall(r'<h[34] class="code-header">(.*?)</h[34]>', inherent, re.S):
        lines.append(f"{path}: {text(header)}")
    traits = section(page, "trait-implementations", ["synthetic-implementations", "blanket-implementations"])
    for header in re.findall(r'<h3 class="code-header">(.*?)</h3>', traits, re.S):
        lines.append(f"{path}: {text(header)}")
    return lines


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode not in ("", "--check", "--write"):
        sys.exit(__doc__)
    subprocess.run(
        ["cargo", "doc", "-q", "--no-deps", "-p", "auth-runtime", "--all-features", "-j", "2"],
        cwd=ROOT,
        check=True,
    )
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    docs = os.path.join(target, "doc", "auth_runtime")
    all_html = open(os.path.join(docs, "all.html"), encoding="utf-8").read()
    index_html = open(os.path.join(docs, "index.html"), encoding="utf-8").read()

    lines = []
    types = 0
    for kind, body in re.findall(r'<h3 id="([a-z-]+)">.*?</h3><ul class="all-items">(.*?)</ul>', all_html, re.S):
        for href, name in re.findall(r'<a href="([^"]*)">([^<]*)</a>', body):
            if kind in TYPE_SECTIONS:
                types += 1
            page = open(os.path.join(docs, href), encoding="utf-8").read()
            lines.extend(describe(name, kind.rstrip("s"), page))
    root_entries = len(re.findall(r"<dt>", index_html))
    lines.sort()
    current = "\n".join(lines) + "\n"
    summary = f"{root_entries} root entries, {types} public types, {len(lines)} lines"

    if mode == "--write":
        with open(SNAPSHOT, "w", encoding="utf-8") as f:
            f.write(current)
        print(f"wrote {os.path.relpath(SNAPSHOT, ROOT)}: {summary}")
        return
    if mode == "":
        sys.stdout.write(current)
        print(summary, file=sys.stderr)
        return

    failed = False
    if root_entries > MAX_ROOT_ENTRIES:
        print(f"{root_entries} entries at the crate's root (at most {MAX_ROOT_ENTRIES})", file=sys.stderr)
        failed = True
    if types > MAX_TYPES:
        print(f"{types} public types (at most {MAX_TYPES})", file=sys.stderr)
        failed = True
    try:
        committed = open(SNAPSHOT, encoding="utf-8").read()
    except FileNotFoundError:
        committed = ""
    if committed != current:
        import difflib

        sys.stderr.writelines(
            difflib.unified_diff(
                committed.splitlines(keepends=True),
                current.splitlines(keepends=True),
                "auth-runtime/public-api.txt (committed)",
                "public API (this tree)",
            )
        )
        print(
            "the public API changed: review the diff, then `scripts/public-api.py --write`",
            file=sys.stderr,
        )
        failed = True
    if failed:
        sys.exit(1)
    print(f"public API as committed: {summary}")


if __name__ == "__main__":
    main()
