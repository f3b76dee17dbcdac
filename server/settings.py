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
    allowed_origins: list[str] = Field(default_factory=list, json_schema_extra={"doc_default": "same host"},
                                       description="Browser Origins allowed on /ws (repeat the flag; the env "
                                       "var takes a JSON list); none: the request's own host only; '*': any")
    max_message_bytes: int = Field(8 * 1024 * 1024, ge=1024, le=256 * 1024 * 1024,
                                   json_schema_extra={"doc_default": "8 MiB"}, description="Largest client message answered normally (an import with "
                                   "weights is the big one); larger ones get an error")
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
    timeline_budget_mb: float = Field(4.0, ge=0, le=1024, description="Memory for each session's timeline "
                                      "checkpoints, MB (the reference run's take ~0.11 MB each: 4 MB keeps ~36, "
                                      "dense early, sparser later); 0: no timeline")
    sweep_jobs: int = Field(default_factory=usable_cores, ge=0, le=256,
                            json_schema_extra={"doc_default": "one per core"},
                            description="Worker processes that run the Map panel's sweeps, at a lower CPU "
                            "priority than the sessions (nice +10), started with the first sweep and kept "
                            "warm; 0: no sweeps on this server")
    sweep_max_cells: int = Field(100, ge=1, le=400, description="Cells one client may have waiting or running "
                                 "in its sweeps at once; a sweep past it is refused (field grid)")
    sweep_max_steps: int = Field(12_000, ge=1, le=1_000_000, description="Most iterations per run a sweep "
                                 "from the page may ask for (the presets need at most 11000)")
    log_level: str = Field("info", description="Logging level: debug, info, warning or error")

    @property
    def timeline_budget_bytes(self) -> int:
        return int(self.timeline_budget_mb * 2**20)

    @property
    def ws_max_size(self) -> int:
        """The websocket layer's own hard limit: above ours, so oversized messages get our error reply."""
        return self.max_message_bytes * 4
