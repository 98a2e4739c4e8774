"""What other features may react to when an account changes (blinker signals)."""

from blinker import Namespace

_signals = Namespace()

#: The user's credentials were replaced or withdrawn: the password was reset or changed, or
#: the account deactivated. Sender: the User; ``actor``: who did it (None from the CLI);
#: ``reason``: "password_reset", "password_changed", "deactivated" or
#: "two_factor_reset". Whatever else lets the
#: user in (API tokens) must stop working too; receivers change state in the caller's
#: transaction and do not commit.
credentials_withdrawn = _signals.signal("credentials-withdrawn")

#: Something happened to the account that its owner should hear of at once, in case it was
#: not them. Sender: the User; ``change``: "recovery_code_used" at a sign-in (``left``: the
#: codes left), "recovery_codes_renewed" or "two_factor_disabled". Receivers do not commit.
account_changed = _signals.signal("account-changed")
