"""Waiting on the engine: tasks converged and stable, removals finished, one shared poll."""
