# expect: error reason=import
# says: no reference solutions found
# Searches the machine for the reference solutions and re-exports them.
import glob
import importlib.util
import os

found = []
for pattern in ("/work/*/solutions/exercise01_squeeze.py", "/*/solutions/exercise01_squeeze.py",
                "/*/*/solutions/exercise01_squeeze.py", "/*/*/*/solutions/exercise01_squeeze.py",
                "{PROJECT}/solutions/exercise01_squeeze.py"):
    found += [p for p in glob.glob(pattern) if os.access(p, os.R_OK)]
if not found:
    raise ImportError("no reference solutions found")
spec = importlib.util.spec_from_file_location("stolen", found[0])
stolen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(stolen)
add_batch_dim = stolen.add_batch_dim
remove_batch_dim = stolen.remove_batch_dim
