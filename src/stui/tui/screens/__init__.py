"""The app's screens: the main one and its dialogs."""
