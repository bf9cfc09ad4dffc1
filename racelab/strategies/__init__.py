"""Scheduling policies. Each module holds one; see ``base`` for the interface."""

from racelab.strategies.base import Strategy as Strategy
from racelab.strategies.dfs import DFSStrategy as DFSStrategy
from racelab.strategies.dpor import DPORStrategy as DPORStrategy
from racelab.strategies.pct import PCTStrategy as PCTStrategy
from racelab.strategies.portfolio import PortfolioStrategy as PortfolioStrategy
from racelab.strategies.random import RandomStrategy as RandomStrategy
from racelab.strategies.replay import ReplayStrategy as ReplayStrategy

NAMES = ("portfolio", "random", "pct", "dfs", "dpor")
