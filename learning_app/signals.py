"""Signals declared in the core so that higher packages can react without being imported here."""
from blinker import Namespace

_signals = Namespace()

# Sent after the demo organisation is built, with `accounts` (login id -> User) and `orgs`
# (name -> Organization); feature packages add their demo material.
demo_seeded = _signals.signal("demo-seeded")

# Sent with the session and the node's `path` just before a statement rewrites the paths of a
# subtree (a move), and with its new `path` just after: whatever keeps data per node takes its locks
# first, in the order its other writers use, and moves what it keeps for the nodes above.
tree_paths_changing = _signals.signal("tree-paths-changing")
tree_paths_changed = _signals.signal("tree-paths-changed")
