"""The classroom: a session's owner broadcasts it (a join code and a link), viewers watch it
read-only, and any viewer can fork its own copy. It runs on the front process's event loop:

    codes.py    join codes (50 bits from `secrets`, never the resume token) and how they are typed
    curves.py   a broadcast's curves so far, kept from its frames' headers, for viewers who join late
    hub.py      Broadcast (one owner's audience: the viewers' mailboxes, the fan-out of each frame
                encoded once on the host) and Classroom (codes -> broadcasts, the viewer cap)

It imports nothing from server.web: a viewer is its socket's Bridge, passed in (server.web.ws).
"""
