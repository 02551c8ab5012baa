"""The use cases, shared by the CLI and the admin/user HTTP API.

Synchronous and transport-agnostic (no Typer, Quart or httpx here). Every function takes a
:class:`~gatewayctl.services.context.Context` first, validates its input and raises
:mod:`gatewayctl.errors` types naming the problem; every write is one transaction.
One module per noun: ``providers``, ``credentials``, ``statuses`` (credential health),
``users``, ``keys`` (user keys and the admin key), ``global_settings``, ``usage`` (usage and
request-log queries), ``toml_io`` (import/export); ``snapshot`` builds the server's in-memory
view and ``api`` maps the admin/user routes to handlers. Views are JSON-ready dicts;
timestamps are unix milliseconds; secrets are masked in every view.
"""
