"""The app's widgets, one module each, its styles in a .tcss file beside it."""
