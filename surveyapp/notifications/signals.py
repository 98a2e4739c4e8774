"""Signals of the notifications feature (blinker), for features that react to them."""

from blinker import Namespace

_signals = Namespace()

#: Sent by ``notify`` with the notifications it added (flushed, with ids), before the caller
#: commits: a receiver that writes rows writes them in the same transaction.
notifications_created = _signals.signal("notifications-created")
