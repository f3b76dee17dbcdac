"""ToyGAN Lab's web server (`toygan serve`): turns websocket messages into gan_core calls and
snapshots into frames. Its rooms, and who may import whom (tests/test_layering.py):

    app.py      wiring only: settings -> FastAPI app (routes, websocket, static files, start-up)
    settings.py every knob, one pydantic-settings object; cli.py makes the `serve` flags from it
    wire/       what travels: the client's messages (protocol) and the binary frames (frames);
                both sides use it, it imports neither
    sessions/   the compute side: Session and its message handlers, the host loop that runs
                sessions in turns (a worker process, or one thread with --workers 0), the pool of
                hosts with a proxy per session, the seat/resume manager, the shared pacer;
                imports nothing from web/ (worker processes load no web stack)
    sweeps/     the Map panel's sweeps: gan_core's sweep in a warm pool of low-priority worker
                processes, a thread per sweep posting cells as they finish, a cap per client;
                imports nothing from web/ or sessions/
    web/        the event-loop edge: REST api, the /ws endpoint, the bridge to each socket,
                static files, the loop-lag probe
"""
