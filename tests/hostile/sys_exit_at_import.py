# expect: error reason=exit
# says: sys.exit(0)
import sys

sys.exit(0)
