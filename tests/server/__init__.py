"""Tests of the HTTP server (gatewayctl serve)."""
