"""The backlog: bricks, learning paths, objectives, definition of done, training needs."""
