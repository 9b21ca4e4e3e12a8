"""The scheduler process: every periodic job of the service, run by one leader."""
