"""gatewayctl — a CLI-first LLM API gateway.

Importing the package has no side effects and pulls in no heavy dependency: the CLI, the
server and the gateway each import what they need lazily.
"""

__version__ = "0.1.0"
