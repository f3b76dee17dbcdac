"""The layering (docs/architecture.md): gan_core is usable alone, so it imports no web or async code."""

import ast
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
FORBIDDEN = {"server", "fastapi", "starlette", "uvicorn", "asyncio", "websockets", "httpx"}


def _imports(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
            "import_module",
            "__import__",
        ):
            # Dynamic imports would dodge the static check: name what they load.
            for arg in node.args[:1]:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.add(arg.value.split(".")[0])
    return found


def test_gan_core_sources_import_no_web_or_async_code():
    files = sorted((ROOT / "gan_core").rglob("*.py"))
    assert files, "gan_core has no sources"
    offenders = {str(f.relative_to(ROOT)): sorted(_imports(f) & FORBIDDEN) for f in files}
    offenders = {k: v for k, v in offenders.items() if v}
    assert offenders == {}, f"gan_core must not import {sorted(FORBIDDEN)}: {offenders}"


# torch itself imports asyncio, so at runtime only the web stack is checked (asyncio statically above).
RUNTIME_FORBIDDEN = FORBIDDEN - {"asyncio"}


def test_importing_gan_core_loads_no_web_module_at_runtime():
    # Catches indirect imports too: every gan_core module is imported in a clean interpreter.
    code = (
        "import importlib, pkgutil, sys, gan_core\n"
        "for m in pkgutil.walk_packages(gan_core.__path__, 'gan_core.'):\n"
        "    if m.name != 'gan_core.__main__': importlib.import_module(m.name)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {sorted(RUNTIME_FORBIDDEN)!r})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"gan_core pulled in: {out.stdout.strip()}"


def _private_reaches(path: pathlib.Path) -> list[str]:
    """`other._name` reads and `from x import _name` imports: a module reaching past another's public door."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                found.append(f"{node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] in (
                "gan_core", "server"):
            found += [f"{node.lineno}: from {node.module} import {a.name}" for a in node.names
                      if a.name.startswith("_") and not a.name.startswith("__")]
    return found


def test_no_module_reads_another_modules_private_names():
    files = sorted((*(ROOT / "gan_core").rglob("*.py"), *(ROOT / "server").rglob("*.py")))
    offenders = {str(f.relative_to(ROOT)): r for f in files if (r := _private_reaches(f))}
    assert offenders == {}, f"reach through public names only: {offenders}"


def test_private_reach_check_catches_both_spellings(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from gan_core.engine.probes import _inputs\nx = trainer._last\nself._ok = 1\n")
    assert _private_reaches(bad) == ["1: from gan_core.engine.probes import _inputs", "2: trainer._last"]


# plotly draws the HTML reports; the engine and the science must run without it (a notebook, a worker).
PLOTTING = {"plotly"}


def test_only_the_report_package_imports_plotly():
    files = sorted(f for f in (ROOT / "gan_core").rglob("*.py") if "report" not in f.relative_to(ROOT).parts)
    offenders = {str(f.relative_to(ROOT)): sorted(_imports(f) & PLOTTING) for f in files}
    assert {k: v for k, v in offenders.items() if v} == {}


def _gan_core_import_graph() -> dict[str, set[str]]:
    """gan_core module -> the gan_core modules it imports (at any depth of the file, lazily too)."""
    graph = {}
    for f in (ROOT / "gan_core").rglob("*.py"):
        rel = f.relative_to(ROOT).with_suffix("")
        name = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        deps = set()
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("gan_core"):
                deps.add(node.module)
                deps |= {f"{node.module}.{a.name}" for a in node.names}
            elif isinstance(node, ast.Import):
                deps |= {a.name for a in node.names if a.name.startswith("gan_core")}
        graph[name] = deps
    return {k: {d for d in v if d in graph and d != k} for k, v in graph.items()}


def test_gan_core_modules_import_no_cycle():
    """No module of gan_core imports one that imports it back (packages' __init__ re-exports aside)."""
    graph = _gan_core_import_graph()
    modules = {k for k in graph if not (ROOT / k.replace(".", "/") / "__init__.py").exists()}
    cycles = []
    for start in sorted(modules):
        stack, seen = [(start, [start])], set()
        while stack:
            node, path = stack.pop()
            for d in graph.get(node, ()):
                if d == start:
                    cycles.append(" -> ".join([*path, d]))
                elif d in modules and d not in seen:
                    seen.add(d)
                    stack.append((d, [*path, d]))
    assert cycles == [], cycles


# The server's rooms (server/__init__.py): wire/ is what travels (both sides use it), sessions/ the
# compute side (it runs in worker processes, which need no web stack), web/ the event-loop edge.
WEB_STACK = {"fastapi", "starlette", "uvicorn", "websockets", "httpx"}


def _server_imports(path: pathlib.Path) -> set[str]:
    """Modules of `server` and the web stack that a file imports (dotted, at any depth of the file)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return {m for m in found if m.split(".")[0] in WEB_STACK or m.startswith("server.")}


def _room_offenders(room: str, banned: tuple[str, ...]) -> dict[str, list[str]]:
    out = {}
    for f in sorted((ROOT / "server" / room).rglob("*.py")):
        bad = sorted(m for m in _server_imports(f) if m.split(".")[0] in WEB_STACK or m.startswith(banned))
        if bad:
            out[str(f.relative_to(ROOT))] = bad
    return out


def test_the_compute_side_and_the_wire_formats_import_no_web_code():
    assert _room_offenders("sessions", ("server.web", "server.app", "server.cli")) == {}
    assert _room_offenders("wire", ("server.web", "server.sessions", "server.app", "server.cli")) == {}
    # The sweep service hands its messages to a callback: it knows no socket and no session.
    assert _room_offenders("sweeps", ("server.web", "server.sessions", "server.app", "server.cli")) == {}


def test_a_worker_process_loads_no_web_module():
    """What a spawned worker imports (server.sessions.host and everything under it) stays off the web stack."""
    code = (
        "import sys, server.sessions.host, server.sessions.pool\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {sorted(WEB_STACK)!r} or m.startswith('server.web'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"the compute side pulled in: {out.stdout.strip()}"


def test_the_room_check_sees_a_web_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from server.web.bridge import Bridge\nimport fastapi\nfrom server.wire import frames\n")
    assert _server_imports(bad) == {"server.web.bridge", "server.web.bridge.Bridge", "fastapi",
                                    "server.wire", "server.wire.frames"}
