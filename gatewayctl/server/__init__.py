"""The HTTP side of ``gatewayctl serve``: Quart app factory, blueprints, auth, error mapping,
Hypercorn launch. HTTP only — business rules live in the services and the gateway.

- :mod:`.app` — ``create_app(config)`` and the blueprint registration point;
- :mod:`.run` — bootstrap, banner, Hypercorn (one process or N workers);
- :mod:`.runtime` — per-process resources (service context and thread pool, snapshot, metrics);
- :mod:`.auth` — API-key extraction and the admin/user checks;
- :mod:`.errors` / :mod:`.bodies` — ``{"error": ...}`` mapping and JSON bodies;
- :mod:`.admin`, :mod:`.user`, :mod:`.static` — the route blueprints.
"""
