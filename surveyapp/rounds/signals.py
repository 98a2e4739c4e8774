"""What round changes tell other features (blinker signals): they react without this package
importing them."""

from blinker import Namespace

_signals = Namespace()

#: Sent by operations.set_scores_released when officers start or stop seeing a round's
#: moderated scores. Sender: the Round. Officers' and published reports of this round and of
#: later ones (their trends) change (reporting.reactions).
scores_release_changed = _signals.signal("scores-release-changed")
