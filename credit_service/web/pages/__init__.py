"""Server-rendered pages, one module per audience (public, enterprise, console, operations)."""
