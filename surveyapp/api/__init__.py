"""Read-only JSON API (``/api/v1``) for scripts and partner tools, with personal access tokens."""
