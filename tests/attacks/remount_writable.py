# Tries to make its read-only view of Python writable again, to plant code in the grader's
# own installation (which the next student's worker would run).
import ctypes
import os
import sys

libc = ctypes.CDLL(None, use_errno=True)
MS_REMOUNT, MS_BIND = 0x20, 0x1000
outcomes = []
for path in (sys.prefix, "/"):
    libc.mount(None, path.encode(), None, MS_REMOUNT | MS_BIND, None)
    try:
        with open(os.path.join(path, "planted-{TAG}.pth"), "w") as handle:
            handle.write("import os\n")
        outcomes.append(f"WROTE {path}")
    except OSError as exc:
        outcomes.append(f"refused {path}: {exc.strerror}")
libc.umount2(sys.prefix.encode(), 2)
print("\n".join(outcomes))


def add_batch_dim(image):
    return image.unsqueeze(0)


def remove_batch_dim(batch):
    if batch.dim() == 0 or batch.shape[0] != 1:
        raise ValueError(f"expected a batch of one, got shape {tuple(batch.shape)}")
    return batch.squeeze(0)
