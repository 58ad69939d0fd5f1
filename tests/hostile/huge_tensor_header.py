# expect: error reason=protocol
# says: could not be read as plain data
# A well-formed frame with a tensor header of shape (0, 2**63): zero elements, so the byte count
# matches, and a grader that allocated before checking would hand torch an impossible shape.
import os
import struct

name = b"float32"
tensor = b"t" + bytes((len(name), 2, 0)) + name + struct.pack("<QQ", 0, 2**63) + struct.pack("<Q", 0)
payload = b"d" + struct.pack("<I", 1) + b"s" + struct.pack("<I", 5) + b"ready" + tensor
for fd in os.listdir("/proc/self/fd"):
    try:
        if os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
            os.write(int(fd), struct.pack(">Q", len(payload)) + payload)
    except OSError:
        pass


def add_batch_dim(image):
    return image.unsqueeze(0)


def remove_batch_dim(batch):
    return batch.squeeze(0)
