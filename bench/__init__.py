"""Loopback benchmark of gatewayctl's hot path: a mock OpenAI upstream, a load generator, and
req/s and latency measured direct-to-mock and through ``gatewayctl serve`` in the same run.

Run ``python -m bench --help`` (or ``make bench``). Only 127.0.0.1 is used; every scenario is
bounded in time and in request count.
"""
