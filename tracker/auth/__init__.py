"""Accounts, sessions, permissions."""
