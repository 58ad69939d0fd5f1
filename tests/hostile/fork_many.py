# expect: passed
# Forks children that would live forever; the functions themselves are right.
import os
import time

for _ in range(80):
    try:
        if os.fork() == 0:
            time.sleep(1000)
            os._exit(0)
    except OSError:
        break


def add_batch_dim(image):
    return image.unsqueeze(0)


def remove_batch_dim(batch):
    if batch.shape[0] != 1:
        raise ValueError(f"got {tuple(batch.shape)}")
    return batch.squeeze(0)
