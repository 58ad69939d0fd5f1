# expect: error reason=protocol
# says: could not be read as plain data
# A 9-byte frame the grader cannot parse, written to the channel while the file is imported,
# after leaving a detached grandchild behind: the grader must end both and carry on.
import os
import struct
import time

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(600)
    os._exit(0)

for fd in os.listdir("/proc/self/fd"):
    try:
        if os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
            os.write(int(fd), struct.pack(">Q", 1) + b"\xff")
    except OSError:
        pass
time.sleep(1)


def add_batch_dim(image):
    return image.unsqueeze(0)


def remove_batch_dim(batch):
    return batch.squeeze(0)
