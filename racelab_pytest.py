"""pytest plugin for racelab (registered through the pytest11 entry point)."""
