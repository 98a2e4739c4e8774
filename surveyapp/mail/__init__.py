"""Email: what surveyapp tells people by mail, when they want it, and its delivery by SMTP."""
