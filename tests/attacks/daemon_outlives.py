# Starts a detached grandchild (new session, double fork) that keeps running, named so that
# the test can look for it after grading.
import ctypes
import os
import time

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        ctypes.CDLL(None).prctl(15, b"grd-{TAG}", 0, 0, 0)  # PR_SET_NAME
        while True:
            time.sleep(0.2)
    os._exit(0)


def add_batch_dim(image):
    return image.unsqueeze(0)


def remove_batch_dim(batch):
    if batch.dim() == 0 or batch.shape[0] != 1:
        raise ValueError(f"expected a batch of one, got shape {tuple(batch.shape)}")
    return batch.squeeze(0)
