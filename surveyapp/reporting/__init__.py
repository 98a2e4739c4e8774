"""Reports and data exports built from plain data (PDF reports follow; CSV/XLSX exports here)."""
