# expect: error reason=protocol
# says: larger than the limit
# A frame header that announces 2**40 bytes: the grader must refuse it before reading or
# allocating anything, not wait for a terabyte.
import os
import struct

for fd in os.listdir("/proc/self/fd"):
    try:
        if os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
            os.write(int(fd), struct.pack(">Q", 2**40) + b"d")
    except OSError:
        pass


def add_batch_dim(image):
    return image.unsqueeze(0)


def remove_batch_dim(batch):
    return batch.squeeze(0)
