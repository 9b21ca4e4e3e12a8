"""Records: credit records filed under catalog items."""
