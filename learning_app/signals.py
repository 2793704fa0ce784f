"""Signals declared in the core so that higher packages can react without being imported here."""
from blinker import Namespace

_signals = Namespace()

# Sent after the demo organisation is built, with `accounts` (login id -> User) and `orgs`
# (name -> Organization); feature packages add their demo material.
demo_seeded = _signals.signal("demo-seeded")
