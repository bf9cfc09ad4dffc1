"""Detectors that observe the event stream and never steer the scheduler."""

from racelab.detect.detector import Detector as Detector
from racelab.detect.detector import make_detectors as make_detectors
from racelab.detect.lockorder import LockOrderDetector as LockOrderDetector
from racelab.detect.race import RaceDetector as RaceDetector
from racelab.detect.records import Access as Access
from racelab.detect.records import LockCycle as LockCycle
from racelab.detect.records import LockEdge as LockEdge
from racelab.detect.records import Race as Race
from racelab.detect.records import RaceKind as RaceKind
