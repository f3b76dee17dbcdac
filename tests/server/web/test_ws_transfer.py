"""Every export the server makes imports back (issue 14: an export of a large allowed model, 14-44 MB,
was refused on import as 'message too large'): the import limit follows from the same budget that
caps the model, so the largest export the budget admits fits it."""

from __future__ import annotations

import json

import pytest

from gan_core.engine import cost
from gan_core.engine.config import parse_config
from server.sessions import budget
from server.settings import Settings
from tests.server.conftest import hello, make_client, recv
from tests.server.most_expensive import largest_model

pytestmark = pytest.mark.timeout(180)


def test_the_largest_export_the_budget_admits_imports_back():
    st = Settings(workers=0)
    cfg = largest_model(st)
    size = cost.export_bytes(cost.workload(parse_config(cfg)))
    # Megabytes (~7 MB by default): far over the other big messages' limit, so imports need their own.
    assert size > 4 * st.max_message_bytes
    with make_client() as client, client.websocket_connect("/ws") as ws:
        hello(ws, config=cfg)
        ws.send_json({"type": "export", "weights": True})
        data = recv(ws, "export")["data"]
        text = json.dumps({"type": "import", "data": data})
        assert len(text) <= budget.import_limit(st)
        ws.send_text(text)
        back = recv(ws, "config")
        assert back["config"] == data["config"] and back["rebuilt"]
