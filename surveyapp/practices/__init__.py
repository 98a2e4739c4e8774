"""The good-practice library: answers experts mark as good practice, searchable across regions."""
