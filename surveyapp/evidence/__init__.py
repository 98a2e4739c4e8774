"""Evidence files: documents and images an officer attaches to the region's response."""
