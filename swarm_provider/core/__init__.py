"""The pure core: check inputs, build the Engine spec, read it back, diff, build outputs.

Every function here maps JSON to JSON; none touches the network.
"""
