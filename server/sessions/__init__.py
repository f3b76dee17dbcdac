"""The compute side: lab sessions (a Trainer each), their message handlers, the host loop that
runs them in turns, the pool of hosts (worker processes, or one thread of this process) with a
proxy per session for the event loop, the seat/resume manager, and the shared training pace."""
