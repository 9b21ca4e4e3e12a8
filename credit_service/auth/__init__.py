"""Auth: accounts, passwords and API tokens."""
