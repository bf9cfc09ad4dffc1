"""The lab: the scenario catalogue, its fixes, and ``racelab compare``."""

from racelab.lab.catalogue import Entry as Entry
from racelab.lab.catalogue import Variant as Variant
from racelab.lab.catalogue import catalogue as catalogue
from racelab.lab.catalogue import variants as variants
from racelab.lab.compare import Comparison as Comparison
from racelab.lab.compare import CostOptions as CostOptions
from racelab.lab.compare import Row as Row
from racelab.lab.compare import compare as compare
