"""The hot path: provider routes from classification to recorded answer.

How a request travels (``server/proxy.py`` does the HTTP; everything here is framework-free)::

    entrance.classify(method, version, rest, provider=…, query, headers, body)  → Entrance
    Gateway.handle(snapshot, entrance, principal, headers)                      → GatewayResponse
      providers.ProviderRegistry.follow(snapshot)   adapters + pool membership + status edits
      job.resolve(provider, entrance)               (caller route key, dispatch rule)
      flows.generate / operations.count|embedding|compact|models / models.merged_model_list
        attempt.call_upstream(...)                  failover loop over the shared client
        relay.relay(answer, hooks, on_end)          streamed answers, upstream closed in finally
      recording.Recorder                            usage / audit / status rows → batched writer

Modules: :mod:`.entrance` (routes), :mod:`.job` (dispatch choice), :mod:`.pipeline`
(:class:`~.pipeline.Gateway`), :mod:`.flows` (generation), :mod:`.operations` (count,
embeddings, compact, scoped models), :mod:`.models` (merged lists), :mod:`.attempt`
(failover), :mod:`.relay` (streams), :mod:`.providers` (snapshot → adapters and pool),
:mod:`.pool` (credential selection), :mod:`.recording` / :mod:`.estimate` (rows, tokens),
:mod:`.upstream` (the HTTP client and its transport), :mod:`.response` (answers),
:mod:`.state` (the runtime snapshot holder the server owns).
"""
