"""Sprints and the kanban board."""
