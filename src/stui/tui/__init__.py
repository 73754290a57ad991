"""The STUI app (Textual). It talks to the workbench and `stui.tools` only."""
