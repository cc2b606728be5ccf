import sys

from devtools.coldstart.run import main

sys.exit(main())
