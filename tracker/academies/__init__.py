"""Academies, their stages, members and roles."""
