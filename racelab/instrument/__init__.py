"""Instrumentation: an import hook (whether), an AST rewriter (how), runtime helpers (what)."""

from racelab.instrument.hook import Instrumentation as Instrumentation
from racelab.instrument.hook import load_file as load_file
