"""DESIGN.md's layering: gan_core is usable alone, so it imports no web or async code."""

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
