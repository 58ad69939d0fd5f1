# A detached grandchild that tries to move itself out of the worker's control groups (into
# every group it can find), so that removing them would not end it; then keeps running.
import ctypes
import glob
import os
import time

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        ctypes.CDLL(None).prctl(15, b"grd-{TAG}", 0, 0, 0)  # PR_SET_NAME
        moved = 0
        for procs in glob.glob("/sys/fs/cgroup/**/cgroup.procs", recursive=True)[:2000]:
            try:
                with open(procs, "w") as handle:
                    handle.write(str(os.getpid()))
                moved += 1
            except OSError:
                pass
        print(f"MOVED-INTO-GROUPS: {moved}", flush=True)
        while True:
            time.sleep(0.2)
    os._exit(0)
time.sleep(0.5)  # the grandchild has tried before the checks run


def add_batch_dim(image):
    return image.unsqueeze(0)


def remove_batch_dim(batch):
    if batch.dim() == 0 or batch.shape[0] != 1:
        raise ValueError(f"expected a batch of one, got shape {tuple(batch.shape)}")
    return batch.squeeze(0)
