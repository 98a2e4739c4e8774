"""What the assessment workflow tells other features (blinker signals, as Indico's
``core/signals``): they react without this package importing them."""

from blinker import Namespace

_signals = Namespace()

#: Sent by operations.submit_assessment after a submission, in the submitter's transaction.
#: Sender: the Assessment; keyword arguments ``user`` (who submitted) and ``previous`` (the
#: state it was in, e.g. changes_requested for a resubmission).
assessment_submitted = _signals.signal("assessment-submitted")

#: Sent by operations.submit_assessment when a region that had agreed to be named withdraws its
#: consent, in the submitter's transaction. Sender: the Assessment. Stored reports of its round
#: may name the region and must not be served any more (reporting.reactions).
consent_withdrawn = _signals.signal("consent-withdrawn")
