"""The working group's published outcomes: reports anyone may read, without signing in."""
