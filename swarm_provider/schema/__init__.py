"""What an input is: the field tables, their normalisers, units and the rendered docs.

Pure data and pure functions; nothing here talks to an engine.
"""
