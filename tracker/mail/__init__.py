"""Outgoing e-mail: a queue in the database and a sender command."""
