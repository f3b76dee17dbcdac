"""One store: the page's state lives in App (frontend/app.js) and the DOM is drawn from it, never
read back. A static check over the page's modules (no browser): reading a control's checked /
value / text / hidden / disabled state, or asking an element for its classes, is how state leaks
into the DOM. A change handler takes what a person did from its event (`e.target.value`,
`e.target.checked`); that is input, not state, and allowed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"
# Every module is checked, the form's too: schema-form.js (which fields show, for a kind and a
# classroom link's hidden set) and form-fields.js (each control takes what a person did from its
# change event).

# A DOM property used as a value: not followed by an assignment (`=`, but not `==`/`===`).
STATE_READ = re.compile(r"\.(checked|value|textContent|innerText|hidden|disabled)\b(?!\s*=(?!=))"
                        r"|classList\.contains|\.matches\(|:checked")
EVENT_INPUT = re.compile(r"\be\.target\.(value|checked)\b")
COMMENT = re.compile(r"//.*$|^\s*\*.*$|/\*.*?\*/")


def state_reads(text: str) -> list[tuple[int, str]]:
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        code = EVENT_INPUT.sub("e.target.input", COMMENT.sub("", line))
        if STATE_READ.search(code):
            out.append((number, line.strip()))
    return out


def test_no_page_module_reads_state_back_from_the_dom():
    modules = sorted(FRONTEND.rglob("*.js"))
    assert {"schema-form.js", "form-fields.js"} <= {p.name for p in modules}
    assert len(modules) > 10, f"found only {len(modules)} modules under {FRONTEND}"
    found = {str(p.relative_to(FRONTEND)): reads for p in modules if (reads := state_reads(p.read_text()))}
    assert found == {}, f"state read back from the DOM (keep it in App, draw the DOM from it): {found}"


@pytest.mark.parametrize("line, is_read", [
    # What the page did before App owned its state: each must count as a read.
    ("panel.hidden = !panel.hidden;", True),
    ("if (el.hidden) this.showMainView();", True),
    ('const on = [...options.querySelectorAll("input:checked")];', True),
    ('await navigator.clipboard.writeText($("share-url").value);', True),
    ('if (button.classList.contains("active")) stop();', True),
    # Drawing from the store, and input taken from its event, are not.
    ('$("iteration").textContent = String(app.iteration);', False),
    ('$("logx").addEventListener("change", (e) => app.setView({ logx: e.target.checked }));', False),
    ("stage.hidden = !app.slowMotion; // not stage.hidden", False),
])
def test_the_check_tells_a_read_from_a_write(line, is_read):
    assert bool(state_reads(line)) is is_read
