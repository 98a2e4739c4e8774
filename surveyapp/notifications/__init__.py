"""In-app notifications (review started, changes requested, resubmitted, validated, comments)."""
