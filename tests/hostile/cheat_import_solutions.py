# expect: error reason=import
# says: no reference solutions found
# Looks for this project's reference solutions (where the grader is installed) and re-exports them.
import glob
import importlib.util
import os

found = []
for pattern in ("{PROJECT}/solutions/exercise01_squeeze.py", "{PROJECT}/tests/submissions/exercise1/alt_*.py"):
    found += [p for p in glob.glob(pattern) if os.access(p, os.R_OK)]
if not found:
    raise ImportError("no reference solutions found")
spec = importlib.util.spec_from_file_location("stolen", found[0])
stolen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(stolen)
add_batch_dim = stolen.add_batch_dim
remove_batch_dim = stolen.remove_batch_dim
