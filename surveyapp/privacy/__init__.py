"""Data-subject requests (export, erasure) and retention."""
