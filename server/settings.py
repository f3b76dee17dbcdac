"""Every knob of `toygan serve` in one pydantic-settings object: env vars TOYGAN_<NAME>, and the
`serve` flags and the README's Configuration table, both generated from these fields (server/cli.py).
A field's description is its help text; `doc_default` says a computed default in words."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from gan_core.cores import usable_cores


def default_workers() -> int:
    # One compute process per core, so sessions' Python runs on every core (threads in one process
    # share one GIL); on a single core a worker would only add a hop, so sessions stay in-process.
    n = usable_cores()
    return n if n >= 2 else 0


def default_max_sessions() -> int:
    # A reference session (ring, 2x64 MLPs) needs ~3-5 ms of CPU per 64x64 frame; at the 10 frames/s
    # a shared seat must keep, 16 sessions fill about 80% of a core with frames and leave the rest
    # to training. So 16 per core, at least 4 (a laptop), at most 256 (memory: ~20 MB each).
    return min(256, max(4, 16 * usable_cores()))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TOYGAN_", extra="forbid")

    host: str = Field("127.0.0.1", description="Interface to listen on (127.0.0.1: this machine only; 0.0.0.0 "
                      "in a container)")
    port: int = Field(8000, ge=0, le=65535, description="TCP port")
    max_sessions: int = Field(default_factory=default_max_sessions, ge=1, le=10_000,
                              json_schema_extra={"doc_default": "16 per core (4 to 256)"},
                              description="Connected sessions at once; past it a new socket is closed "
                              "with 1013 'server full'")
    max_viewers: int = Field(500, ge=0, le=100_000, description="Viewers watching broadcasts at once (all "
                             "broadcasts together; a viewer holds no seat); past it a viewer's socket is "
                             "closed with 1013 'too many viewers'")
    threads: int = Field(1, ge=1, le=256, description="torch intra-op threads, set once at start-up "
                         "(tiny models run fastest on 1; sessions run in parallel instead)")
    workers: int = Field(default_factory=default_workers, ge=0, le=256,
                         json_schema_extra={"doc_default": "one per core (0 on 1 core)"},
                         description="Compute processes the sessions run on (Python runs one thread at a "
                         "time per process); 0: on one thread of the server process")
    quantum_ms: float = Field(4.0, gt=0, le=1000, description="Most training time a session runs per turn, ms "
                              "(less under load, see shared_fps); short turns keep frames and changes prompt")
    idle_pause_s: float = Field(300.0, gt=0, description="Seconds without a client message before a running "
                                "session is paused")
    idle_timeout_s: float = Field(1800.0, gt=0, description="Seconds without a client message before a "
                                  "session ends (close 1008 'idle timeout')")
    resume_grace_s: float = Field(120.0, ge=0, description="Seconds a session whose socket dropped is kept "
                                  "for `hello` with its resume token (a page reload)")
    allowed_origins: list[str] = Field(default_factory=list, json_schema_extra={"doc_default": "own address"},
                                       description="Browser Origins allowed on /ws besides the lab's own address "
                                       "(repeat the flag; the env var takes a JSON list); bound to loopback, "
                                       "their hosts are also accepted as Host; '*': any Origin and Host")
    max_message_bytes: int = Field(256 * 1024, ge=1024, le=64 * 1024 * 1024,
                                   json_schema_extra={"doc_default": "256 KiB"}, description="Largest hello, "
                                   "configure, draw, branch or sweep message (a config or a 5,000-point drawing: ~100-200 KB); "
                                   "other messages 16 KiB, imports max_import_bytes; a larger one gets an error "
                                   "before it is parsed")
    max_import_bytes: int = Field(0, ge=0, le=1024 * 1024 * 1024,
                                  json_schema_extra={"doc_default": "0 (auto)"}, description="Largest import "
                                  "message; 0: just over the largest export the session budget admits (every "
                                  "export the server makes imports back)")
    rate_bytes_per_s: int = Field(1024 * 1024, ge=16 * 1024, json_schema_extra={"doc_default": "1 MiB"},
                                  description="Bytes/s of messages over 16 KiB a client may send (the server "
                                  "parses them); an import may overdraw it, the next big message then waits")
    rate_per_s: float = Field(60.0, gt=0, description="Sustained client messages per second (a dragged "
                              "slider sends ~60); more are dropped with an error")
    rate_burst: int = Field(120, ge=1, description="Messages a client may send at once above the rate")
    shared_fps: float = Field(12.0, gt=0, le=120, description="Frames/s every running session keeps under "
                              "load: while the turn cycle is longer than 1/shared_fps, sessions train less "
                              "per turn (the CPU left over still trains, evenly)")
    surface_fps: float = Field(15.0, gt=0, le=120, description="Most fresh D surfaces a session computes "
                               "per second; frames between carry the last one (their surface_iteration "
                               "says which): D over a 64x64 grid is about half of a frame's CPU, and it "
                               "changes slowly next to the samples. A change is always shown fresh")
    default_fps: float = Field(30.0, gt=0, le=120, description="Frame cap until the client's set_view says")
    metrics_interval_s: float = Field(0.5, ge=0, description="Seconds between fresh metric computations "
                                      "in frames (frames between carry the last ones; 2/s draws smooth "
                                      "metric curves, and each costs ~1.3 ms of a shared core)")
    loaded_metrics_interval_s: float = Field(2.0, ge=0, description="metrics_interval_s while the server is "
                                             "loaded (see loaded_grid): each fresh computation is a frame's "
                                             "worth of CPU that the sessions' training needs more")
    loaded_grid: int = Field(32, ge=8, le=128, description="Largest 2D surface grid while the server is "
                             "loaded (a session's turn cycle misses 1/shared_fps): frames get cheaper "
                             "before they get fewer; the frame says the grid it has")
    status_interval_s: float = Field(1.0, gt=0, description="Seconds between status messages while running")
    session_budget_ms: float = Field(50.0, gt=0, le=100_000, description="Most compute one session's turn may "
                                     "need: one training iteration plus one frame, estimated in ms of the reference "
                                     "core (gan_core/engine/cost.py); a config or view over it is refused, naming "
                                     "what costs most. An export or import may need 4 turns' worth")
    turn_ms: float = Field(10.0, gt=0, le=10_000, description="CPU ms a session's turn may use; a turn that "
                           "used more (an expensive frame, iteration or message) makes that session sit out "
                           "turns until it has paid the rest back, so its neighbours keep their frames")
    watchdog_ms: float = Field(250.0, gt=0, description="CPU ms one training iteration or one frame may really "
                               "take; a session over it is paused with a notice")
    worker_memory_mb: int = Field(2048, ge=64, description="Memory a session host may use for its sessions: "
                                  "estimated when a session starts or changes (over it: refused), and a worker "
                                  "process's address space is capped at its start-up size plus this")
    hello_timeout_s: float = Field(30.0, gt=0, description="Seconds a new websocket has to say hello (whatever "
                                   "else it sends) before it is closed with 1008 'no hello'")
    header_timeout_s: float = Field(10.0, gt=0, description="Seconds an HTTP client has to send a request's "
                                    "headers; a slower one (a trickle) is disconnected")
    keep_alive_s: float = Field(5.0, gt=0, description="Seconds an idle HTTP keep-alive connection is kept")
    send_stall_s: float = Field(20.0, gt=0, description="Seconds a websocket may stay unwritable (its client "
                                "does not read) before it is dropped")
    reply_buffer_bytes: int = Field(4 * 1024 * 1024, ge=64 * 1024, json_schema_extra={"doc_default": "4 MiB"},
                                    description="JSON replies that may wait for a slow client; past it replies "
                                    "are dropped (one of any size always goes) and the client is told so")
    timeline_budget_mb: float = Field(4.0, ge=0, le=1024, description="Memory for each session's timeline "
                                      "checkpoints, MB (the reference run's take ~0.11 MB each: 4 MB keeps ~36, "
                                      "dense early, sparser later); 0: no timeline")
    sweep_jobs: int = Field(default_factory=usable_cores, ge=0, le=256,
                            json_schema_extra={"doc_default": "one per core"},
                            description="Worker processes that run the Map panel's sweeps, at a lower CPU "
                            "priority than the sessions (nice 19: the CPU they leave), started with the first sweep and kept "
                            "warm; 0: no sweeps on this server")
    sweep_max_cells: int = Field(100, ge=1, le=400, description="Cells one client may have waiting or running "
                                 "in its sweeps at once; a sweep past it is refused (field grid)")
    sweep_max_steps: int = Field(12_000, ge=1, le=1_000_000, description="Most iterations per run a sweep "
                                 "from the page may ask for (the presets need at most 11000)")
    log_level: str = Field("info", description="Logging level: debug, info, warning or error")

    @property
    def timeline_budget_bytes(self) -> int:
        return int(self.timeline_budget_mb * 2**20)
