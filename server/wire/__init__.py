"""What travels over the websocket, for both sides: the client's messages (pydantic) and the
binary frame codec (docs/protocol.md). Imports neither the web stack nor the sessions."""
