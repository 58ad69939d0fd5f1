# expect: error reason=exit
# says: status 0
import os


def add_batch_dim(image):
    os._exit(0)


def remove_batch_dim(batch):
    os._exit(0)
