"""Notifications: the enterprise message centre and the e-mail outbox."""
