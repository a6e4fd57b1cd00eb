"""What the Rust code says about a service, read from its source (no build needed).

- `config_keys`: every configuration key a service reads, derived from its `Config` struct the
  way `service_config::load` (figment, `PREFIX__A__B` → `a.b`) maps environment variables onto
  it: nested structs recurse, `#[serde(flatten)]` merges, `#[serde(rename)]`/`alias` rename,
  maps (`BTreeMap<String, T>`) accept any key, `Vec`/scalars are leaves. Each key carries its type
  and the expression of its `Default`, so a test can tell secrets and loopback defaults apart.
- `env_names_read`: environment variables read directly (`env::var("X")`, clap's `env = "X"`).
- `string_literals`: every string literal, e.g. to find a route path such as "/readyz".
- `subcommands`: the kebab-case names of every clap `Subcommand` variant.

Sources are the service's `src/` plus the workspace crates it depends on (transitively), so a
struct or route the service takes from a shared crate counts.
"""

from __future__ import annotations

import dataclasses
import pathlib
import re

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover
    tomllib = None


@dataclasses.dataclass(frozen=True)
class Field:
    name: str  # serde name
    rust: str  # the Rust field name (keys of the Default impl)
    aliases: tuple[str, ...]
    ty: str
    flatten: bool


@dataclasses.dataclass(frozen=True)
class ConfigKey:
    path: tuple[str, ...]  # "*" stands for any map key
    ty: str  # the leaf type as written (Option stripped)
    optional: bool
    default: str | None  # the Default expression, when found


def _strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"(?m)(^|[^:\"])//.*$", r"\1", text)


