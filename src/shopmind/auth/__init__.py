"""API keys, console users, roles, contact-data encryption and the audit log."""
