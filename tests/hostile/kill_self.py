# expect: error reason=crash
# says: signal 9
import os
import signal


def add_batch_dim(image):
    os.kill(os.getpid(), signal.SIGKILL)


def remove_batch_dim(batch):
    return batch[0]
