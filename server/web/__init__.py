"""The event-loop edge: REST routes, the websocket endpoint, the bridge that hands a session's
replies and frames to its socket, static files, and the loop-lag probe. Nothing here computes."""
