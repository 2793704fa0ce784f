"""Values a worker keeps between requests, a bounded number per store."""
import threading

_lock = threading.Lock()


def keep(store: dict, key, value, limit: int) -> None:
    """Put `value` in `store` under `key`, last in line; beyond `limit` entries the oldest go.
    Threads of one worker share the store, so the change is made under a lock."""
    with _lock:
        store.pop(key, None)
        store[key] = value
        while len(store) > limit:
            del store[next(iter(store))]
