"""The service context: one open store plus the (lazily unlocked) secret box.

Every service function takes a :class:`Context` first. The CLI opens one per command, the
server one per process (the store serializes threads). The master key is only looked up the
first time a secret is encrypted, decrypted or hashed, so commands that never touch a secret
(``providers list``) never touch the keyring either.
"""

from __future__ import annotations

import sys
import threading
from types import TracebackType
from typing import TYPE_CHECKING

from gatewayctl.errors import SecretStoreUnavailable
from gatewayctl.settings import Settings, resolve_settings

if TYPE_CHECKING:
    from gatewayctl.secrets import Notice, SecretBox
    from gatewayctl.store.base import Store

META_DB_ID = "db_id"
META_KEY_CHECK = "key_check"
META_KEY_SOURCE = "key_source"


def stderr_notice(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Context:
    """An open store and the secrets that go with it."""

    def __init__(self, store: Store, settings: Settings, notice: Notice | None = None) -> None:
        self.store = store
        self.settings = settings
        self._notice = notice or stderr_notice
        self._box: SecretBox | None = None
        self._box_lock = threading.Lock()

    def secrets(self) -> SecretBox:
        """The secret box for this database (unlocks the master key on first use)."""
        with self._box_lock:
            if self._box is None:
                self._box = unlock(self.store, self.settings, self._notice)
            return self._box

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Context:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def open_context(
    settings: Settings | None = None,
    *,
    data_dir: str | None = None,
    dsn: str | None = None,
    notice: Notice | None = None,
) -> Context:
    """Resolve settings (unless given), open and migrate the store, return a Context."""
    from gatewayctl.store import open_store

    resolved = settings or resolve_settings(data_dir=data_dir, dsn=dsn)
    return Context(open_store(resolved), resolved, notice)


def unlock(store: Store, settings: Settings, notice: Notice) -> SecretBox:
    """Load the master key and check it against the database's key check token.

    The first unlock of a fresh database creates the key and writes the check token inside
    one write transaction, so concurrent first runs agree on a single key.
    """
    from gatewayctl.secrets import SecretBox, key_file_path, load_master_key

    db_id = store.get_meta(META_DB_ID)
    if db_id is None:  # pragma: no cover - the first migration always writes it
        raise SecretStoreUnavailable("the database has no id; it was not created by gatewayctl")

    def verified(check: str) -> SecretBox:
        origin = store.get_meta(META_KEY_SOURCE) or "another key"
        try:
            master = load_master_key(
                settings.data_dir,
                db_id,
                create=False,
                notice=notice,
                file_first=origin == str(key_file_path(settings.data_dir)),
            )
        except SecretStoreUnavailable as exc:
            raise SecretStoreUnavailable(f"{exc} (it was created with {origin})") from exc
        box = SecretBox(master.key, master.where)
        if not box.matches(check):
            raise SecretStoreUnavailable(
                f"the master key from {master.where} does not match this database "
                f"(its secrets were encrypted with the key from {origin})"
            )
        return box

    check = store.get_meta(META_KEY_CHECK)
    if check is not None:
        return verified(check)
    with store.transaction():
        check = store.get_meta(META_KEY_CHECK)
        if check is not None:
            return verified(check)
        master = load_master_key(settings.data_dir, db_id, create=True, notice=notice)
        box = SecretBox(master.key, master.where)
        store.set_meta(META_KEY_CHECK, box.make_check())
        store.set_meta(META_KEY_SOURCE, master.where)
        return box
