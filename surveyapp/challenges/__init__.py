"""Common challenges: a shared taxonomy experts tag the regions' challenge answers with."""
