# Writes into every world-writable host folder it can find, and leaves a SysV shared-memory
# segment behind: nothing of it may outlive grading or reach the next student.
import ctypes
import os

for folder in {FOLDERS}:
    try:
        with open(os.path.join(folder, "grader-residue-{TAG}"), "w") as handle:
            handle.write("note for the next student")
    except OSError:
        pass
libc = ctypes.CDLL(None, use_errno=True)
libc.shmget.restype = ctypes.c_int
segment = libc.shmget(0x6A7E5EED, 4096, 0o1666)  # IPC_CREAT | 0666, never removed


def add_batch_dim(image):
    return image.unsqueeze(0)


def remove_batch_dim(batch):
    if batch.dim() == 0 or batch.shape[0] != 1:
        raise ValueError(f"expected a batch of one, got shape {tuple(batch.shape)}")
    return batch.squeeze(0)