def _block(text: str, start: int) -> str:
    """The text between the `{` at or after `start` and its matching `}`."""
    i = text.index("{", start)
    depth = 0
    for j in range(i, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return text[i + 1 : j]
    return text[i + 1 :]


class Workspace:
    def __init__(self, root: pathlib.Path):
        self.root = root
        self.crates: dict[str, pathlib.Path] = {}
        for manifest in list(root.glob("crates/*/Cargo.toml")) + list(root.glob("services/*/Cargo.toml")) + [root / "proto/Cargo.toml"]:
            if manifest.exists():
                name = self._package_name(manifest)
                if name:
                    self.crates[name] = manifest.parent

    @staticmethod
    def _package_name(manifest: pathlib.Path) -> str | None:
        data = tomllib.loads(manifest.read_text())
        return data.get("package", {}).get("name")

    def deps(self, crate_dir: pathlib.Path) -> list[pathlib.Path]:
        """crate_dir and every workspace crate it depends on (normal dependencies, transitively)."""
        seen: list[pathlib.Path] = []
        todo = [crate_dir]
        while todo:
            d = todo.pop()
            if d in seen:
                continue
            seen.append(d)
            data = tomllib.loads((d / "Cargo.toml").read_text())
            for name in data.get("dependencies", {}):
                if name in self.crates:
                    todo.append(self.crates[name])
        return seen


class Service:
    def __init__(self, ws: Workspace, service_dir: pathlib.Path, binary: str | None = None):
        """`binary`: the one binary of the package that runs (others' `src/bin/*.rs` are left out)."""
        self.dir = service_dir
        dirs = ws.deps(service_dir)
        own_bin = service_dir / "src" / "bin" / f"{binary}.rs"
        self.own_files = sorted(
            f for f in service_dir.glob("src/**/*.rs") if "bin" not in f.relative_to(service_dir / "src").parts[:-1] or f == own_bin
        )
        self.files = self.own_files + sorted(f for d in dirs[1:] for f in d.glob("src/**/*.rs"))
        self._text = {f: _strip_comments(f.read_text()) for f in self.files}
        self._raw = {f: f.read_text() for f in self.files}

    # -- structs -------------------------------------------------------------------------------
    def _structs(self, files) -> dict[str, tuple[list[Field], str]]:
        out: dict[str, tuple[list[Field], str]] = {}
        for f in files:
            text = self._text[f]
            for m in re.finditer(r"((?:#\[[^\]]*\]\s*)*)(?:pub(?:\([^)]*\))?\s+)?struct\s+(\w+)(?:<[^>{]*>)?\s*\{", text):
                attrs, name = m.group(1), m.group(2)
                rename_all = re.search(r'rename_all\s*=\s*"([^"]+)"', attrs)
                body = _block(text, m.end() - 1)
                fields = self._fields(body, rename_all.group(1) if rename_all else None)
                out.setdefault(name, (fields, f.as_posix()))
        return out

    @staticmethod
    def _fields(body: str, rename_all: str | None) -> list[Field]:
        fields: list[Field] = []
        parts = _split_top(body)
        for part in parts:
            part = part.strip()
            if not part:
                continue
            attrs = re.findall(r"#\[([^\]]*)\]", part)
            decl = re.sub(r"#\[[^\]]*\]", "", part).strip()
            m = re.match(r"(?:pub(?:\([^)]*\))?\s+)?(\w+)\s*:\s*(.+)$", decl, re.S)
            if not m:
                continue
            rust_name, ty = m.group(1), " ".join(m.group(2).split())
            serde = " ".join(a for a in attrs if a.startswith("serde"))
            if re.search(r"\bskip(_deserializing)?\b", serde):
                continue
            rename = re.search(r'rename\s*=\s*"([^"]+)"', serde)
            name = rename.group(1) if rename else _rename(rust_name, rename_all)
            aliases = tuple(re.findall(r'alias\s*=\s*"([^"]+)"', serde))
            fields.append(Field(name, rust_name, aliases, ty, "flatten" in serde))
        return fields

    def _defaults(self, struct: str) -> dict[str, str]:
        for f in self.files:
            text = self._text[f]
            m = re.search(r"impl\s+Default\s+for\s+" + re.escape(struct) + r"\s*\{", text)
            if m:
                body = _block(text, m.end() - 1)
                return {k: v.strip() for k, v in re.findall(r"(?m)^\s*(\w+)\s*:\s*(.+?),?\s*$", body)}
        return {}

    def config_keys(self, root_struct: str = "Config") -> list[ConfigKey]:
        own = self._structs(self.own_files)
        allstructs = dict(self._structs(self.files))
        allstructs.update(own)  # the service's own definitions win
        if root_struct not in own:
            raise LookupError(f"no struct {root_struct} in {self.dir}/src")
        keys: list[ConfigKey] = []

        def walk(struct: str, prefix: tuple[str, ...], seen: tuple[str, ...]):
            fields, _ = allstructs[struct]
            defaults = self._defaults(struct)
            for fld in fields:
                ty, optional = _unwrap(fld.ty)
                names = (fld.name,) + fld.aliases
                for name in names:
                    path = prefix if fld.flatten else prefix + (name,)
                    expand(ty, optional, path, defaults.get(fld.rust), seen)
                    if fld.flatten:
                        break

        def expand(ty: str, optional: bool, path, default, seen):
            mapm = re.match(r"(?:\w+::)*(?:BTreeMap|HashMap|IndexMap)<\s*String\s*,\s*(.+)>$", ty)
            if mapm:
                inner, _ = _unwrap(mapm.group(1))
                expand(inner, True, path + ("*",), None, seen)
                return
            base = ty.split("<")[0].split("::")[-1]
            if base in allstructs and base not in seen and not ty.startswith("Vec<"):
                walk(base, path, seen + (base,))
                return
            keys.append(ConfigKey(path, ty, optional, default))

        walk(root_struct, (), (root_struct,))
        return keys

    # -- other facts -----------------------------------------------------------------------------
    def env_names_read(self) -> set[str]:
        names: set[str] = set()
        for text in self._raw.values():
            names.update(re.findall(r'env::var(?:_os)?\(\s*"([A-Z][A-Z0-9_]*)"', text))
            names.update(re.findall(r'\benv\s*=\s*"([A-Z][A-Z0-9_]*)"', text))
            if re.search(r"EnvFilter::(?:try_)?from_default_env|EnvFilter::builder\(\)", text):
                names.add("RUST_LOG")
        return names

    def string_literals(self) -> set[str]:
        lits: set[str] = set()
        for text in self._raw.values():
            lits.update(re.findall(r'"((?:[^"\\]|\\.)*)"', text))
        return lits

    def subcommands(self) -> set[str]:
        names: set[str] = set()
        for text in self._text.values():
            for m in re.finditer(r"#\[derive\([^)]*\bSubcommand\b[^)]*\)\]\s*(?:#\[[^\]]*\]\s*)*(?:pub\s+)?enum\s+\w+(?:<[^>{]*>)?\s*\{", text):
                for part in _split_top(_block(text, m.end() - 1)):
                    attrs = " ".join(re.findall(r"#\[([^\]]*)\]", part))
                    decl = re.sub(r"#\[[^\]]*\]", "", part).strip()
                    vm = re.match(r"([A-Z]\w*)", decl)
                    if vm:
                        named = re.search(r'command\([^)]*name\s*=\s*"([^"]+)"', attrs)
                        names.add(named.group(1) if named else _kebab(vm.group(1)))
        return names


def _split_top(body: str) -> list[str]:
    """`body` split on the commas outside brackets."""
    parts, current, depth = [], "", 0
    for ch in body:
        if ch in "<([{":
            depth += 1
        elif ch in ">)]}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return parts


def _unwrap(ty: str) -> tuple[str, bool]:
    ty = ty.strip()
    optional = False
    while True:
        m = re.match(r"(?:\w+::)*(Option|Box|Arc)<\s*(.+)\s*>$", ty)
        if not m:
            return ty, optional
        optional = optional or m.group(1) == "Option"
        ty = m.group(2).strip()


def _rename(name: str, rule: str | None) -> str:
    if rule in (None, "snake_case"):
        return name
    if rule == "kebab-case":
        return name.replace("_", "-")
    if rule == "camelCase":
        head, *rest = name.split("_")
        return head + "".join(p.title() for p in rest)
    if rule == "lowercase":
        return name.replace("_", "")
    return name


def _kebab(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()
