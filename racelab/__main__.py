import sys
from racelab.cli import main

sys.exit(main())
